"""Nuke runs this at start-up, with or without a UI: make the CMN gizmos available.

Install: add this folder to NUKE_PATH (docs/nuke.md): the repository's nuke_plugin/, or the
installed package's cmn_vfx_nuke/ (`python -m cmn_vfx_nuke` prints it). The gizmos live in
./gizmos when installed, ../gizmos in the repository; CMN_GIZMO_PATH overrides both (e.g. a
studio copy).
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
    _here = _plugin_dir()
    _gizmos = os.environ.get("CMN_GIZMO_PATH") or next(
        (d for d in (os.path.join(_here, "gizmos"), os.path.join(os.path.dirname(_here), "gizmos")) if os.path.isdir(d)),
        os.path.join(_here, "gizmos"))
    if os.path.isdir(_gizmos):
        nuke.pluginAddPath(_gizmos)
    else:
        print(f"cmn-vfx: gizmo folder {_gizmos} not found; set CMN_GIZMO_PATH to the folder with CMN_Matte.gizmo")
except Exception:   # never stop Nuke from starting
    traceback.print_exc()
