"""Keys carried to their neighbours by optical flow: more poses of the shot's subject for the correction net to
learn from than the keys alone (cmn_vfx.teach.correct, CorrectSettings.propagate).

    labels = propagate({f: src_f for f in frames}, {1001: key, 1011: key}, radius=4, cuts={1015})
    labels[1004].alpha, labels[1004].weight, labels[1004].steps     # [h,w] 0..1, [h,w] 0..1 (0: untrusted), 3

From each key, one frame at a time forward and backward (up to `radius` frames, stopping at another key, at a
frame missing from `src`, and at a cut), the key's alpha is warped along the flow of the plate from the new frame to the one before it
(cmn_vfx.model.dis_numpy.backward_flow, the engine's own DIS; preset MEDIUM, a fresh DIS per pair). A pixel's
weight is the product, along the chain, of two checks of that flow: forward-backward consistency (the flow there and the
reverse flow where it lands nearly cancel: not occluded, not a flow error) and colour (the frame matches the warped
frame before it). A frame both of its keys reach takes, per pixel, the label of fewer steps where its weight is
over a half, else the other's.

Why: three keys teach the net three poses, and on the other frames the shot's subject moves (fast_a's other poses
stayed as the automatic pass had them) or the automatic pass fails differently (dark_b). Measured on the
validation clips (docs/teach.md, "Keys carried by the flow"): the carried keys are 2-6 MAD x1e3 from the truth
1-4 frames from two_a's keys, 3-14 on dark_b's where the automatic alpha is 52-95, on 63-99% of the pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cmn_vfx.model.dis_numpy import backward_flow

FB_ABS = 0.5        # forward-backward check: |f_b + f_f(x + f_b)| < FB_ABS + FB_REL * (|f_b| + |f_f(x + f_b)|) px
FB_REL = 0.05
PRESET = "medium"   # DIS preset (cmn_vfx.model.dis_numpy.PRESETS)
COLOUR = 0.06       # colour check: mean |I_t - warp(I_prev)| over RGB (sRGB 0..1) below this


@dataclass
class Label:
    """A frame's carried key: alpha [h,w] 0..1, weight [h,w] 0..1 (0 where the flow is not trusted), the steps
    from its key."""

    alpha: np.ndarray
    weight: np.ndarray
    steps: int


def _warp(img: np.ndarray, flow: np.ndarray, grid: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return cv2.remap(img, grid[0] + flow[..., 0], grid[1] + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def carry(src_to: np.ndarray, src_from: np.ndarray, alpha: np.ndarray, weight: np.ndarray) -> Label:
    """alpha and weight [h,w] of frame src_from ([h,w,3] sRGB 0..1) carried to the next frame src_to (steps 0)."""
    h, w = alpha.shape
    grid = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    back = backward_flow(src_to, src_from, PRESET)      # for each pixel of src_to: where it is in src_from
    fwd_at = _warp(backward_flow(src_from, src_to, PRESET), back, grid)
    mismatch = np.linalg.norm(back + fwd_at, axis=-1)
    consistent = mismatch < FB_ABS + FB_REL * (np.linalg.norm(back, axis=-1) + np.linalg.norm(fwd_at, axis=-1))
    colour = np.abs(src_to - _warp(src_from.astype(np.float32), back, grid)).mean(-1) < COLOUR
    carried = _warp(weight.astype(np.float32), back, grid) * consistent * colour
    return Label(np.clip(_warp(alpha.astype(np.float32), back, grid), 0, 1), carried.astype(np.float32), 0)


def propagate(src: dict[int, np.ndarray], keys: dict[int, np.ndarray], radius: int,
              cuts: set[int] = frozenset()) -> dict[int, Label]:
    """{frame: Label} for the frames of src ({frame: [h,w,3] sRGB 0..1}) within `radius` of a key ({frame: [h,w]
    0..1}), the keys excluded. cuts: frames where the shot cuts (a new shot starts there); no key crosses one."""
    found: dict[int, list[Label]] = {}
    for k, key in keys.items():
        for d in (-1, 1):
            label = Label(key.astype(np.float32), np.ones(key.shape, np.float32), 0)
            for s in range(1, radius + 1):
                t = k + d * s
                if t not in src or t in keys or max(t, t - d) in cuts:
                    break
                label = carry(src[t], src[t - d], label.alpha, label.weight)
                label.steps = s
                found.setdefault(t, []).append(label)
    return {t: _merge(labels) for t, labels in found.items()}


def _merge(labels: list[Label]) -> Label:
    """One label from a frame's two (fewer steps first where its weight is over a half, else the other's)."""
    if len(labels) == 1:
        return labels[0]
    near, far = sorted(labels, key=lambda label: label.steps)
    use_far = (near.weight <= 0.5) & (far.weight > 0.5)
    return Label(np.where(use_far, far.alpha, near.alpha), np.where(use_far, far.weight, near.weight), near.steps)
