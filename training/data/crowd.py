"""More than one person in a training clip, and a person prior that fails the way a real one does.

`add_person` lays a second foreground clip (smaller, elsewhere, behind or in front of the first)
into the sample, so the network sees two people, people cut by the frame and people behind the
subject, and learns that every person is foreground (docs/data.md, "Several people").

`fault_prior` breaks the prior for a run of frames after the first: it blinks (fades out), jumps
(shifts) or drops one of the people it found. The truth does not change, so the only way for the
network to keep the subject is to carry it in its memory along the flow: this is what makes the
recurrence matter (the default model v4 recipe).
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx_training.augment import srgb_decode, srgb_encode
from cmn_vfx_training.data.sources import ForegroundClip

FAULTS = ('blink', 'shift', 'drop')


def _place(frames: np.ndarray, matrix: np.ndarray, canvas: tuple[int, int]) -> np.ndarray:
    flags = cv2.INTER_LINEAR
    return np.stack([cv2.warpAffine(f, matrix, canvas, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
                     for f in frames])


def add_person(first: ForegroundClip, second: ForegroundClip, rng: np.random.Generator) -> ForegroundClip:
    """``first`` with ``second`` scaled to 35-90% and moved sideways, behind it (70%) or in front.

    Layers are combined in linear light (premultiplied over); the result has no exact flow (None).
    """
    t, h, w = first.pha.shape
    scale = rng.uniform(0.35, 0.9)
    ys, xs = np.nonzero(second.pha[0] > 0.5)
    cx, bottom = (float(xs.mean()), float(ys.max())) if len(xs) else (w / 2, h)
    # its centre anywhere across the frame (cut by an edge sometimes), its lowest point near the bottom
    tx, ty = rng.uniform(0.0, 1.0) * w, rng.uniform(0.75, 1.15) * h
    matrix = np.float32([[scale, 0, tx - scale * cx], [0, scale, ty - scale * bottom]])
    # warped premultiplied, so edge pixels are not darkened by the empty border
    pha2 = _place(second.pha, matrix, (w, h))
    pre2 = _place(second.pha[..., None] * srgb_decode(second.fgr), matrix, (w, h))
    pre1 = first.pha[..., None] * srgb_decode(first.fgr)
    (top_p, top_a), (low_p, low_a) = ((pre1, first.pha), (pre2, pha2))
    if rng.random() < 0.3:
        (top_p, top_a), (low_p, low_a) = (low_p, low_a), (top_p, top_a)
    a_top = top_a[..., None]
    alpha = a_top + (1 - a_top) * low_a[..., None]
    premult = top_p + (1 - a_top) * low_p
    fgr = np.where(alpha > 1e-4, premult / np.maximum(alpha, 1e-4), srgb_decode(first.fgr))
    return ForegroundClip(fgr=srgb_encode(np.clip(fgr, 0, 1)).astype(np.float32),
                          pha=alpha[..., 0].astype(np.float32), flow=None, camera=first.camera,
                          real_person=first.real_person and second.real_person,
                          name=f'{first.name}+{second.name}')


def fault_prior(prior: np.ndarray, rng: np.random.Generator, kind: str | None = None) -> np.ndarray:
    """prior [T,H,W] 0..1 with one fault over a run of frames from frame 1 on (frame 0 stays whole)."""
    t, h, w = prior.shape
    if t < 2:
        return prior
    kind = kind or FAULTS[int(rng.integers(len(FAULTS)))]
    start = int(rng.integers(1, t))
    end = min(t, start + int(rng.integers(1, max(2, t // 2) + 1)))
    out = prior.copy()
    if kind == 'blink':
        out[start:end] *= rng.uniform(0.0, 0.3)
    elif kind == 'shift':
        dx, dy = rng.uniform(-0.1, 0.1) * w, rng.uniform(-0.05, 0.05) * h
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        out[start:end] = _place(out[start:end], m, (w, h))
    elif kind == 'drop':
        for i in range(start, end):
            count, labels = cv2.connectedComponents((out[i] > 0.5).astype(np.uint8))
            if count > 1:  # one of the people found (label 0 is the background)
                gone = cv2.dilate((labels == int(rng.integers(1, count))).astype(np.uint8), np.ones((9, 9), np.uint8))
                out[i] *= 1 - gone.astype(np.float32)
    else:
        raise ValueError(f'fault_prior: unknown fault {kind!r}; use one of {", ".join(FAULTS)}')
    return out
