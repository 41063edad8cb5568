"""Packages the plugin carries because Nuke's Python cannot import them: `job`, a byte-for-byte copy
of cmn_vfx/job (the shot spec, names, output layout, frame ranges, subject grammar, atomic writes).
Do not edit it here: change cmn_vfx/job and run `python tools/copy_job_to_nuke.py`
(tests/nuke/test_job_copy.py fails while the copy differs).
"""
