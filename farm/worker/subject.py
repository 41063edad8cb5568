"""The job's first step when a spec picks people (subject: main or picks): resolve them on a worker.

    cmn-farm subject --spec SHOT.yaml [--plate P --model M --output OUT --path-mapping-rules R --workdir W]

maps the spec for this worker (farm/worker/pathmap.py), then runs

    cmn-matte run --spec SHOT.yaml --resolve-subject --no-progress

which reads the whole plate once (network prior, person detector) and stores the people's boxes in
OUT/.cmn/<name>.subject.json (cmn_vfx/engine/subject.py). With keys it runs on the taught model, as the
Matte tasks do (after the Teach step): the engine opens that model's runtime, and the prior is the model's
own (a taught checkpoint keeps its base's). The Matte step depends on this step, so
every chunk finds the same boxes there instead of resolving the shot again; the submitting machine
reads nothing but headers.
"""
from __future__ import annotations

import os
import subprocess

from cmn_vfx_farm.taught import matte_spec
from cmn_vfx_farm.worker.pathmap import localise


def resolve(spec: str, cmn_matte: str, workdir: str | None = None, rules: str | None = None,
            plate: str | None = None, output: str | None = None, model: str | None = None) -> int:
    """Run cmn-matte's subject pass over the shot (mapped for this worker); its exit code."""
    mapped = localise(spec, rules, workdir, plate, output, model)
    mapped = matte_spec(mapped, workdir or os.path.dirname(mapped))    # with keys: the taught model, as Matte
    print(f"cmn-farm subject: resolving the subject of {mapped}", flush=True)
    return subprocess.call([cmn_matte, "run", "--spec", mapped, "--resolve-subject", "--no-progress"])
