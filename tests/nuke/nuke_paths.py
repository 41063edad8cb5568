"""Paths the Nuke plugin tests share."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN_DIR = os.path.join(REPO, "nuke_plugin")
GIZMO_DIR = os.path.join(REPO, "gizmos")
