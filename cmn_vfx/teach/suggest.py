"""Which frames to key: where an automatic run's matte is least sure (`cmn-matte suggest-keys`).

    rows = suggest(alphas, count=3)      # alphas {frame: [H,W] 0..1} -> [Suggestion], most useful first

Two signs, both as a share of the frame so they compare:
- unsure: the share of pixels neither 0 nor 1 (UNSURE_LO..UNSURE_HI): a soft grey body, a matte half there;
- change: how much the matted area (alpha > 0.5) grows or shrinks from the frame before: a person
  appears or vanishes, or the matte drops a limb. Counted twice (CHANGE_GAIN): a key there teaches the
  model the subject where the automatic pass loses or finds it.
Frames are taken greedily by score, each at least `gap` frames from those already taken, so the keys
spread over the shot instead of bunching where one problem lasts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNSURE_LO, UNSURE_HI = 0.05, 0.95
CHANGE_GAIN = 2.0


@dataclass(frozen=True)
class Suggestion:
    frame: int
    score: float
    unsure: float       # share of the frame neither 0 nor 1
    change: float       # signed change of the matted share from the frame before

    @property
    def reason(self) -> str:
        if CHANGE_GAIN * abs(self.change) >= self.unsure:
            what = "grows" if self.change > 0 else "shrinks"
            return (f"the matted area {what} by {100 * abs(self.change):.1f}% of the frame from the frame before "
                    f"(a person {'appears' if self.change > 0 else 'vanishes'}, or a part of one)")
        return f"{100 * self.unsure:.1f}% of the matte is neither 0 nor 1"


def frame_signs(alpha: np.ndarray) -> tuple[float, float]:
    """(unsure share, matted share) of one alpha [H,W]."""
    return float(((alpha > UNSURE_LO) & (alpha < UNSURE_HI)).mean()), float((alpha > 0.5).mean())


def suggest(signs: dict[int, tuple[float, float]], count: int = 3, gap: int | None = None) -> list[Suggestion]:
    """Up to `count` frames, most useful first. signs: {frame: frame_signs(alpha)}; gap: the least distance
    between two suggested frames (default: the shot's length / (2 x count), at least 2)."""
    frames = sorted(signs)
    if gap is None:
        gap = max(2, len(frames) // (2 * max(count, 1)))
    rows = []
    for i, frame in enumerate(frames):
        unsure, area = signs[frame]
        change = area - signs[frames[i - 1]][1] if i and frames[i - 1] == frame - 1 else 0.0
        rows.append(Suggestion(frame, max(unsure, CHANGE_GAIN * abs(change)), unsure, change))
    taken: list[Suggestion] = []
    for row in sorted(rows, key=lambda r: (-r.score, r.frame)):
        if len(taken) == count:
            break
        if row.score > 0 and all(abs(row.frame - t.frame) >= gap for t in taken):
            taken.append(row)
    return taken
