"""Tiny plates and tiny random-weight checkpoints for the engine tests (fixtures re-exported by conftest.py)."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from cmn_vfx.io.image import Box, write_exr
from cmn_vfx.job.spec import ShotSpec

# One intra-op thread: on a shared 2-core machine OpenMP spin-waiting makes 2 threads ~15x slower.
torch.set_num_threads(1)

FRAMES = range(1001, 1007)
DISPLAY = Box(0, 0, 64, 36)
DATA = Box(-2, -3, 68, 42)          # overscan on every side


def plate_pixels(frame: int, data: Box = DATA, scene: int = 0) -> np.ndarray:
    """[H,W,3] scene-linear: a soft disc moving right over a gradient, with highlights above 1."""
    ys, xs = np.mgrid[data.y:data.y + data.height, data.x:data.x + data.width].astype(np.float32)
    cx, cy = 20 + 3 * (frame - 1001), data.y + data.height / 2
    disc = np.clip(1.0 - (np.hypot(xs - cx, ys - cy) - 9) / 3, 0, 1)
    bg = 0.05 + 0.2 * xs[..., None] / max(data.width, 1) * np.array([0.3, 0.5, 1.0], np.float32)
    fg = np.array([2.5, 1.2, 0.6], np.float32) if scene == 0 else np.array([0.02, 0.9, 0.05], np.float32)
    if scene:
        bg = 0.8 - bg
    return (disc[..., None] * fg + (1 - disc[..., None]) * bg).astype(np.float32)


def write_plate(directory: str, name: str = "sh010", frames=FRAMES, data: Box = DATA, display: Box = DISPLAY,
                scene_of=lambda f: 0) -> str:
    os.makedirs(directory, exist_ok=True)
    for f in frames:
        write_exr(os.path.join(directory, f"{name}.{f:04d}.exr"), plate_pixels(f, data, scene_of(f)),
                  ("R", "G", "B"), data, display)
    return os.path.join(directory, f"{name}.####.exr")


def make_checkpoint(path: str, alpha_bias: float = 0.0, seed: int = 0, **config) -> str:
    """A tiny random-weight CMN (full variant, DIS flow; `config` overrides ModelConfig fields)
    saved with the real save_checkpoint."""
    from cmn_vfx.model import ModelConfig, build_model, save_checkpoint
    torch.manual_seed(seed)
    config = ModelConfig(variant="full", encoder="mobilenetv2", flow="dis", dis_preset="ultrafast",
                         **dict(dict(width=4, context=8), **config))
    model = build_model(config, load_weights=False).eval()
    with torch.no_grad():
        # Random init gives alpha ~0.5 everywhere and a recurrent effect below half-float
        # resolution; larger gains make both visible so the tests can see state and edges.
        for p in model.operator.parameters():
            if p.ndim == 4:
                p *= 10.0
        model.decoder_pha.last[1].weight *= 100.0
        model.decoder_pha.last[1].bias += alpha_bias
    save_checkpoint(path, model, {})
    return path


def export_beside(ckpt: str) -> str:
    """Export a checkpoint to ONNX beside it (what --runtime auto|openvino|onnx runs); returns the .onnx path."""
    from cmn_vfx.model import load_model
    from cmn_vfx.model.onnx_export import default_onnx_path, export_onnx
    model, meta = load_model(ckpt)
    path = default_onnx_path(ckpt)
    export_onnx(model, meta, path, size=(48, 64))
    return path


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> str:
    return make_checkpoint(str(tmp_path_factory.mktemp("ckpt") / "tiny.pt"))


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> str:
    """A tiny checkpoint with its ONNX export beside it."""
    ckpt = make_checkpoint(str(tmp_path_factory.mktemp("onnx") / "tiny.pt"))
    export_beside(ckpt)
    return ckpt


@pytest.fixture
def plate(tmp_path) -> str:
    return write_plate(str(tmp_path / "plate"))


def engine_spec(**settings) -> ShotSpec:
    """A spec to open a MatteEngine with (its run is given the plate and output folder)."""
    return ShotSpec(plate="plate.####.exr", output="out", **settings)


def matte(*argv: str) -> int:
    from cmn_vfx.cli import matte_main
    return matte_main(["run", *argv, "--device", "cpu", "--no-progress"])
