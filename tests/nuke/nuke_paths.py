"""Paths the Nuke plugin tests share."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN_DIR = os.path.join(REPO, "nuke_plugin")
GIZMO_DIR = os.path.join(REPO, "gizmos")


def fake_executable(path, script: str) -> str:
    """Write an executable shell script at `path` (a pathlib.Path), e.g. a stand-in cmn-farm; returns its path."""
    import stat
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)
