"""The warm-up rule: which frames a range that starts mid-shot runs first, outputs discarded.

The network is recurrent, so a run (a farm chunk, a resume, a frame range) that starts at
frame F first runs up to `warmup` frames before F, so its state matches a sequential pass.
Warm-up never reaches back before the shot's first frame, across a cut (a cut at C means C
starts a new shot), nor across a hole in the plate when holes are errors (missing: error).

The engine (cmn_vfx.engine.plan) and `cmn-farm plan` (farm/plan.py) both call warmup_frames;
the engine may also find cuts by itself, which shorten a warm-up and are not known beforehand.
"""
from __future__ import annotations

from typing import Iterable


def shot_start(frame: int, cuts: Iterable[int], first: int) -> int:
    """The first frame of the shot that holds `frame`: the last cut <= frame, else `first`."""
    earlier = [c for c in cuts if first < c <= frame]
    return max(earlier) if earlier else first


def warmup_frames(frame: int, warmup: int, first: int, cuts: Iterable[int] = (),
                  holes: Iterable[int] = ()) -> tuple[int, ...]:
    """Up to `warmup` frames just before `frame`; none before `first`, a cut <= frame, or a hole.

    frame: the first frame to write; first: the plate's first frame; holes: the plate's missing
    frames that are errors (pass none when holes are held or black).
    """
    floor = max([shot_start(frame, cuts, first)] + [h + 1 for h in holes if h < frame])
    return tuple(range(max(frame - warmup, floor), frame))
