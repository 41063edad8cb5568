"""Which frames of a shot are done, missing or failed, read from the outputs themselves.

A frame is
  done     when it is finished by cmn_vfx.job.finished's rule (the engine's resume uses the same
           one): both EXRs decode completely with their channels and carry the shot's
           settings, checkpoint and the plate frame's current identity (cmn:source_id);
  failed   when a file exists but cannot be read, lacks channels, was written with other
           settings or another checkpoint, or its plate frame changed since;
  missing  otherwise (no file, or only one of the two).
With quick=True (`cmn-farm status --quick`) only the EXR headers are read: much less I/O on a
farm's file system, but a file truncated after its header counts as done (the engine's resume
still decodes every frame, so a rerun redoes it).

"The shot's settings" are `expected` when given (a dict of metadata key -> value),
else the most common (cmn:settings, cmn:checkpoint_sha256) pair among the
readable frames: a sequence mixing two settings is never what a TD wants.
`cmn-matte run` skips done frames and redoes the others, so resubmitting
`missing + failed` (see ShotStatus.todo_range) finishes the shot.

OpenImageIO is imported when a frame is read, not at module import.
"""
from __future__ import annotations

import collections
import os
import shlex
from dataclasses import dataclass, field

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.finished import ABSENT, DAMAGED, KEYS, PARTIAL, read_frame, source_id, stale_keys
from cmn_vfx.io.sequence import find_sequence, format_frame_range, resolve_frames
from cmn_vfx_farm.plan import Plan


@dataclass
class ShotStatus:
    """Per-frame state of a shot; `reasons` explains each failed frame."""

    plan: Plan
    done: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def todo(self) -> list[int]:
        return sorted(self.missing + self.failed)

    @property
    def todo_range(self) -> str:
        """Compact range of the frames to resubmit ('' when the shot is complete)."""
        return format_frame_range(self.todo)

    @property
    def resubmit_command(self) -> str:
        """The shell command that finishes the shot (the spec's real path, quoted for the shell)."""
        spec = shlex.quote(os.path.abspath(self.plan.spec_path)) if self.plan.spec_path else "SHOT.yaml"
        return f"cmn-farm submit {spec} --frames {self.todo_range}"

    @property
    def complete(self) -> bool:
        return not self.missing and not self.failed

    def summary(self) -> str:
        total = len(self.plan.frames)
        lines = [f"{self.plan.name}: {len(self.done)}/{total} done, {len(self.missing)} missing, "
                 f"{len(self.failed)} failed"]
        for label, frames in (("done", self.done), ("missing", self.missing), ("failed", self.failed)):
            if frames:
                lines.append(f"  {label:8s}{format_frame_range(frames)}")
        for frame in self.failed[:10]:
            lines.append(f"    {frame}: {self.reasons[frame]}")
        if self.todo:
            lines.append(f"  resubmit: {self.resubmit_command}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"name": self.plan.name, "frames": self.plan.frame_range,
                "done": format_frame_range(self.done), "missing": format_frame_range(self.missing),
                "failed": format_frame_range(self.failed), "todo": self.todo_range,
                "complete": self.complete, "reasons": {str(k): v for k, v in self.reasons.items()}}


def outputs_present(plan: Plan) -> int:
    """How many frames have both outputs on disk (cheap: no file is opened)."""
    return sum(1 for f in plan.frames if all(os.path.isfile(p) for p in plan.layout.paths(f).values()))


def _source_ids(plan: Plan) -> dict[int, str | None]:
    """cmn:source_id each frame's plate frame has now (None = unknown: the plate is gone)."""
    try:
        seq = find_sequence(plan.spec.plate)
        pairs = resolve_frames(seq, list(plan.frames), plan.spec.missing)
    except BadInputError:
        return {f: None for f in plan.frames}
    return {frame: source_id(seq.path(src) if src is not None else None) for frame, src in pairs}


def shot_status(plan: Plan, expected: dict | None = None, quick: bool = False) -> ShotStatus:
    """Classify every frame of the plan as done, missing or failed (see module docstring)."""
    status = ShotStatus(plan)
    readable: dict[int, tuple] = {}
    for frame in plan.frames:
        state = read_frame(plan.layout.paths(frame), decode=not quick)
        if state.kind in (ABSENT, PARTIAL):
            status.missing.append(frame)
        elif state.kind == DAMAGED:
            status.failed.append(frame)
            status.reasons[frame] = state.reason
        else:
            readable[frame] = state.found
    shot_keys = KEYS[:2]     # settings and checkpoint: one pair for the whole shot
    want = tuple(expected.get(k) for k in shot_keys) if expected else None
    if want is None and readable:
        want = collections.Counter(v[:2] for v in readable.values()).most_common(1)[0][0]
    sources = _source_ids(plan) if readable else {}
    for frame, found in readable.items():
        stale = stale_keys(found, (*want, sources[frame]))
        if not stale:
            status.done.append(frame)
            continue
        status.failed.append(frame)
        status.reasons[frame] = ("its plate frame changed since it was written" if stale == ["cmn:source_id"] else
                                 f"written with other {' and '.join(k for k in stale if k in shot_keys)} than the "
                                 "rest of the shot")
    status.done.sort()
    status.missing.sort()
    status.failed.sort()
    return status
