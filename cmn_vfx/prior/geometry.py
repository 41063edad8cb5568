"""Affine maps between a frame and a network's input tensor (letterbox, stretch, rotated ROI).

Every prior works the same way: build a 2x3 matrix `M` taking frame pixels to tensor
pixels, `warp_in` the frame, run the network, `warp_out` its mask with the inverse.
Pixel centres follow OpenCV (pixel i covers [i-0.5, i+0.5]).
"""
from __future__ import annotations

import math

import cv2
import numpy as np


def _centre_affine(scale_x: float, scale_y: float, angle: float, cx: float, cy: float, tw: int, th: int) -> np.ndarray:
    """Frame point (cx,cy) -> tensor centre, scaled, then rotated by -angle (radians)."""
    c, s = math.cos(angle), math.sin(angle)
    rot = np.diag([scale_x, scale_y]) @ np.array([[c, s], [-s, c]], np.float64)
    t = np.array([(tw - 1) / 2.0, (th - 1) / 2.0]) - rot @ np.array([cx, cy])
    return np.concatenate([rot, t[:, None]], 1)


def letterbox_affine(h: int, w: int, th: int, tw: int) -> np.ndarray:
    """Frame [h,w] -> tensor [th,tw] keeping aspect, centred, zero padded."""
    s = min(tw / w, th / h)
    return _centre_affine(s, s, 0.0, (w - 1) / 2.0, (h - 1) / 2.0, tw, th)


def stretch_affine(h: int, w: int, th: int, tw: int) -> np.ndarray:
    """Frame [h,w] -> tensor [th,tw] filling it (aspect not kept; MediaPipe's selfie default)."""
    return _centre_affine(tw / w, th / h, 0.0, (w - 1) / 2.0, (h - 1) / 2.0, tw, th)


def roi_affine(cx: float, cy: float, size: float, angle: float, t: int) -> np.ndarray:
    """Square ROI of side `size` frame pixels centred at (cx,cy), rotated by `angle` -> [t,t]."""
    s = t / size
    return _centre_affine(s, s, angle, cx, cy, t, t)


def warp_in(src: np.ndarray, M: np.ndarray, th: int, tw: int, border: str = "zero") -> np.ndarray:
    """src [h,w,C] float32 -> [th,tw,C] through M; shrinks with INTER_AREA first (no aliasing).

    border: what the tensor sees beyond the frame: 'zero' (black, as a letterbox) or 'replicate'
    (the edge pixels extended, so a body cut by the frame edge still looks like a body).
    """
    scale = math.sqrt(abs(np.linalg.det(M[:, :2])))
    if scale < 0.5:
        k = min(1.0, 2.0 * scale)
        h, w = src.shape[:2]
        sw, sh = max(1, round(w * k)), max(1, round(h * k))
        src = cv2.resize(src, (sw, sh), interpolation=cv2.INTER_AREA)
        pre = np.array([[sw / w, 0, 0.5 * sw / w - 0.5], [0, sh / h, 0.5 * sh / h - 0.5]])
        M = M @ np.vstack([np.linalg.inv(np.vstack([pre, [0, 0, 1]]))[:2], [0, 0, 1]])
    mode = {"zero": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE}[border]
    return cv2.warpAffine(src, M.astype(np.float64), (tw, th), flags=cv2.INTER_LINEAR, borderMode=mode, borderValue=0)


def warp_out(mask: np.ndarray, M: np.ndarray, h: int, w: int) -> np.ndarray:
    """mask [th,tw] -> [h,w] float32 in frame pixels (0 outside the tensor)."""
    return cv2.warpAffine(mask.astype(np.float32), M.astype(np.float64), (w, h),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
