"""Nuke runs this at start-up, with or without a UI: make the CMN gizmos available.

Install: add this folder to NUKE_PATH (docs/nuke.md). The gizmos live in ../gizmos;
CMN_GIZMO_PATH overrides that (e.g. a studio copy).
"""
import os
import traceback

import nuke


def _plugin_dir():
    try:
        return os.path.dirname(os.path.abspath(__file__))
    except NameError:   # some Nuke builds exec init.py without __file__
        for folder in nuke.pluginPath():
            if os.path.isdir(os.path.join(folder, "cmn_nuke")):
                return folder
    return ""


try:
    _gizmos = os.environ.get("CMN_GIZMO_PATH") or os.path.join(os.path.dirname(_plugin_dir()), "gizmos")
    if os.path.isdir(_gizmos):
        nuke.pluginAddPath(_gizmos)
    else:
        print(f"cmn-vfx: gizmo folder {_gizmos} not found; set CMN_GIZMO_PATH to the folder with CMN_Matte.gizmo")
except Exception:   # never stop Nuke from starting
    traceback.print_exc()
