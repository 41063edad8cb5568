"""The frame's padding, the flow's resize and g_backwarp's sampling grid, in numpy: the engine's one copy.

The network does these in torch inside its graph (cmn_vfx.model.cmn.pad16, cmn_vfx.model.backwarp); the
torch-free runtime (cmn_vfx.engine.onnx_backend) does them outside the exported graph with these, to float32
rounding of torch's, and the stabiliser (cmn_vfx.engine.stabilise) pads its flow's frames with the same
pad16, so it can take the ONNX step's flow bit for bit. Torch-free.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from cmn_vfx.job.names import STRIDE


def pad16(x: np.ndarray) -> np.ndarray:
    """Edge-replicate right/bottom to a multiple of 16: [H,W,C] -> [H',W',C] (cmn_vfx.model.cmn.pad16)."""
    h, w = x.shape[:2]
    if h % STRIDE == 0 and w % STRIDE == 0:
        return x
    return np.pad(x, ((0, (-h) % STRIDE), (0, (-w) % STRIDE), (0, 0)), mode="edge")


def resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """[2,H,W] pixels -> [2,h,w] pixels of the new grid, as cmn_vfx.model.backwarp.resize_flow
    (torch's antialiased bilinear when shrinking, plain bilinear when growing)."""
    (h0, w0), (h, w) = flow.shape[-2:], size
    if (h, w) == (h0, w0):
        return flow
    antialias = h < h0 or w < w0
    ry, rx = _resize_matrix(h0, h, antialias), _resize_matrix(w0, w, antialias)
    out = np.einsum("yi,cij,xj->cyx", ry, flow.astype(np.float32), rx, optimize=True)
    return (out * np.array([w / w0, h / h0], np.float32)[:, None, None]).astype(np.float32)


@lru_cache(maxsize=32)
def _resize_matrix(n_in: int, n_out: int, antialias: bool) -> np.ndarray:
    """[n_out, n_in] weights of torch's bilinear interpolate (align_corners=False) along one axis;
    antialiased: ATen's _compute_indices_weights_aa, a triangle filter widened by the scale when shrinking."""
    scale = n_in / n_out
    support, invscale = (scale, 1.0 / scale) if scale >= 1.0 else (1.0, 1.0)
    m = np.zeros((n_out, n_in), np.float64)
    if not antialias:    # plain bilinear, the source index clamped at 0 and n_in - 1
        for i in range(n_out):
            x = max((i + 0.5) * scale - 0.5, 0.0)
            x0 = min(int(x), n_in - 1)
            x1, f = min(x0 + 1, n_in - 1), x - x0
            m[i, x0] += 1.0 - f
            m[i, x1] += f
        return m.astype(np.float32)
    for i in range(n_out):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        taps = np.maximum(0.0, 1.0 - np.abs((np.arange(lo, hi) - center + 0.5) * invscale))
        m[i, lo:hi] = taps / taps.sum() if taps.sum() > 0 else 0.0
    return m.astype(np.float32)


def sampling_grid(flow: np.ndarray) -> np.ndarray:
    """[2,h,w] backward flow in pixels -> [h,w,2] grid_sample coordinates (align_corners=True), float32,
    as cmn_vfx.model.backwarp.backwarp builds them."""
    _, h, w = flow.shape
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    gx = (xs + flow[0]) * np.float32(2.0 / max(w - 1, 1)) - np.float32(1.0)
    gy = (ys + flow[1]) * np.float32(2.0 / max(h - 1, 1)) - np.float32(1.0)
    return np.stack([gx, gy], -1).astype(np.float32)
