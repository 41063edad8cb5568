"""Training's synthetic clip: a still moved over a background with exact ground truth.

Each frame is composited as ``src = pha * fgr + (1 - pha) * bgr`` (cmn_vfx/synth/render.py),
so alpha and foreground are exact, and the motion applied is the exact backward optical
flow of the foreground (t -> t-1). Frames are rendered one at a time (memory-light):
``render_frame`` is the unit. Flow ``[H,W,2]`` float32 in pixels, (dx, dy), points from a
pixel in frame t to where the same foreground point was in frame t-1.

The still, its motion and its drawing live in the core (cmn_vfx/synth/), which the
sample shot shares; what only training needs (flow, prescaling, the Frame record) is here.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cmn_vfx.synth.motion import Motion
from cmn_vfx.synth.render import composite, move_background, render_subject
from cmn_vfx.synth.still import Still


def prescale(still: Still, motion: Motion, cache: dict | None = None) -> tuple[Still, Motion]:
    """Shrink the still (area filter, powers of two) when the motion shrinks it below half
    size everywhere, so bilinear warps do not alias hair; the rendered frames stay the same
    geometry. ``cache`` (a dict) keeps shrunk stills between calls."""
    level = 1
    while motion.subject[:, 2].max() * level * 2 <= 1.0 and min(still.size) // (level * 2) >= 8:
        level *= 2
    if level == 1:
        return still, motion
    key = (id(still), level)
    if cache is None or key not in cache:
        w, h = still.size
        size = (max(1, round(w / level)), max(1, round(h / level)))
        # scale about pixel centres: x_small = (x + 0.5) / level - 0.5
        anchor = still.anchor()
        small = Still(cv2.resize(still.fgr, size, interpolation=cv2.INTER_AREA),
                      cv2.resize(still.pha, size, interpolation=cv2.INTER_AREA), still.name,
                      ((anchor[0] + 0.5) / level - 0.5, (anchor[1] + 0.5) / level - 0.5))
        if cache is None:
            return small, _scaled_motion(motion, small, level)
        cache[key] = small
    return cache[key], _scaled_motion(motion, cache[key], level)


def _scaled_motion(motion: Motion, small: Still, level: int) -> Motion:
    subject = motion.subject.copy()
    subject[:, 2] *= level
    return Motion(subject, motion.camera, small.anchor(), motion.canvas)


def backward_flow(motion: Motion, idx: int) -> np.ndarray:
    """Exact backward flow [H,W,2] (t -> t-1) of the subject at frame ``idx``.

    A canvas pixel x at frame t shows still point A_t^-1 x, which sat at
    A_{t-1} A_t^-1 x in frame t-1. Zero at the first frame (no previous frame).
    """
    w, h = motion.canvas
    if idx <= 0:
        return np.zeros((h, w, 2), np.float32)
    m = motion.subject_matrix(idx - 1) @ np.linalg.inv(motion.subject_matrix(idx))
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    flow = np.empty((h, w, 2), np.float32)
    flow[..., 0] = (m[0, 0] - 1) * xs + m[0, 1] * ys + m[0, 2]
    flow[..., 1] = m[1, 0] * xs + (m[1, 1] - 1) * ys + m[1, 2]
    return flow


@dataclass
class Frame:
    """One rendered frame (all [H,W,C] float32, sRGB 0..1 except flow in pixels)."""

    src: np.ndarray
    pha: np.ndarray
    fgr: np.ndarray
    bgr: np.ndarray
    flow: np.ndarray


def render_frame(still: Still, motion: Motion, idx: int, background: np.ndarray,
                 blur_samples: int = 1) -> Frame:
    """Render frame ``idx``: background [H,W,3] at canvas size (before the camera move)."""
    fgr, pha = render_subject(still, motion, idx, blur_samples)
    bgr = move_background(background, motion, idx)
    return Frame(composite(fgr, pha, bgr), pha, fgr, bgr, backward_flow(motion, idx))
