"""A spec run on one plate (Shot) and what the run did (RunReport): plain data, no numpy or torch.

    shot = Shot(spec, seq, out_dir, name)        # spec: cmn_vfx.job.spec.ShotSpec, every setting
    shot.frames                                  # the output frames: the spec's range on this plate

The spec holds every setting; a Shot adds only what is not one: the opened plate, the output folder and
name, and whether to overwrite finished frames. A folder of plates runs one spec as one Shot per plate
(`cmn-matte run DIR`); MatteEngine.run builds the Shot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cmn_vfx.io.sequence import Sequence, format_frame_range, shot_frames

if TYPE_CHECKING:
    from cmn_vfx.job.spec import ShotSpec


@dataclass
class Shot:
    """One spec on one plate, written to out_dir/{alpha,fg}/<name>.####.exr."""

    spec: ShotSpec
    seq: Sequence
    out_dir: str
    name: str
    overwrite: bool = False
    frames: list[int] = field(init=False)   # output frames (plate frame numbers): shot_frames of the spec's range

    def __post_init__(self) -> None:
        self.frames = shot_frames(self.seq, self.spec.frames or None)


@dataclass
class RunReport:
    name: str
    frames: list[int]
    written: list[int]
    skipped: list[int]
    warmup_frames: int
    cuts: list[int]
    seconds: float
    alpha: str
    fg: str
    changed: list[int] = field(default_factory=list)  # redone because their plate frame changed since
    clamped: int = 0                                   # fg values clamped to the largest half float
    runtime: str = ""                                  # who ran the network: torch | openvino | onnx

    def to_dict(self) -> dict:
        return {"name": self.name, "frames": format_frame_range(self.frames),
                "written": len(self.written), "skipped": len(self.skipped), "changed_plate": len(self.changed),
                "clamped": self.clamped,
                "warmup_frames": self.warmup_frames, "cuts": self.cuts,
                "seconds": round(self.seconds, 3), "runtime": self.runtime, "alpha": self.alpha, "fg": self.fg}
