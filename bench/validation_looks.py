"""Synthetic looks for the validation suite: what real footage has and the five validation portraits lack.

Each look changes a validation still or plate and keeps the truth exact (bench/validation_clips.py uses them):
- a strong pattern (stripes, grey checks) printed on a portrait's clothing, shaded by the portrait's own
  shading, where alpha is 1 below the face: colour only, the alpha is unchanged;
- the back of a head (the blurred face filled with the portrait's own hair) and a straw hat, which is
  part of the person and so is ADDED to the alpha;
- a slow non-rigid sway of the upper body (a smooth displacement field, the same on colour and alpha);
- a grey street (a background desaturated, its contrast lowered) and dark footage (-3 stops in linear
  light, lifted blacks, sensor noise) applied to the whole plate.
Stills: fgr [H,W,3] float32 0..1 sRGB, pha [H,W] float32 0..1 (cmn_vfx.synth.still).
"""
from __future__ import annotations

import zlib

import cv2
import numpy as np

from cmn_vfx import color
from cmn_vfx.synth.still import Still

# Where clothing starts on each portrait, as a fraction of its subject height above the anchor
# (measured on the stills; above it are face, neck and hair). A portrait not listed has no clothing look.
CLOTHING_TOP = {"p_22fc0130": 0.31, "p_819ea202": 0.82, "p_0865636e": 1.0}
PATTERNS = {  # name: (period as a fraction of the subject height, dark colour, light colour)
    "stripes": (0.045, (0.05, 0.06, 0.12), (0.95, 0.95, 0.93)),
    "grey_checks": (0.03, (0.3, 0.31, 0.33), (0.7, 0.7, 0.68)),
}


def _luma(rgb: np.ndarray) -> np.ndarray:
    """[...,3] sRGB -> [...] Rec.709 weights on the encoded values (a look, not a measurement)."""
    return rgb @ np.float32([0.2126, 0.7152, 0.0722])


def _seed(*parts) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def apply_looks(still: Still, looks: tuple) -> Still:
    """The still with each look of `looks` applied in order: a pattern of PATTERNS ('stripes', 'grey_checks'),
    'back_of_head', 'hat' or 'hat:<tilt degrees>'."""
    for look in looks:
        name, _, arg = look.partition(":")
        if name in PATTERNS:
            still = pattern_clothing(still, name)
        elif name == "back_of_head":
            still = back_of_head(still)
        elif name == "hat":
            still = add_hat(still, float(arg or 0.0))[0]
        else:
            raise ValueError(f"unknown look {look!r}: one of {', '.join(PATTERNS)}, back_of_head, hat[:tilt]")
    return still


def _head(still: Still) -> tuple[float, float, float]:
    """(centre x, top y, width) of the head: the alpha's top and its span a fifth of the subject lower."""
    ys = np.nonzero(still.pha.max(1) > 0.5)[0]
    top = float(ys.min())
    row = np.nonzero(still.pha[int(top + 0.2 * still.subject_height())] > 0.5)[0]
    return (row.min() + row.max()) / 2.0, top, float(row.max() - row.min())


def _skin(fgr: np.ndarray) -> np.ndarray:
    """[H,W] bool: skin-coloured pixels (YCrCb box)."""
    ycc = cv2.cvtColor((fgr * 255).astype(np.uint8), cv2.COLOR_RGB2YCrCb).astype(np.int32)
    return (ycc[..., 0] > 40) & (ycc[..., 1] > 135) & (ycc[..., 1] < 180) & (ycc[..., 2] > 85) & (ycc[..., 2] < 135)


def pattern_clothing(still: Still, name: str) -> Still:
    """Stripes or checks (PATTERNS[name]) on the clothing (alpha > 0.5, below CLOTHING_TOP, not skin), multiplied by the
    portrait's own shading (its blurred luminance over the clothing's 95th percentile)."""
    if still.name not in CLOTHING_TOP:
        raise ValueError(f"{still.name}: no clothing region measured (CLOTHING_TOP)")
    period, dark, light = PATTERNS[name]
    h, w = still.pha.shape
    height = still.subject_height()
    ax, ay = still.anchor()
    period_px = max(4.0, period * height)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cloth = (still.pha > 0.5) & (yy > ay - CLOTHING_TOP[still.name] * height) & ~_skin(still.fgr)
    cloth = cv2.morphologyEx(cloth.astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)).astype(np.float32)
    weight = cv2.GaussianBlur(cloth, (0, 0), 1.5)[..., None]
    lum = cv2.GaussianBlur(_luma(still.fgr), (0, 0), 0.01 * height)
    shade = np.clip(lum / max(np.percentile(lum[cloth > 0], 95), 1e-3), 0.3, 1.0) ** 0.6
    band = lambda v: 0.5 + 0.5 * np.tanh(3.0 * np.sin(2 * np.pi * v / period_px))  # noqa: E731  soft-edged bars
    mix = band(yy) if name.endswith("stripes") else np.abs(band(yy) - band(xx))
    cloth_rgb = (mix[..., None] * np.float32(light) + (1 - mix[..., None]) * np.float32(dark)) * shade[..., None]
    fgr = (weight * cloth_rgb + (1 - weight) * still.fgr).astype(np.float32)
    return Still(fgr, still.pha, still.name, still.anchor_xy)


def back_of_head(still: Still) -> Still:
    """The face (an ellipse below the hairline) filled with the portrait's own hair, mirrored and tiled,
    feathered into it: the head seen from behind. Alpha unchanged."""
    cx, top, width = _head(still)
    h, w = still.pha.shape
    patch = still.fgr[int(top + 0.1 * width):int(top + 0.35 * width), int(cx - 0.3 * width):int(cx + 0.3 * width)]
    mirrored = np.concatenate([np.concatenate([patch, patch[:, ::-1]], 1),
                               np.concatenate([patch[::-1], patch[::-1, ::-1]], 1)], 0)  # tiles without seams
    tile = np.tile(mirrored, (h // mirrored.shape[0] + 1, w // mirrored.shape[1] + 1, 1))[:h, :w]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    face = ((xx - cx) / (0.43 * width)) ** 2 + ((yy - (top + 0.85 * width)) / (0.62 * width)) ** 2 < 1.0
    mask = cv2.GaussianBlur(face.astype(np.float32), (0, 0), 0.03 * width)[..., None]
    fgr = (mask * tile + (1 - mask) * still.fgr).astype(np.float32)
    return Still(fgr, still.pha, still.name, still.anchor_xy)


def hat_layer(still: Still, tilt: float = 0.0) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int]]:
    """A woven straw hat on the still's head: (rgb [h,w,3], alpha [h,w], (top, left, right) padding the
    still needs so that the hat fits), in the padded still's pixels."""
    cx, top, width = _head(still)
    brim_a, brim_b, crown_a, crown_b = 0.95 * width, 0.16 * width, 0.56 * width, 0.5 * width
    pad_top = int(max(0.0, crown_b + brim_b - (top + 0.32 * width)) + 4)
    pad_side = int(max(0.0, brim_a - min(cx, still.pha.shape[1] - cx)) + 4)
    h, w = still.pha.shape[0] + pad_top, still.pha.shape[1] + 2 * pad_side
    cx, cy = cx + pad_side, top + pad_top + 0.32 * width            # the brim's centre, over the head
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.deg2rad(tilt)
    u = np.cos(r) * (xx - cx) + np.sin(r) * (yy - cy)              # along the brim
    v = -np.sin(r) * (xx - cx) + np.cos(r) * (yy - cy)             # up the hat is negative
    rng = np.random.default_rng(_seed(still.name, "hat"))
    theta = np.arctan2(v / brim_b, u / brim_a)
    ragged = 1.0 + sum(0.012 * np.sin(k * theta + rng.uniform(0, 2 * np.pi)) for k in (7, 13, 29))

    def soft(d: np.ndarray, scale: float) -> np.ndarray:           # 1-px antialiased inside of d < 1
        return np.clip(0.5 - (d - 1.0) * scale, 0.0, 1.0).astype(np.float32)
    brim = soft(np.sqrt((u / brim_a) ** 2 + (v / brim_b) ** 2) / ragged, brim_b)
    dome = np.sqrt((u / crown_a) ** 2 + (np.minimum(v, 0) / crown_b) ** 2)
    crown = soft(dome, crown_b) * soft(v / (0.6 * brim_b), brim_b)   # a dome down to just below the brim
    pha = np.maximum(brim, crown)
    period = 0.05 * width
    weave = 0.5 + 0.5 * np.sin(2 * np.pi * (u + v) / period) * np.sin(2 * np.pi * (u - v) / period)
    shade = np.where(crown > brim, 0.75 + 0.25 * np.cos(np.clip(u / crown_a, -1, 1) * np.pi / 2),
                     0.8 + 0.2 * np.clip(-v / brim_b, -1, 1))
    band = (crown > 0) & (v > -0.22 * crown_b) & (v < 0.05 * brim_b)
    rgb = np.float32([0.86, 0.74, 0.48]) * (0.75 + 0.25 * weave)[..., None] * shade[..., None]
    rgb[band] = np.float32([0.22, 0.12, 0.08]) * shade[band][..., None]
    return np.clip(rgb, 0, 1).astype(np.float32), pha, (pad_top, pad_side, pad_side)


def add_hat(still: Still, tilt: float = 0.0) -> tuple[Still, np.ndarray]:
    """The still wearing a straw hat (hat_layer composited over it, its alpha added to the person's):
    (still, the hat's alpha in the new still's pixels). The anchor stays on the same body pixel."""
    rgb, hat, (top, left, right) = hat_layer(still, tilt)
    fgr = cv2.copyMakeBorder(still.fgr, top, 0, left, right, cv2.BORDER_REPLICATE)
    pha = cv2.copyMakeBorder(still.pha, top, 0, left, right, cv2.BORDER_CONSTANT, value=0)
    out = hat + (1.0 - hat) * pha
    fgr = (hat[..., None] * rgb + ((1.0 - hat) * pha)[..., None] * fgr) / np.maximum(out, 1e-6)[..., None]
    fgr = np.where(out[..., None] > 1e-6, fgr, cv2.copyMakeBorder(still.fgr, top, 0, left, right, cv2.BORDER_REPLICATE))
    ax, ay = still.anchor()
    return Still(fgr.astype(np.float32), out.astype(np.float32), still.name, (ax + left, ay + top)), hat


def sway(still: Still, t: float, amount: float, period: float = 16.0) -> Still:
    """The upper body swayed at frame index t: x moves by amount x subject height x sin, weighted by
    smoothstep of the height above the anchor (hips still, head most), with a lagging second bend and a
    slight breathing lift; the same remap for colour and alpha, so the truth stays exact."""
    h, w = still.pha.shape
    height = still.subject_height()
    ax, ay = still.anchor()
    ys = np.arange(h, dtype=np.float32)
    k = np.clip((ay - ys) / height, 0.0, 1.0)
    k = k * k * (3 - 2 * k)
    phase = 2 * np.pi * t / period
    dx = amount * height * (np.sin(phase) * k + 0.35 * np.sin(phase - 1.2) * k ** 3)
    dy = 0.15 * amount * height * np.sin(2 * phase) * k
    map_x = np.arange(w, dtype=np.float32)[None, :] - dx[:, None]
    map_y = np.repeat((ys - dy)[:, None], w, 1).astype(np.float32)
    map_x = np.broadcast_to(map_x, (h, w)).astype(np.float32)
    fgr = cv2.remap(still.fgr, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    pha = cv2.remap(still.pha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return Still(fgr, pha, still.name, (ax, ay))


def grey_street(bg: np.ndarray) -> np.ndarray:
    """A background made a grey street: 12% of its saturation, contrast 0.6 about its mean. [H,W,3] sRGB 0..1."""
    lum = _luma(bg)[..., None]
    grey = lum + 0.12 * (bg - lum)
    return np.clip(grey.mean() + 0.6 * (grey - grey.mean()), 0.0, 1.0).astype(np.float32)


def dark_footage(src: np.ndarray, seed: int) -> np.ndarray:
    """Underexposed film: -3 stops in scene-linear light, blacks lifted (low contrast), then grain of
    sigma 0.02 in sRGB (luma) and 0.006 (chroma), fixed by seed. [H,W,3] sRGB 0..1 in and out."""
    linear = color.check_colorspace("lin_rec709")
    lin = color.convert(src, color.network_space(), linear) * 2.0 ** -3 * 0.92 + 0.004
    out = color.convert(lin.astype(np.float32), linear, color.network_space())
    rng = np.random.default_rng(seed)
    grain = rng.normal(0.0, 0.02, src.shape[:2] + (1,)) + rng.normal(0.0, 0.006, src.shape)
    return np.clip(out + grain, 0.0, 1.0).astype(np.float32)
