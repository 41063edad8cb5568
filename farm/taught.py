"""A keyed shot's taught model: where it goes and the spec the Matte tasks run with it (both sides of farm/ use it).

    taught_model("/shows/abc/sh010/cmn", "sh010")   ->  /shows/abc/sh010/cmn/.cmn/taught/sh010.pt
    matte_spec("OUT/jobs/j1/shot.yaml", folder)     ->  folder/shot.matte.yaml (model: the taught one)

The Teach step (farm/worker/teach.py) writes the model there; the Matte step reads it: on an OpenJD
worker through the session's spec (farm/worker/commands.py), on Deadline 10 and OpenCue through the
matte spec written at submit. Light: the shot spec and a directory listing of the plate.
"""
from __future__ import annotations

import os

from cmn_vfx.job.spec import ShotSpec

TAUGHT_FOLDER = os.path.join(".cmn", "taught")
MATTE_NAME = "shot.matte.yaml"


def taught_model(output: str, name: str) -> str:
    """Where a shot's taught model goes: OUT/.cmn/taught/<name>.pt (its ONNX export beside it)."""
    return os.path.join(output, TAUGHT_FOLDER, f"{name}.pt")


def shot_name(spec: ShotSpec) -> str:
    """The name the shot's outputs take (the spec's, else the plate's: cmn_vfx.job.frames.sequence_name)."""
    from cmn_vfx.io.sequence import find_sequence
    return spec.name or find_sequence(spec.plate).name


def matte_spec(spec_path: str, folder: str) -> str:
    """The spec the Matte tasks run: `spec_path` itself without keys, else a copy in `folder` whose model is the
    taught one and whose keys are gone (they are in that model now)."""
    spec = ShotSpec.from_yaml(spec_path)
    if spec.keys is None:
        return spec_path
    spec.model = taught_model(spec.output, shot_name(spec))
    spec.keys = None                # taught: cmn-matte run refuses a spec that still has keys
    path = os.path.join(folder, MATTE_NAME)
    spec.to_yaml(path)
    return path
