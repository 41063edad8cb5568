"""cmn-vfx inside Nuke. Put this folder on NUKE_PATH (see docs/nuke.md).

Nuke runs init.py and menu.py from here; the code is in the cmn_nuke package, which
imports neither torch, numpy nor cmn_vfx (Nuke's Python has none of them) and reaches
the farm only by running `cmn-farm`. This file only makes the folder importable as
`cmn_vfx_nuke` for the tests and the installed package (setup.py maps the folder to that name);
`python -m cmn_vfx_nuke` prints the folder to put on NUKE_PATH.
"""
