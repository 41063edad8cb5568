"""Preflight of a taught model's correction sidecar (farm/preflight.py check_correction_export): a job that runs the
ONNX export of a model with a correction net is refused at submit, in one line that says what to do, when
MODEL.correction.onnx is missing or was exported from another checkpoint; by the engine's rule
(cmn_vfx.model.onnx_format.check_correction), without a runtime package."""
from __future__ import annotations

import os
import shutil
from types import SimpleNamespace

import pytest

from cmn_vfx.errors import BadInputError
from cmn_vfx_farm.preflight import check_correction_export
from farm_helpers import cmn_farm, write_spec


@pytest.fixture(scope="module")
def taught(tmp_path_factory) -> str:
    """A tiny checkpoint with a correction net (tests/model/test_correction), exported beside itself: MODEL.pt,
    MODEL.onnx and MODEL.correction.onnx."""
    from cmn_vfx.model import load_model, save_checkpoint
    from cmn_vfx.model.onnx_export import export_onnx
    from tests.model.test_correction import _pair
    path = str(tmp_path_factory.mktemp("taught") / "taught.pt")
    save_checkpoint(path, _pair()[1])
    model, meta = load_model(path)
    export_onnx(model, meta, path[:-3] + ".onnx", size=(48, 64))
    return path


@pytest.fixture
def copy(taught, tmp_path) -> str:
    """The taught checkpoint and its exports, copied into tmp_path (a test may break them)."""
    for suffix in (".pt", ".onnx", ".correction.onnx"):
        shutil.copy(taught[:-3] + suffix, str(tmp_path / "taught") + suffix)
    return str(tmp_path / "taught.pt")


def _spec(runtime: str = "onnx", keys: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(runtime=runtime, keys=keys)


def _refused(spec, path: str) -> str:
    with pytest.raises(BadInputError) as refused:
        check_correction_export(spec, path)
    message = str(refused.value)
    assert "\n" not in message and "cmn-matte export-onnx --model" in message and "teach" in message
    return message


@pytest.mark.parametrize("runtime", ["onnx", "openvino"])
def test_a_good_sidecar_passes(copy, runtime):
    check_correction_export(_spec(runtime), copy)
    check_correction_export(_spec(runtime), copy[:-3] + ".onnx")       # the model given as its export


def test_a_missing_sidecar_is_refused_in_one_line(copy):
    os.remove(copy[:-3] + ".correction.onnx")
    assert "taught.correction.onnx is not beside it" in _refused(_spec(), copy)
    assert "taught.correction.onnx is not beside it" in _refused(_spec("auto"), copy[:-3] + ".onnx")
    check_correction_export(_spec("auto"), copy)         # auto runs torch, saying why (cmn_vfx.engine.runtime)
    check_correction_export(_spec("torch"), copy)
    check_correction_export(_spec(keys="keys/sh010.####.exr"), copy)   # the Teach step exports the model it runs


def test_a_sidecar_of_another_checkpoint_is_refused_in_one_line(copy, tmp_path):
    """Another checkpoint: the same weights saved again, so only the sha256 tells them apart."""
    from cmn_vfx.model import load_model, save_checkpoint
    from cmn_vfx.model.onnx_export import export_onnx
    model, _ = load_model(copy)
    other = str(tmp_path / "other" / "taught.pt")
    os.makedirs(os.path.dirname(other))
    save_checkpoint(other, model, {"iteration": 1})
    model, meta = load_model(other)
    export_onnx(model, meta, other[:-3] + ".onnx", size=(48, 64))
    shutil.copy(other[:-3] + ".correction.onnx", copy[:-3] + ".correction.onnx")
    assert "was exported from another checkpoint" in _refused(_spec(), copy)


def test_submit_refuses_a_missing_sidecar_before_a_job_exists(copy, plate, tmp_path):
    os.remove(copy[:-3] + ".correction.onnx")
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"), model=copy,
                      runtime="onnx")
    got = cmn_farm("submit", spec, "--dry-run", "--json")
    assert got.returncode == 2, got.stderr
    assert "taught.correction.onnx is not beside it" in got.stderr and got.stderr.count("\n") == 1
    assert not os.path.exists(tmp_path / "out")
