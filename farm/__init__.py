"""Render-farm jobs for shots, split by where the code runs (docs/farm.md):

- the submitting machine: plan (chunks), template (the OpenJD job), preflight, status, backends
  (local, deadline-cloud, deadline10, opencue) and cli's plan / submit / status;
- a worker: cmn_vfx_farm.worker (the spec's paths mapped for this worker, the subject step, the
  resident cmn-matte of a session).

Neither side imports the other (tests/farm/test_split.py). Nothing here imports numpy or torch at
module level.
"""
