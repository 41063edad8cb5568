"""A GPU pack (training/gpu_pack.py) read onto the training device: torch and numpy only.

    pack = load_pack("runs/gpu_pack", torch.device("cuda"))

Every file is checked against the manifest's sha256 before it is read (a truncated copy is refused).
Stills become premultiplied linear-light layers with two coarser levels (2x and 4x area means), so a
subject drawn at a quarter of its size is sampled from a level near its size instead of aliasing.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.digest import sha256_of
from cmn_vfx_training.gpu_pack import FORMAT   # its OpenCV/PyAV readers are imported only where it builds a pack

LEVELS = 3


def srgb_decode(x: torch.Tensor) -> torch.Tensor:
    """sRGB-encoded 0..1 -> linear light (IEC 61966-2-1; training.augment.srgb_decode in torch)."""
    return torch.where(x <= 0.04045, x / 12.92, ((x.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4)


def srgb_encode(x: torch.Tensor) -> torch.Tensor:
    """Linear light 0..1 -> sRGB-encoded 0..1 (inverse of srgb_decode)."""
    return torch.where(x <= 0.0031308, x * 12.92, 1.055 * x.clamp(min=0.0031308) ** (1 / 2.4) - 0.055)


def from_ycc420(luma: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> torch.Tensor:
    """Inverse of training.gpu_pack.to_ycc420: luma [N,H,W], cb, cr [N,H/2,W/2] uint8 -> [N,3,H,W] float 0..1 sRGB
    (chroma upsampled bilinearly)."""
    y = torch.from_numpy(luma).float()[:, None]
    size = y.shape[-2:]
    up = lambda c: F.interpolate(torch.from_numpy(c).float()[:, None], size=size, mode="bilinear",  # noqa: E731
                                 align_corners=False) - 128
    b, r = up(cb), up(cr)
    rgb = torch.cat([y + 1.403 * r, y - 0.344 * b - 0.714 * r, y + 1.773 * b], 1)
    return (rgb / 255).clamp(0, 1)


@dataclass
class Pack:
    """levels: LEVELS tensors [N,4,Hk,Wk] (premultiplied linear RGB, alpha), each half the size of the one before;
    anchor [N,2] (x, y) and height [N] in level-0 pixels, cut [N] bool (the body runs off the still's bottom);
    backgrounds [M,3,H,W] float 0..1 sRGB; trunk: FrozenTrunkEncoder.trunk's state dict (fp32)."""

    levels: list[torch.Tensor]
    anchor: torch.Tensor
    height: torch.Tensor
    cut: torch.Tensor
    backgrounds: torch.Tensor
    trunk: dict[str, torch.Tensor]
    manifest: dict


def _checked(folder: str, name: str, manifest: dict) -> str:
    path = os.path.join(folder, name)
    want = manifest["sha256"].get(name)
    if want is None or not os.path.isfile(path):
        raise BadInputError(f"{path}: missing from the pack; build it again with python -m cmn_vfx_training.gpu_pack")
    if sha256_of(path) != want:
        raise BadInputError(f"{path}: does not match the pack's manifest (truncated or changed); copy the pack again")
    return path


def read_manifest(folder: str) -> dict:
    """The pack's manifest.json, checked to be one."""
    path = os.path.join(folder, "manifest.json")
    try:
        with open(path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: no readable pack manifest ({exc.__class__.__name__}); "
                            "build the pack with python -m cmn_vfx_training.gpu_pack and carry that folder") from None
    if manifest.get("format") != FORMAT:
        raise BadInputError(f"{path}: not a GPU pack manifest (format {manifest.get('format')!r})")
    return manifest


def load_pack(folder: str, device: torch.device) -> Pack:
    """Read and check a pack; stills and backgrounds go onto `device`."""
    manifest = read_manifest(folder)
    stills = np.load(_checked(folder, "stills.npz", manifest), allow_pickle=False)
    metas = manifest["stills"]
    arrays = [stills[m["key"]] for m in metas]
    h = max(a.shape[0] for a in arrays)
    w = max(a.shape[1] for a in arrays)
    level0 = torch.zeros(len(arrays), 4, h, w)
    for i, a in enumerate(arrays):   # top-left aligned: still pixel coordinates stay as they were
        rgba = torch.from_numpy(a).permute(2, 0, 1).float() / 255
        level0[i, :, :a.shape[0], :a.shape[1]] = torch.cat([srgb_decode(rgba[:3]) * rgba[3:], rgba[3:]])
    level0 = level0.to(device)
    levels = [level0]
    for _ in range(LEVELS - 1):
        levels.append(F.avg_pool2d(levels[-1], 2, ceil_mode=True))
    bg = np.load(_checked(folder, "backgrounds.npz", manifest), allow_pickle=False)
    trunk = torch.load(_checked(folder, "trunk.pt", manifest), map_location="cpu", weights_only=True)
    return Pack(levels=levels,
                anchor=torch.tensor([m["anchor"] for m in metas], dtype=torch.float32, device=device),
                height=torch.tensor([m["subject_height"] for m in metas], dtype=torch.float32, device=device),
                cut=torch.tensor([bool(m["cut_at_bottom"]) for m in metas], device=device),
                backgrounds=from_ycc420(bg["luma"], bg["cb"], bg["cr"]).to(device),
                trunk={k: v.float() if v.is_floating_point() else v for k, v in trunk.items()},
                manifest=manifest)


def init_heads(folder: str, manifest: dict) -> dict[str, torch.Tensor] | None:
    """The pack's init_heads.pt (a checkpoint's weights without the trunk), or None when it has none."""
    if "init_heads.pt" not in manifest["sha256"]:
        return None
    heads = torch.load(_checked(folder, "init_heads.pt", manifest), map_location="cpu", weights_only=True)
    return {k: v.float() if v.is_floating_point() else v for k, v in heads.items()}
