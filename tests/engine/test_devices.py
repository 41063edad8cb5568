"""The engine on every device this machine has: CUDA cases run where a GPU is, else skip (docs/benchmarks.md, GPU path)."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from cmn_vfx.io.image import read_image
from engine_helpers import matte

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


def _alpha(out, frame=1003):
    return read_image(os.path.join(out, "alpha", f"sh010.{frame}.exr")).pixels[..., 0]


@CUDA
@pytest.mark.parametrize("precision,bound", [("fp32", 1e-3), ("fp16", 2e-2), ("bf16", 5e-2)])
def test_cuda_matches_the_cpu(plate, checkpoint, tmp_path, precision, bound):
    """Mean |alpha(cuda, precision) - alpha(cpu, fp32)| per frame; fp16/bf16 through autocast."""
    assert matte(plate, "--out", str(tmp_path / "cpu"), "--model", checkpoint) == 0
    from cmn_vfx.cli import matte_main
    code = matte_main(["run", plate, "--out", str(tmp_path / "gpu"), "--model", checkpoint, "--precision", precision,
                       "--device", "cuda", "--no-progress"])
    assert code == 0
    for frame in (1001, 1003, 1006):
        diff = np.abs(_alpha(str(tmp_path / "gpu"), frame) - _alpha(str(tmp_path / "cpu"), frame))
        assert diff.mean() < bound, (precision, frame, diff.mean())


def test_the_cpu_runs_here(plate, checkpoint, tmp_path):
    """The device the CI has: --device cpu writes every frame (the CUDA cases above compare to this)."""
    assert matte(plate, "--out", str(tmp_path / "cpu"), "--model", checkpoint) == 0
    assert np.isfinite(_alpha(str(tmp_path / "cpu"))).all()
