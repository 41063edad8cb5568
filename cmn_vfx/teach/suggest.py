"""Which frames to key: where an automatic run's matte is least sure (`cmn-matte suggest-keys`).

    rows = suggest({frame: frame_signs(alpha, prior)}, count=3)      # -> [Suggestion], most useful first

Three signs, each as a share of the frame so they compare:
- unsure: the share of pixels neither 0 nor 1 (UNSURE_LO..UNSURE_HI): a soft grey body, a matte half there;
- change: how much the matted area (alpha > 0.5) grows or shrinks from the frame before: a person
  appears or vanishes, or the matte drops a limb. Counted twice (CHANGE_GAIN): a key there teaches the
  model the subject where the automatic pass loses or finds it.
- disagree: the share of the frame where the run's person prior (cmn_vfx.prior, run again on the plate:
  cmn_vfx.teach.plate_prior) and the matte differ by more than DISAGREE_BY: a person the network drops that
  the prior still sees, or one the network finds where the prior sees nobody. Counted twice (DISAGREE_GAIN),
  like a change: it marks a whole person's area. None where the prior was not run (--no-prior, no plate).
A frame's score is the larger of the first two (both read the alpha alone) plus the third (the plate's own
evidence): where a person drops out of the matte for one frame, the change marks the drop and the return
alike, the prior only the frame that is wrong. The reason names each sign at least half the largest.
Frames are taken greedily by score, each at least `gap` frames from those already taken, so the keys
spread over the shot instead of bunching where one problem lasts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

UNSURE_LO, UNSURE_HI = 0.05, 0.95
CHANGE_GAIN = 2.0
DISAGREE_BY, DISAGREE_GAIN = 0.5, 2.0


class Signs(NamedTuple):
    """What one frame's matte says (frame_signs): shares of the frame, 0..1."""

    unsure: float
    area: float                       # the matted share (alpha > 0.5)
    disagree: float | None = None     # where the prior and the matte differ by more than DISAGREE_BY


@dataclass(frozen=True)
class Suggestion:
    frame: int
    score: float
    unsure: float       # share of the frame neither 0 nor 1
    change: float       # signed change of the matted share from the frame before
    disagree: float | None = None   # share where the person prior and the matte disagree; None: not run

    @property
    def reason(self) -> str:
        """The signs behind the score, largest first (the prior's first on a tie), each at least half the largest."""
        what = "grows" if self.change > 0 else "shrinks"
        terms = [
            (DISAGREE_GAIN * (self.disagree or 0.0),
             f"the person prior and the matte disagree on {100 * (self.disagree or 0.0):.1f}% of the frame"),
            (CHANGE_GAIN * abs(self.change),
             f"the matted area {what} by {100 * abs(self.change):.1f}% of the frame from the frame before "
             f"(a person {'appears' if self.change > 0 else 'vanishes'}, or a part of one)"),
            (self.unsure, f"{100 * self.unsure:.1f}% of the matte is neither 0 nor 1")]
        top = max(t for t, _ in terms)
        return "; ".join(text for t, text in sorted(terms, key=lambda t: -t[0]) if t >= top / 2)


def frame_signs(alpha: np.ndarray, prior: np.ndarray | None = None) -> Signs:
    """The signs of one alpha [H,W] 0..1; prior: the person prior [H,W] 0..1 of its plate frame, same size
    (None: no disagree sign)."""
    unsure = float(((alpha > UNSURE_LO) & (alpha < UNSURE_HI)).mean())
    disagree = None if prior is None else float((np.abs(prior - alpha) > DISAGREE_BY).mean())
    return Signs(unsure, float((alpha > 0.5).mean()), disagree)


def suggest(signs: dict[int, Signs], count: int = 3, gap: int | None = None) -> list[Suggestion]:
    """Up to `count` frames, most useful first. signs: {frame: frame_signs(alpha, prior)}; gap: the least
    distance between two suggested frames (default: the shot's length / (2 x count), at least 2)."""
    frames = sorted(signs)
    if gap is None:
        gap = max(2, len(frames) // (2 * max(count, 1)))
    rows = []
    for i, frame in enumerate(frames):
        unsure, area, disagree = Signs(*signs[frame])
        change = area - Signs(*signs[frames[i - 1]]).area if i and frames[i - 1] == frame - 1 else 0.0
        score = max(unsure, CHANGE_GAIN * abs(change)) + DISAGREE_GAIN * (disagree or 0.0)
        rows.append(Suggestion(frame, score, unsure, change, disagree))
    taken: list[Suggestion] = []
    for row in sorted(rows, key=lambda r: (-r.score, r.frame)):
        if len(taken) == count:
            break
        if row.score > 0 and all(abs(row.frame - t.frame) >= gap for t in taken):
            taken.append(row)
    return taken
