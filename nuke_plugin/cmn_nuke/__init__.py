"""CMN Matte Shot for Nuke: readnode (knobs <-> spec, pure), submit (cmn-farm, pure),
nodes (Nuke glue), panel (Qt). Importing this package imports neither nuke nor Qt."""
