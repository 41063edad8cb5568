"""Every `cmn-matte run` option that changes pixels reaches the engine the same way from the command
line and from a farm task (`cmn-matte run --spec <frozen shot.yaml> --frames A-B`)."""
import argparse

import pytest

from cmn_vfx.commands import run
from cmn_vfx.engine.config import EngineConfig, ShotJob
from cmn_vfx.io.sequence import Sequence
from cmn_vfx.job.spec import ShotSpec

# flag and value -> where the engine reads it: (EngineConfig or ShotJob, attribute, value there)
PIXEL_OPTIONS = [
    (["--model", "/models/other.pt"], "config", "model", "/models/other.pt"),
    (["--threads", "3"], "config", "threads", 3),
    (["--precision", "bf16"], "config", "precision", "bf16"),
    (["--refine", "none"], "config", "refine", "none"),
    (["--temporal", "0"], "config", "temporal", 0.0),
    (["--prior", "selfie"], "config", "prior", "selfie"),
    (["--downsample", "0.5"], "config", "downsample", 0.5),
    (["--warmup", "3"], "config", "warmup", 3),
    (["--no-auto-cuts"], "config", "auto_cuts", False),
    (["--colorspace", "ACEScg"], "job", "colorspace", "ACEScg"),
    (["--layer", "plate"], "job", "layer", "plate"),
    (["--missing", "hold"], "job", "missing", "hold"),
    (["--cuts", "1003,1005"], "job", "cuts", [1003, 1005]),
    (["--subject", "main"], "job", "subject", "main"),
    (["--subject", "main", "--person-layers"], "job", "person_layers", True),
]
# Options that choose where the network runs, not its pixels (the runtimes agree to float32 rounding,
# tests/engine/test_runtime.py); a farm task still carries them.
ROUTE_OPTIONS = [
    (["--device", "cpu"], "config", "device", "cpu"),
    (["--runtime", "torch"], "config", "runtime", "torch"),
]
# Options that change which frames are written, where, or how the run reports: not pixels.
OTHER_OPTIONS = {"--help", "--out", "--spec", "--frames", "--name", "--resolve-subject",
                 "--overwrite", "--json", "--no-progress"}
SEQ = Sequence("/plates", "sh010.", ".exr", 4, tuple(range(1001, 1013)))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser()
    run.add_parser(root.add_subparsers())
    return root


def engine_side(argv: list[str]) -> tuple[EngineConfig, ShotJob]:
    spec = run.shot_spec(parser().parse_args(argv))
    return EngineConfig.from_spec(spec), ShotJob.from_spec(spec, SEQ, spec.output, "sh010")


def test_every_option_is_listed():
    """A new option must be placed: it changes pixels (a test below) or it does not."""
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    options = {o for a in sub.choices["run"]._actions for o in a.option_strings if o.startswith("--")}
    listed = {flag[0] for flag, *_ in PIXEL_OPTIONS + ROUTE_OPTIONS} | {"--person-layers"} | OTHER_OPTIONS
    assert options == listed


@pytest.mark.parametrize("flags,side,attr,value", PIXEL_OPTIONS + ROUTE_OPTIONS,
                         ids=[" ".join(p[0]) for p in PIXEL_OPTIONS + ROUTE_OPTIONS])
def test_option_round_trips_through_a_farm_task(flags, side, attr, value, tmp_path):
    direct = engine_side(["run", "/plates/sh010.####.exr", "--out", str(tmp_path / "out"), *flags])
    default = engine_side(["run", "/plates/sh010.####.exr", "--out", str(tmp_path / "out")])
    pick = 0 if side == "config" else 1
    assert getattr(direct[pick], attr) == value != getattr(default[pick], attr)
    # the farm freezes the spec into its job folder (cmn_vfx_farm.backends.base.new_job_dir) ...
    frozen = str(tmp_path / "shot.yaml")
    run.shot_spec(parser().parse_args(["run", "/plates/sh010.####.exr", "--out", str(tmp_path / "out"),
                                       *flags])).to_yaml(frozen)
    # ... and each task runs `cmn-matte run --spec shot.yaml --frames A-B`
    task = engine_side(["run", "--spec", frozen, "--frames", "1005-1008"])
    assert getattr(task[pick], attr) == value
    assert task[0] == direct[0]
    assert ShotSpec.from_yaml(frozen).to_dict() == run.shot_spec(parser().parse_args(["run", "--spec", frozen])).to_dict()
