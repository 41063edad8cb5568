"""A portrait still: image + alpha read, foreground colour estimated, cut edges continued.

numpy + OpenCV only (pymatting on demand). Images ``[H,W,C]`` float32, sRGB-encoded 0..1
unless a caller linearises them. The sample shot (cmn_vfx/sample_shot.py) and training's
synthetic clips (training/data/) share it.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import cv2
import numpy as np

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.atomic import atomic_path


@dataclass
class Still:
    """A portrait still: ``fgr [H,W,3]`` float32 0..1 sRGB (foreground colour,
    defined everywhere) and ``pha [H,W]`` float32 0..1."""

    fgr: np.ndarray
    pha: np.ndarray
    name: str = ''
    anchor_xy: tuple[float, float] | None = None  # set when edges were extended (see extend_cut_edges)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.pha.shape[1], self.pha.shape[0]

    def subject_height(self) -> float:
        """Pixels from the top of the alpha (> 0.5) down to the anchor."""
        ys = np.nonzero(self.pha.max(axis=1) > 0.5)[0]
        return float(self.anchor()[1] - ys.min() + 1) if ys.size else float(self.pha.shape[0])

    def cut_at_bottom(self) -> bool:
        """True when the body continues below the anchor (the image cut it)."""
        row = min(int(self.anchor()[1]) + 1, self.pha.shape[0] - 1)
        return bool(self.pha[row].max() > 0.5)

    def anchor(self) -> tuple[float, float]:
        """Centre of the alpha's bounding box in x, bottom of it in y (where a
        portrait's shoulders are cut by the frame edge)."""
        if self.anchor_xy is not None:
            return self.anchor_xy
        ys, xs = np.nonzero(self.pha > 0.5)
        if xs.size == 0:
            return self.size[0] / 2.0, self.size[1] / 2.0
        return (xs.min() + xs.max()) / 2.0, float(ys.max())


# ---------------------------------------------------------------- foreground colour
def estimate_foreground(image: np.ndarray, pha: np.ndarray, cache_path: str | None = None) -> np.ndarray:
    """Foreground colour from an image and its alpha (pymatting's estimate_foreground_ml).

    image: [H,W,3] float 0..1 sRGB; pha: [H,W] float 0..1. Returns [H,W,3] float32 0..1.
    With ``cache_path`` the result is stored as a 16-bit PNG and reused next time.
    """
    if cache_path and os.path.isfile(cache_path):
        cached = cv2.imread(cache_path, cv2.IMREAD_UNCHANGED)
        if cached is not None and cached.shape[:2] == pha.shape:
            return cached[:, :, ::-1].astype(np.float32) / 65535.0
    from pymatting import estimate_foreground_ml  # slow import (numba); only when needed

    fgr = estimate_foreground_ml(image.astype(np.float64), pha.astype(np.float64))
    fgr = np.clip(fgr, 0.0, 1.0).astype(np.float32)
    if cache_path:
        os.makedirs(os.path.dirname(os.path.abspath(cache_path)), exist_ok=True)
        _, png = cv2.imencode('.png', np.round(fgr[:, :, ::-1] * 65535.0).astype(np.uint16))
        with atomic_path(cache_path) as tmp, open(tmp, 'wb') as fh:  # parallel workers may race here
            fh.write(png.tobytes())
    return fgr


def load_still(image_path: str, alpha_path: str, max_side: int | None = None,
               cache_dir: str | None = None, extend: bool = True) -> Still:
    """Read a portrait (8-bit sRGB image + alpha PNG/JPEG), resize so its longer
    side is at most ``max_side`` (area filter), estimate its foreground colour
    (cached under ``cache_dir`` keyed on the file contents and size); with
    ``extend``, continue the body past the image edges it touches (extend_cut_edges)."""
    image = cv2.imread(image_path, cv2.IMREAD_COLOR)
    alpha = cv2.imread(alpha_path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise BadInputError(f'{image_path}: cannot read the portrait image; check the file is a valid JPEG/PNG')
    if alpha is None:
        raise BadInputError(f'{alpha_path}: cannot read the alpha matte; check the file is a valid PNG/JPEG')
    if alpha.ndim == 3:
        alpha = alpha[:, :, -1] if alpha.shape[2] == 4 else alpha[:, :, 0]
    if alpha.shape[:2] != image.shape[:2]:
        raise BadInputError(f'{alpha_path}: alpha is {alpha.shape[1]}x{alpha.shape[0]} but the image is '
                            f'{image.shape[1]}x{image.shape[0]}; give an alpha of the same size')
    scale_max = float(np.iinfo(alpha.dtype).max) if alpha.dtype.kind == 'u' else 1.0
    if max_side and max(image.shape[:2]) > max_side:
        s = max_side / max(image.shape[:2])
        size = (max(1, round(image.shape[1] * s)), max(1, round(image.shape[0] * s)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    rgb = image[:, :, ::-1].astype(np.float32) / 255.0
    pha = np.clip(alpha.astype(np.float32) / scale_max, 0.0, 1.0)
    name = os.path.splitext(os.path.basename(image_path))[0]
    cache_path = None
    if cache_dir:
        key = hashlib.sha1()
        for p in (image_path, alpha_path):
            with open(p, 'rb') as f:
                key.update(f.read())
        cache_path = os.path.join(cache_dir, f'{name}_{pha.shape[1]}x{pha.shape[0]}_{key.hexdigest()[:10]}.fgr.png')
    still = Still(estimate_foreground(rgb, pha, cache_path), pha, name)
    return extend_cut_edges(still) if extend else still


def extend_cut_edges(still: Still, fraction: float = 0.5, slope: float = 1.0, threshold: float = 0.5) -> Still:
    """Continue the body past the image edges it is cut by (left, right, bottom).

    A portrait whose shoulders touch the image edge shows a hard cut once moved
    or shrunk inside a larger frame. Cut sides are padded by ``fraction`` of the
    width, repeating the edge column but only below a line that falls ``slope``
    pixels per pixel outwards from the edge's topmost opaque row (the shoulder
    line continues down like an arm); a cut bottom then repeats the last row.
    The anchor stays at the original image's bottom. The result is the truth by
    construction (alpha and colour are both defined for the new pixels).
    """
    h, w = still.pha.shape
    anchor = still.anchor()
    fgr, pha = still.fgr, still.pha
    pad_w = int(fraction * w)
    left = pad_w if pha[:, 0].max() >= threshold else 0
    right = pad_w if pha[:, -1].max() >= threshold else 0
    if left or right:
        tops = [np.argmax(col >= threshold) for col in (pha[:, 0], pha[:, -1])]
        fgr = cv2.copyMakeBorder(fgr, 0, 0, left, right, cv2.BORDER_REPLICATE)
        pha = cv2.copyMakeBorder(pha, 0, 0, left, right, cv2.BORDER_REPLICATE)
        ys = np.arange(h, dtype=np.float32)[:, None]
        for side, top, width in ((0, tops[0], left), (1, tops[1], right)):
            if not width:
                continue
            dist = np.arange(width, 0, -1, dtype=np.float32) if side == 0 else np.arange(1, width + 1, dtype=np.float32)
            ramp = np.clip(ys - (top + slope * dist[None, :]) + 0.5, 0.0, 1.0)
            cols = slice(0, left) if side == 0 else slice(pha.shape[1] - right, pha.shape[1])
            pha[:, cols] *= ramp
    bottom = int(fraction * h) if pha[-1].max() >= threshold else 0
    if bottom:
        fgr = cv2.copyMakeBorder(fgr, 0, bottom, 0, 0, cv2.BORDER_REPLICATE)
        pha = cv2.copyMakeBorder(pha, 0, bottom, 0, 0, cv2.BORDER_REPLICATE)
    if pha is still.pha:
        return still
    return Still(fgr, np.ascontiguousarray(pha), still.name, (anchor[0] + left, anchor[1]))
