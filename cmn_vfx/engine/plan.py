"""Which frames the engine runs, in which order, and which of them it writes.

A run is a list of Steps. Emitted steps are the frames still to write; before
each stretch of them that does not follow the previous emitted frame, up to
`warmup` earlier frames of the same shot run first with their outputs
discarded, so the recurrent state matches a sequential pass (the rule:
cmn_vfx.job.warmup). This module has no numpy/torch: plans are plain data.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cmn_vfx.io.sequence import resolve_frames
from cmn_vfx.job.warmup import warmup_frames

if TYPE_CHECKING:
    from cmn_vfx.engine.shot import Shot
    from cmn_vfx.job.layout import OutputLayout


@dataclass(frozen=True)
class Step:
    """One frame through the network."""

    frame: int                 # output frame number (the plate's)
    source: int | None         # plate frame to read; None = black (a hole with --missing black)
    emit: bool                 # write outputs (False = warm-up, discarded)
    reset: bool                # start from a fresh state before this frame


def warmup_sources(job: "Shot", frame: int, warmup: int) -> list[tuple[int, int | None]]:
    """(frame, source) of the warm-up frames before `frame` (cmn_vfx.job.warmup's rule)."""
    holes = job.seq.holes() if job.spec.missing == "error" else []
    frames = list(warmup_frames(frame, warmup, job.seq.first, job.spec.cuts, holes))
    return resolve_frames(job.seq, frames, job.spec.missing) if frames else []


def plan_steps(job: "Shot", todo: list[tuple[int, int | None]], warmup: int) -> list[Step]:
    """Steps for the (frame, source) pairs still to write, with warm-up before every discontinuity."""
    steps: list[Step] = []
    last: int | None = None
    for frame, source in todo:
        if last is not None and frame == last + 1:
            steps.append(Step(frame, source, True, False))
        else:
            warm = warmup_sources(job, frame, warmup)
            steps.extend(Step(f, s, False, i == 0) for i, (f, s) in enumerate(warm))
            steps.append(Step(frame, source, True, not warm))
        last = frame
    return steps


def pending_frames(job: "Shot", layout: "OutputLayout", settings: str, sha256: str
                   ) -> tuple[list[tuple[int, int | None]], list[int], list[int]]:
    """(frames still to write as (frame, source), frames finished and skipped, frames whose plate changed).

    "Finished" is cmn_vfx.job.finished's rule; a frame whose outputs are whole but whose plate frame
    was re-rendered since (cmn:source_id) is in the first list and also in the third.
    """
    from cmn_vfx.job.finished import READABLE, read_frame, source_id, stale_keys
    pairs = resolve_frames(job.seq, list(job.frames), job.spec.missing)
    todo, done, changed = [], [], []
    for frame, source in pairs:
        if job.overwrite:
            todo.append((frame, source))
            continue
        want = (settings, sha256, source_id(job.seq.path(source) if source is not None else None))
        state = read_frame(layout.paths(frame))
        stale = stale_keys(state.found, want) if state.kind == READABLE else None
        if stale == []:
            done.append(frame)
            continue
        todo.append((frame, source))
        if stale == ["cmn:source_id"]:
            changed.append(frame)
    return todo, done, changed
