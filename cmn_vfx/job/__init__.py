"""A shot's job as plain data: the bottom layer, standard library only. Nuke, the farm submitter,
the command line and the engine all use it; Nuke gets this package copied whole
(nuke_plugin/cmn_nuke/vendor/job/, made by tools/copy_job_to_nuke.py), so nothing here imports cmn_vfx
outside this package (relative imports only) and nothing third-party at import time.

    names.py            the names and defaults: priors, backends, precisions, refinements, missing-frame
                        modes, DEFAULT_WARMUP, chunk size, cut threshold, working size
    spec.py             ShotSpec: every setting of a shot that changes pixels, and where it goes
    layout.py           OutputLayout: OUT/alpha and OUT/fg paths and patterns, channels, cmn:* metadata keys
    frames.py           frame numbers, frame ranges and sequence patterns as text (scanning folders is io's)
    warmup.py           which frames a range that starts mid-shot runs first (engine and farm plan)
    finished.py         what "finished" means for an output frame (OpenImageIO only when a frame is read)
    subject_grammar.py  which person: all, main, or picks x,y@frame
    atomic.py           atomic writes: atomic_path, write_text, write_yaml
    config_yaml.py      a YAML file of settings -> a typed dataclass (PyYAML only when a file is read)
    errors.py           the errors a user can cause (cmn_vfx.errors re-exports them)

tests/test_layers.py checks the imports; tests/job/test_light.py imports it with numpy, torch and
OpenImageIO blocked.
"""
