"""The feature cache of the frozen-trunk model (v5): clips rendered once, the trunk run once per whole frame.

    python -m cmn_vfx_training.features --config configs/train/v5.yaml --clips 240 [--part 0/2]

One folder per clip under `cache.dir` (runs/ or a user folder, never git), written atomically (a
temporary folder renamed when complete), so a killed build resumes where it stopped and several
processes (`--part i/n`) can fill one cache. A clip holds T whole frames at data.size:
    src.npy   [T,H,W,3] uint8 sRGB            pha.npy  [T,H,W] uint8 (the truth, 1/255 steps)
    prior.npy [T,H,W] uint8 (data.prior: the real prior on real people, simulated on procedural mattes)
    f8.npy    [T,40,H/8,W/8] fp16, f16.npy [T,320,H/16,W/16] fp16: FrozenTrunkEncoder.late of the frame
    flow.npy  [T,2,H,W] fp16: backward DIS flow t->t-1 in pixels (frame 0: zeros), the model's own preset
Training draws crops aligned to the 16 px grid and pays only for the heads (training/heads.py).
"""
from __future__ import annotations

import argparse
import os
import shutil

import numpy as np
import torch

from cmn_vfx_training.heads_config import HeadsConfig

FILES = ("src", "pha", "prior", "f8", "f16", "flow")


def clip_dirs(root: str) -> list[str]:
    """The complete clips of a cache, in index order."""
    if not os.path.isdir(root):
        return []
    return [os.path.join(root, n) for n in sorted(os.listdir(root)) if n.startswith("clip") and not n.endswith(".tmp")]


def load_clip(path: str) -> dict[str, np.ndarray]:
    """A cached clip's arrays, memory-mapped (read on use)."""
    return {k: np.load(os.path.join(path, k + ".npy"), mmap_mode="r") for k in FILES}


@torch.no_grad()
def render_clip(dataset, encoder, flow, idx: int) -> dict[str, np.ndarray]:
    """Clip idx of `dataset` (cmn_vfx_training.data.MattingDataset) with its trunk features and flow."""
    sample = dataset.clip(idx)
    src = torch.from_numpy(np.ascontiguousarray(sample["src"].transpose(0, 3, 1, 2))).float()
    f8, f16 = encoder.cached_features(src)
    flows = [torch.zeros(1, 2, *src.shape[-2:])] + [flow(src[t:t + 1], src[t - 1:t]) for t in range(1, len(src))]
    to8 = lambda a: np.clip(np.rint(np.asarray(a) * 255), 0, 255).astype(np.uint8)  # noqa: E731
    return {"src": to8(sample["src"]), "pha": to8(sample["pha"]), "prior": to8(sample["prior"]),
            "f8": f8.half().numpy(), "f16": f16.half().numpy(), "flow": torch.cat(flows).half().numpy()}


def build(cfg: HeadsConfig, clips: int, part: tuple[int, int] = (0, 1)) -> int:
    """Fill cfg.cache_dir up to `clips` clips (this process: indices i with i % n == part). Returns clips written."""
    from cmn_vfx.model import ModelConfig, build_model
    from cmn_vfx_training.data import build_dataset

    torch.set_num_threads(1)
    model = build_model(ModelConfig.from_dict(cfg.model)).eval()
    dataset = build_dataset(dict(cfg.data, seq_length=cfg.clip_frames, fixed=True))
    os.makedirs(cfg.cache_dir, exist_ok=True)
    written = 0
    for idx in range(part[0], clips, part[1]):
        final = os.path.join(cfg.cache_dir, f"clip{idx:06d}")
        if os.path.isdir(final):
            continue
        tmp = final + f".{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        for key, arr in render_clip(dataset, model.encoder, model.flow, idx).items():
            np.save(os.path.join(tmp, key + ".npy"), arr)
        os.rename(tmp, final)
        written += 1
        print(f"cache: {final}", flush=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render training clips and cache the frozen trunk's features.")
    parser.add_argument("--config", required=True, help="heads training YAML (configs/train/v5.yaml)")
    parser.add_argument("--clips", type=int, default=240, help="clips in the cache when done")
    parser.add_argument("--part", default="0/1", help="i/n: this process renders the clips with index %% n == i")
    args = parser.parse_args(argv)
    i, n = (int(v) for v in args.part.split("/"))
    build(HeadsConfig.from_yaml(args.config), args.clips, (i, n))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
