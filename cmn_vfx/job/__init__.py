"""A shot's job as plain data: the light layer (standard library only; PyYAML only to read or
write a spec file). Nuke, the farm submitter, the command line and the engine all use it.

    names.py     the names and defaults: priors, backends, precisions, refinements, missing-frame
                 modes, DEFAULT_WARMUP, chunk size, cut threshold, working size
    spec.py      ShotSpec: every setting of a shot that changes pixels, and where it goes
    layout.py    OutputLayout: OUT/alpha and OUT/fg paths and patterns, channels, cmn:* metadata keys
    warmup.py    which frames a range that starts mid-shot runs first (engine and farm plan)
    finished.py  what "finished" means for an output frame (OpenImageIO only when a frame is read)

With cmn_vfx/io/sequence.py (frame ranges, sequence patterns) and cmn_vfx/io/atomic.py
(atomic writes), nothing here imports numpy or torch (tests/job/test_light.py).
"""
