"""Every `cmn-matte run` option that changes pixels reaches the engine the same way from the command
line and from a farm task (`cmn-matte run --spec <frozen shot.yaml> --frames A-B`)."""
import argparse

import pytest

from cmn_vfx.commands import run
from cmn_vfx.job.spec import ShotSpec

# flag and value -> the spec field the engine reads (MatteEngine takes the spec itself), value there
PIXEL_OPTIONS = [
    (["--model", "/models/other.pt"], "model", "/models/other.pt"),
    (["--precision", "bf16"], "precision", "bf16"),
    (["--refine", "none"], "refine", "none"),
    (["--temporal", "0"], "temporal", 0.0),
    (["--prior", "selfie"], "prior", "selfie"),
    (["--downsample", "0.5"], "downsample", "0.5"),
    (["--warmup", "3"], "warmup", 3),
    (["--no-auto-cuts"], "auto_cuts", False),
    (["--colorspace", "ACEScg"], "colorspace", "ACEScg"),
    (["--layer", "plate"], "layer", "plate"),
    (["--missing", "hold"], "missing", "hold"),
    (["--cuts", "1003,1005"], "cuts", [1003, 1005]),
    (["--subject", "main"], "subject", "main"),
    (["--subject", "main", "--person-layers"], "person_layers", True),
    (["--fg-colour", "network"], "fg_colour", "network"),
]
# Options that choose where the network runs, not its pixels (the runtimes agree to float32 rounding,
# tests/engine/test_runtime.py; so do thread counts); a farm task still carries them.
ROUTE_OPTIONS = [
    (["--device", "cpu"], "device", "cpu"),
    (["--runtime", "torch"], "runtime", "torch"),
    (["--threads", "3"], "threads", 3),
]
# Options that change which frames are written, where, or how the run reports: not pixels.
OTHER_OPTIONS = {"--help", "--out", "--spec", "--frames", "--name", "--resolve-subject",
                 "--overwrite", "--json", "--no-progress"}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser()
    run.add_parser(root.add_subparsers())
    return root


def engine_side(argv: list[str]) -> ShotSpec:
    """The spec `cmn-matte run ARGV` gives the engine."""
    return run.shot_spec(parser().parse_args(argv))


def test_pixel_options_set_pixel_fields_and_route_options_the_others():
    pixels = ShotSpec.pixel_fields()
    assert all(attr in pixels for _, attr, _ in PIXEL_OPTIONS)
    assert not any(attr in pixels for _, attr, _ in ROUTE_OPTIONS)


def test_every_pixel_field_has_an_option():
    """A setting that changes pixels can be given on the command line, not only in a spec file."""
    assert {attr for _, attr, _ in PIXEL_OPTIONS} == set(ShotSpec.pixel_fields())


def test_every_option_is_listed():
    """A new option must be placed: it changes pixels (a test below) or it does not."""
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    options = {o for a in sub.choices["run"]._actions for o in a.option_strings if o.startswith("--")}
    listed = {flag[0] for flag, *_ in PIXEL_OPTIONS + ROUTE_OPTIONS} | {"--person-layers"} | OTHER_OPTIONS
    assert options == listed


@pytest.mark.parametrize("flags,attr,value", PIXEL_OPTIONS + ROUTE_OPTIONS,
                         ids=[" ".join(p[0]) for p in PIXEL_OPTIONS + ROUTE_OPTIONS])
def test_option_round_trips_through_a_farm_task(flags, attr, value, tmp_path):
    direct = engine_side(["run", "/plates/sh010.####.exr", "--out", str(tmp_path / "out"), *flags])
    default = engine_side(["run", "/plates/sh010.####.exr", "--out", str(tmp_path / "out")])
    assert getattr(direct, attr) == value != getattr(default, attr)
    # the farm freezes the spec into its job folder (cmn_vfx_farm.backends.base.new_job_dir) ...
    frozen = str(tmp_path / "shot.yaml")
    direct.to_yaml(frozen)
    # ... and each task runs `cmn-matte run --spec shot.yaml --frames A-B`
    task = engine_side(["run", "--spec", frozen, "--frames", "1005-1008"])
    assert getattr(task, attr) == value
    assert task.to_dict() == dict(direct.to_dict(), frames="1005-1008")
    assert ShotSpec.from_yaml(frozen).to_dict() == run.shot_spec(parser().parse_args(["run", "--spec", frozen])).to_dict()


def test_a_spec_with_keys_is_refused_not_run_with_the_base_model(tmp_path, capsys):
    """keys: are the farm's Teach step's (or cmn-matte teach's): a local run must not matte with the base model."""
    from cmn_vfx.cli import matte_main
    spec = ShotSpec(plate=str(tmp_path / "plate" / "sh010.####.exr"), output=str(tmp_path / "out"),
                    keys=str(tmp_path / "keys" / "sh010.####.exr"))
    path = str(tmp_path / "shot.yaml")
    spec.to_yaml(path)
    assert matte_main(["run", "--spec", path]) == 2
    err = capsys.readouterr().err
    assert "cmn-matte teach" in err and "keys" in err
    assert not (tmp_path / "out").exists()
