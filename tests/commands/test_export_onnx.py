"""`cmn-matte export-onnx` on a taught model: the correction sidecar is written with the step's checkpoint sha256,
and --check compares torch's correction with the sidecar's in OpenVINO and ONNX Runtime as it does the step,
failing (exit 3, one line) beyond its tolerance."""
import json

import pytest
import torch

from cmn_vfx.cli import matte_main
from cmn_vfx.commands.export_onnx import TOLERANCE
from cmn_vfx.io.digest import sha256_of
from cmn_vfx.model import save_checkpoint
from cmn_vfx.model.onnx_format import check_correction
from tests.model.test_correction import _pair

RUNTIMES = ["onnx", "openvino"]


@pytest.fixture
def taught(tmp_path) -> str:
    """A tiny checkpoint with a correction net whose residual visibly moves the alpha (tests/model/test_correction)."""
    path = str(tmp_path / "taught.pt")
    save_checkpoint(path, _pair()[1])
    return path


def _export(capsys, *argv) -> tuple[int, dict, str]:
    code = matte_main(["export-onnx", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_check_compares_the_correction_in_both_runtimes_and_passes(taught, capsys):
    code, report, _ = _export(capsys, "--model", taught, "--check")
    assert code == 0
    step = taught[:-3] + ".onnx"
    assert report["onnx"] == step and report["correction_onnx"] == taught[:-3] + ".correction.onnx"
    assert check_correction(step, sha256_of(taught))["sha256"] == report["sha256"]      # the sidecar, this checkpoint's
    for part in ("alpha", "correction"):
        by_runtime = report[f"max_abs_{part}_difference_by_runtime"]
        assert sorted(by_runtime) == RUNTIMES and max(by_runtime.values()) <= TOLERANCE
        assert report[f"max_abs_{part}_difference"] == max(by_runtime.values())


def test_check_fails_when_the_sidecar_does_not_run_as_torch_does(taught, capsys, monkeypatch):
    """A sidecar whose weights differ from the checkpoint's (here: its head scaled as it is exported)."""
    from cmn_vfx.model import onnx_export
    export_correction = onnx_export.export_correction

    def tampered(net, *args, **kwargs):
        with torch.no_grad():
            net.head.weight.mul_(1.5)
        return export_correction(net, *args, **kwargs)
    monkeypatch.setattr(onnx_export, "export_correction", tampered)
    code, report, err = _export(capsys, "--model", taught, "--check")
    assert code == 3
    assert "correction differs from torch's" in err and err.count("\n") == 1
    assert report["max_abs_alpha_difference"] <= TOLERANCE                # the step is as torch's
    assert all(d > 100 * TOLERANCE for d in report["max_abs_correction_difference_by_runtime"].values())
