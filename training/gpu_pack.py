"""The carried folder of a GPU training run (training/gpu_train.py): everything it needs, under 64 MiB.

    python -m cmn_vfx_training.gpu_pack --config configs/train/v5.yaml --out runs/gpu_pack [--init runs/v5/last.pt]

Runs here, in the project's .venv (OpenCV, PyAV and pymatting read and prepare the sources); the GPU
machine then needs only torch and numpy. The folder holds:
    trunk.pt          the frozen trunk's state dict in fp16 (FrozenTrunkEncoder.trunk, ~6 MB)
    stills.npz        still_NNN [H,W,4] uint8: estimated foreground colour (sRGB) + alpha of each TRAINING
                      portrait (cmn_vfx.synth.still.load_still, cut edges continued; longer side at most max_side)
    backgrounds.npz   luma [N,H,W], cb, cr [N,H/2,W/2] uint8 (JPEG's YCbCr of the sRGB frame, chroma at half
                      size: 0.4x the bytes of RGB): N frames evenly spaced over the training part of each
                      training background video (training/data/backgrounds.py SPLITS; validation videos skipped),
                      fitted to data.size; N is as many as the size budget allows
    init_heads.pt     (with --init) the heads' weights of a checkpoint in fp16, to start from (the trunk is in trunk.pt)
    manifest.json     sources, counts, still anchors, the heads training config, sha256 of every file
Validation portraits and videos (training/data/splits.py) never enter: it is asserted before writing.

The size budget: a device call carries at most 64 MiB IN ALL, the tracked tree included (the device tool's
README, Limits: "the working tree that travels (tracked and untracked-not-ignored files, shared/, carried
paths)"), so the pack gets 64 MiB less what already travels, less a margin for the tree to grow. The trunk
and the stills are fixed (~7 MiB); the background frames fill the rest. The folder is written under a
temporary name and renamed when complete and within the budget.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess

import numpy as np
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.digest import sha256_of
from cmn_vfx_training.heads_config import HeadsConfig

FORMAT = "cmn-vfx-gpu-pack"
VERSION = 1
TRUNK_PREFIX = "encoder.trunk."
MAX_MIB = 64.0


def to_u8(x: np.ndarray) -> np.ndarray:
    """float 0..1 -> uint8 (rounded, clipped)."""
    return np.clip(np.rint(np.asarray(x, np.float32) * 255), 0, 255).astype(np.uint8)


def pack_stills(cfg: HeadsConfig) -> tuple[dict[str, np.ndarray], list[dict]]:
    """The training portraits of every `portraits` entry of cfg.data.foregrounds: arrays and their metadata."""
    from cmn_vfx_training.data.portraits import PortraitSource
    from cmn_vfx_training.data.splits import VALIDATION_PORTRAITS

    arrays, meta = {}, []
    for entry in cfg.data.get("foregrounds", []):
        if entry.get("type") != "portraits":
            continue
        cache = cfg.data.get("cache_dir")
        source = PortraitSource(entry["root"], split="train", max_side=int(entry.get("max_side", 640)),
                                cache_dir=cache and os.path.join(cache, "foreground"))
        for idx in range(len(source)):
            still = source.still(idx)
            if still.name in VALIDATION_PORTRAITS:  # PortraitSource('train') drops them; never trust it blindly
                raise AssertionError(f"gpu pack: validation portrait {still.name} in the training portraits")
            key = f"still_{len(meta):03d}"
            arrays[key] = np.concatenate([to_u8(still.fgr), to_u8(still.pha)[..., None]], axis=2)
            meta.append({"key": key, "name": still.name, "root": entry["root"], "size": list(still.size),
                         "anchor": [float(v) for v in still.anchor()], "subject_height": still.subject_height(),
                         "cut_at_bottom": still.cut_at_bottom()})
    if not meta:
        raise BadInputError("gpu pack: data.foregrounds has no portraits entry; the GPU path animates real portraits")
    return arrays, meta


def training_frames(cfg: HeadsConfig) -> tuple[list[np.ndarray], list[dict]]:
    """Every frame of the training part of each `folder` background, fitted to data.size: uint8 [H,W,3] sRGB."""
    from cmn_vfx.synth.footage import fit_to_canvas
    from cmn_vfx_training.data.backgrounds import BackgroundSource
    from cmn_vfx_training.data.splits import is_validation_video

    h, w = (int(v) for v in cfg.data.get("size", (288, 512)))
    frames, meta = [], []
    for entry in cfg.data.get("backgrounds", []):
        if entry.get("type") != "folder":
            continue
        source = BackgroundSource(entry["root"], split="train")
        for idx, item in enumerate(source._items):
            if is_validation_video(item.path):
                raise AssertionError(f"gpu pack: validation video {item.path} in the training backgrounds")
            first, end = source.window_range(idx)
            raw = source.read(idx, first, end - first, raw=True)
            meta.append({"path": item.path, "first": first, "end": end, "index": [len(frames), len(frames) + len(raw)]})
            frames += [to_u8(fit_to_canvas(np.asarray(f, np.float32) / 255, (w, h))) for f in raw]
    if not frames:
        raise BadInputError("gpu pack: data.backgrounds has no folder entry with training frames")
    return frames, meta


def to_ycc420(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """[N,H,W,3] uint8 sRGB (H, W even) -> luma [N,H,W], cb, cr [N,H/2,W/2] uint8 (JPEG's full-range YCbCr).
    The inverse is training.gpu_data.from_ycc420."""
    f = rgb.astype(np.float32)
    y = f @ np.float32([0.299, 0.587, 0.114])
    half = lambda c: c.reshape(c.shape[0], c.shape[1] // 2, 2, c.shape[2] // 2, 2).mean((2, 4))  # noqa: E731
    u8 = lambda c: np.clip(np.rint(c), 0, 255).astype(np.uint8)  # noqa: E731
    return {"luma": u8(y), "cb": u8(half(128 + 0.564 * (f[..., 2] - y))), "cr": u8(half(128 + 0.713 * (f[..., 0] - y)))}


def write_backgrounds(path: str, frames: list[np.ndarray], count: int) -> list[int]:
    """Write `count` frames evenly spaced over `frames` to path (npz); returns their indices."""
    picked = sorted({int(round(v)) for v in np.linspace(0, len(frames) - 1, max(1, min(count, len(frames))))})
    np.savez_compressed(path, **to_ycc420(np.stack([frames[i] for i in picked])))
    return picked


def trunk_state(cfg: HeadsConfig) -> dict[str, torch.Tensor]:
    """The frozen trunk's weights and statistics (ImageNet, from cfg.model.pretrained), floats in fp16."""
    from cmn_vfx.model import ModelConfig, build_model

    model = build_model(ModelConfig.from_dict(cfg.model))
    return {k[len(TRUNK_PREFIX):]: v.half() if v.is_floating_point() else v
            for k, v in model.state_dict().items() if k.startswith(TRUNK_PREFIX)}


def heads_state(path: str) -> dict[str, torch.Tensor]:
    """A checkpoint's weights without the trunk, floats in fp16 (a starting point; half the bytes leave room
    for twice the background frames): what --init carries."""
    from cmn_vfx.model.checkpoint import read_checkpoint

    return {k: v.half() if v.is_floating_point() else v for k, v in read_checkpoint(path)["model"].items()
            if not k.startswith(TRUNK_PREFIX)}


def folder_mib(path: str) -> float:
    return sum(os.path.getsize(os.path.join(path, n)) for n in os.listdir(path)) / 2 ** 20


def travelling_mib(root: str = ".") -> float:
    """What a device call sends besides the carried paths: tracked and untracked-not-ignored files, shared/."""
    listed = []
    for extra in ([], ["-o", "--exclude-standard"]):
        out = subprocess.run(["git", "ls-files", "-z", *extra], cwd=root, capture_output=True, check=True).stdout
        listed += [os.path.join(root, p) for p in out.decode().split("\0") if p]
    shared = os.path.join(root, "shared")
    for top, _, names in os.walk(shared) if os.path.isdir(shared) else ():
        listed += [os.path.join(top, n) for n in names]
    return sum(os.path.getsize(p) for p in set(listed) if os.path.isfile(p)) / 2 ** 20


def build_pack(cfg: HeadsConfig, out: str, budget_mib: float, init: str | None = None,
               max_frames: int | None = None) -> dict:
    """Write the pack folder `out` (replacing one there) within budget_mib; returns its manifest."""
    if cfg.data.get("split", "train") != "train":
        raise BadInputError(f"gpu pack: data.split is {cfg.data.get('split')!r}; "
                            "the pack holds training data only (split: train)")
    tmp = out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    stills, still_meta = pack_stills(cfg)
    np.savez_compressed(os.path.join(tmp, "stills.npz"), **stills)
    torch.save(trunk_state(cfg), os.path.join(tmp, "trunk.pt"))
    if init:
        torch.save(heads_state(init), os.path.join(tmp, "init_heads.pt"))
    fixed = folder_mib(tmp)
    if fixed + 0.5 > budget_mib:
        shutil.rmtree(tmp)
        raise BadInputError(f"gpu pack: the trunk and stills{' and init heads' if init else ''} take {fixed:.1f} MiB, "
                            f"over the {budget_mib:.1f} MiB budget with room for backgrounds; make the tree smaller")
    frames, bg_meta = training_frames(cfg)
    bg_path = os.path.join(tmp, "backgrounds.npz")
    count = min(len(frames), max_frames or len(frames))
    while True:
        picked = write_backgrounds(bg_path, frames, count)
        bg_mib = os.path.getsize(bg_path) / 2 ** 20
        if fixed + bg_mib <= budget_mib or count == 1:
            break
        count = min(count - 1, int(count * (budget_mib - fixed) / bg_mib * 0.97))
    if fixed + bg_mib > budget_mib:
        shutil.rmtree(tmp)
        raise BadInputError(f"gpu pack: {fixed + bg_mib:.1f} MiB is over the {budget_mib:.1f} MiB budget")
    train_config = cfg.to_dict()
    train_config["model"] = dict(cfg.model, pretrained=None)   # the trunk's weights travel in trunk.pt
    manifest = write_manifest(tmp, train_config, still_meta, {"sources": bg_meta, "picked": picked}, init)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    return manifest


def write_manifest(folder: str, train_config: dict, stills: list[dict], backgrounds: dict,
                   init: str | None = None) -> dict:
    """Write folder/manifest.json over the data files already there (their sha256 included); returns it.
    stills: one dict per still_NNN (key, name, anchor [x, y], subject_height, cut_at_bottom)."""
    manifest = {"format": FORMAT, "version": VERSION, "commit": _commit(), "train_config": train_config,
                "stills": stills, "backgrounds": backgrounds, "init": init,
                "sha256": {n: sha256_of(os.path.join(folder, n)) for n in sorted(os.listdir(folder))
                           if n != "manifest.json"}}
    with open(os.path.join(folder, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    manifest["mib"] = round(folder_mib(folder), 2)
    return manifest


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: list[str] | None = None) -> int:
    from cmn_vfx.console import run_cli

    parser = argparse.ArgumentParser(prog="python -m cmn_vfx_training.gpu_pack", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="heads training YAML (configs/train/v5.yaml)")
    parser.add_argument("--out", default="runs/gpu_pack", help="the folder to write (runs/ is never in git)")
    parser.add_argument("--init", default=None, help="a checkpoint whose heads start the GPU run")
    parser.add_argument("--max-mib", type=float, default=None,
                        help=f"the pack's budget (default: {MAX_MIB:g} MiB less the tree that travels, less --margin)")
    parser.add_argument("--margin", type=float, default=1.0, help="MiB left for the tree to grow")
    parser.add_argument("--max-frames", type=int, default=None, help="at most this many background frames")

    def run(args: argparse.Namespace) -> int:
        tree = travelling_mib()
        budget = args.max_mib if args.max_mib is not None else MAX_MIB - tree - args.margin
        m = build_pack(HeadsConfig.from_yaml(args.config), args.out, budget, args.init, args.max_frames)
        print(f"{args.out}: {m['mib']} MiB (budget {budget:.1f}: the tree sends {tree:.1f} MiB), "
              f"{len(m['stills'])} stills ({', '.join(s['name'] for s in m['stills'])}), "
              f"{len(m['backgrounds']['picked'])} background frames of "
              f"{sum(b['end'] - b['first'] for b in m['backgrounds']['sources'])}")
        return 0

    return run_cli(parser, argv, run)


if __name__ == "__main__":
    raise SystemExit(main())
