"""Which frames of a shot are done, missing or failed, read from the outputs themselves.

A frame is
  done     when OUT/alpha/<name>.<frame>.exr and OUT/fg/<name>.<frame>.exr both exist,
           open as complete EXRs with the expected channels (A; R,G,B,A), and carry
           the shot's settings (metadata cmn:settings and cmn:checkpoint_sha256);
  failed   when a file exists but cannot be read, lacks channels, or was written
           with other settings or another checkpoint;
  missing  otherwise (no file, or only one of the two).

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
from dataclasses import dataclass, field

from cmn_vfx.io.sequence import format_frame_range
from farm.plan import Plan

KINDS = {"alpha": ("A",), "fg": ("R", "G", "B", "A")}
SETTINGS_KEYS = ("cmn:settings", "cmn:checkpoint_sha256")


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
            lines.append(f"  resubmit: cmn-farm submit SPEC --frames {self.todo_range}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"name": self.plan.name, "frames": self.plan.frame_range,
                "done": format_frame_range(self.done), "missing": format_frame_range(self.missing),
                "failed": format_frame_range(self.failed), "todo": self.todo_range,
                "complete": self.complete, "reasons": {str(k): v for k, v in self.reasons.items()}}


def read_frame_header(path: str, channels: tuple[str, ...]) -> tuple[dict | None, str | None]:
    """(settings, None) for a complete EXR with `channels`, else (None, reason).

    Reads every pixel, so a truncated file is caught, not just a bad header.
    """
    import OpenImageIO as oiio
    inp = oiio.ImageInput.open(path)
    if inp is None:
        return None, f"{os.path.basename(path)} does not open ({oiio.geterror().strip() or 'not an image'})"
    try:
        spec = inp.spec()
        names = tuple(spec.channelnames)
        lacking = [c for c in channels if c not in names]
        if lacking:
            return None, f"{os.path.basename(path)} lacks channel(s) {','.join(lacking)}"
        pixels = inp.read_image(0, 0, 0, spec.nchannels, "half")
        if pixels is None:
            return None, f"{os.path.basename(path)} is truncated or corrupt ({inp.geterror().strip()})"
        return {k: spec.getattribute(k) for k in SETTINGS_KEYS}, None
    finally:
        inp.close()


def outputs_present(plan: Plan) -> int:
    """How many frames have both outputs on disk (cheap: no file is opened)."""
    return sum(1 for f in plan.frames
               if all(os.path.isfile(plan.output_path(k, f)) for k in KINDS))


def shot_status(plan: Plan, expected: dict | None = None) -> ShotStatus:
    """Classify every frame of the plan as done, missing or failed (see module docstring)."""
    status = ShotStatus(plan)
    readable: dict[int, tuple] = {}
    for frame in plan.frames:
        paths = {k: plan.output_path(k, frame) for k in KINDS}
        present = {k: os.path.isfile(p) for k, p in paths.items()}
        if not any(present.values()):
            status.missing.append(frame)
            continue
        settings, reason = [], None
        for kind, path in paths.items():
            if not present[kind]:
                continue
            found, reason = read_frame_header(path, KINDS[kind])
            if reason:
                break
            settings.append(tuple(found[k] for k in SETTINGS_KEYS))
        if reason:
            status.failed.append(frame)
            status.reasons[frame] = reason
        elif len(set(settings)) > 1:
            status.failed.append(frame)
            status.reasons[frame] = "alpha and fg were written with different settings"
        elif not all(present.values()):
            status.missing.append(frame)
        else:
            readable[frame] = settings[0]
    want = tuple(expected.get(k) for k in SETTINGS_KEYS) if expected else None
    if want is None and readable:
        want = collections.Counter(readable.values()).most_common(1)[0][0]
    for frame, got in readable.items():
        if got == want:
            status.done.append(frame)
        else:
            status.failed.append(frame)
            changed = [k for k, a, b in zip(SETTINGS_KEYS, got, want) if a != b]
            status.reasons[frame] = f"written with other {' and '.join(changed)} than the rest of the shot"
    status.done.sort()
    status.missing.sort()
    status.failed.sort()
    return status
