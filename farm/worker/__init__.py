"""What runs on a render node: the mapped shot spec (pathmap), the subject step (subject), the resident
cmn-matte of a worker session (session), and their `cmn-farm session|subject` commands (commands).

Nothing here imports the submitting side (plan, template, backends, preflight, status): a worker needs
cmn_vfx, openjd-sessions for the path-mapping rules, and nothing else (tests/farm/test_split.py).
"""
