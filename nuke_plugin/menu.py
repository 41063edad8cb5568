"""Nuke runs this at start-up in GUI sessions: the CMN menu items.

Commands are strings, so cmn_nuke (and Qt) load only when an artist uses them; any
error here is printed instead of breaking Nuke's start-up.
"""
import traceback

SHORTCUT = "alt+shift+m"
MATTE = "import cmn_nuke.nodes; cmn_nuke.nodes.matte_shot()"
LOAD = "import cmn_nuke.nodes; cmn_nuke.nodes.load_results()"
GIZMO = "nuke.createNode('CMN_Matte')"

try:
    import nuke

    toolbar = nuke.menu("Nodes").addMenu("CMN")
    toolbar.addCommand("CMN Matte Shot", MATTE, SHORTCUT)
    toolbar.addCommand("CMN Load Results", LOAD)
    toolbar.addCommand("CMN_Matte", GIZMO)

    top = nuke.menu("Nuke").addMenu("CMN")
    top.addCommand("CMN Matte Shot", MATTE)   # one shortcut only: Nuke warns on duplicates
    top.addCommand("CMN Load Results", LOAD)
except Exception:   # never stop Nuke from starting
    traceback.print_exc()
