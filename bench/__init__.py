"""Benchmarks (not tests), run from the repository root as modules:

    .venv/bin/python -m bench.validate ...       # quality: the validation suite (docs/validation.md)
    .venv/bin/python -m bench.speed ...          # speed: end to end beside the I/O floor, --revs, stage modes
    .venv/bin/python -m bench.memory_check ...   # does the network's memory matter (blink, chunk starts)
    .venv/bin/python -m bench.teach_eval ...     # `cmn-matte teach` on suite clips with 3 true keys
    .venv/bin/python -m bench.subject_eval ...   # picking one person of two
    .venv/bin/python -m bench.farm_seams ...     # chunked against sequential through the farm's plan
    bash bench/gpu_v5.sh                         # the prepared run for a lent GPU (docs/training.md)

The suite's clips: validation_clips.py with validation_looks.py; the classical baselines: baselines.py;
the shared helpers (engine construction, plates, metrics, tables, contact sheets): harness/.
"""
