"""The engine's plain data: how the network runs (EngineConfig), one shot to matte (ShotJob),
and what a run did (RunReport). No numpy or torch: commands/run.py builds these from a
ShotSpec (cmn_vfx.job.spec) and the farm never needs more.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cmn_vfx.io.sequence import Sequence, format_frame_range, shot_frames
from cmn_vfx.job.names import CUT_THRESHOLD, DEFAULT_MODEL, DEFAULT_TEMPORAL

if TYPE_CHECKING:
    from cmn_vfx.job.spec import ShotSpec


# The fg colour where alpha is fractional: estimated from the frame and its alpha (cmn_vfx.engine.foreground;
# 2-3x closer to the truth than the shipped fg decoder, bench/fg_eval.py), or the network's fg decoder
# (torch runtime only: the ONNX export leaves that decoder out).
FG_COLOURS = ("estimate", "network")


@dataclass
class EngineConfig:
    """How the network runs (pixels depend on all but `device` and `runtime`, which agree to float32 rounding)."""

    model: str = DEFAULT_MODEL                # bundled model name or checkpoint path
    device: str = "auto"                    # auto | cpu | cuda | cuda:N
    runtime: str = "auto"                   # auto | torch | openvino | onnx (cmn_vfx.engine.runtime)
    precision: str = "fp32"                 # fp32 | fp16 | bf16 (torch autocast on a GPU; OpenVINO on a CPU that has it)
    downsample: str | float = "auto"        # auto or a ratio 0 < r <= 1
    warmup: int | None = None               # None = DEFAULT_WARMUP
    auto_cuts: bool = True
    cut_threshold: float = CUT_THRESHOLD
    refine: str = "guided"                  # guided | none: edge refinement at the working size
    fg_colour: str = "estimate"             # estimate | network: the fg colour where alpha is fractional
    #                                         (estimate: cmn_vfx.engine.foreground; network: the fg decoder)
    prior: str | None = None                # person prior name (cmn_vfx.prior); None = the model's own
    temporal: float = DEFAULT_TEMPORAL      # 0 <= s < 1: motion-compensated blend with the last alpha (0 = off;
    #                                         cmn_vfx.engine.stabilise)
    threads: int | None = None              # CPU threads for torch, pinned and recorded; None = torch's default

    @classmethod
    def from_spec(cls, spec: ShotSpec) -> EngineConfig:
        """The spec's settings of how the network runs (the rest of the spec is the ShotJob)."""
        downsample = spec.downsample if spec.downsample == "auto" else float(spec.downsample)
        return cls(model=spec.model, device=spec.device, runtime=spec.runtime, precision=spec.precision, downsample=downsample,
                   warmup=spec.warmup, auto_cuts=spec.auto_cuts, refine=spec.refine, prior=spec.prior,
                   temporal=float(spec.temporal), threads=spec.threads)


@dataclass
class ShotJob:
    """One shot to matte."""

    seq: Sequence
    frames: list[int]                       # output frames (plate frame numbers)
    out_dir: str
    name: str
    colorspace: str = "auto"
    missing: str = "error"
    cuts: list[int] = field(default_factory=list)
    overwrite: bool = False
    layer: str | None = None                # layer holding the plate's R, G, B (None = unprefixed)
    subject: str | None = None              # all (None) | main | picks (cmn_vfx.job.subject_grammar)
    person_layers: bool = False             # also write each picked person's alpha (person1.A, ...)

    @classmethod
    def from_spec(cls, spec: ShotSpec, seq: Sequence, out_dir: str, name: str, overwrite: bool = False) -> ShotJob:
        """The spec's shot on `seq` (the spec's plate, or one plate of a folder), written to out_dir."""
        frames = shot_frames(seq, spec.frames or None)
        return cls(seq, frames, out_dir, name, spec.colorspace, spec.missing, list(spec.cuts), overwrite,
                   spec.layer, spec.subject, spec.person_layers)


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
    runtime: str = ""                                  # who ran the network: torch | onnx

    def to_dict(self) -> dict:
        return {"name": self.name, "frames": format_frame_range(self.frames),
                "written": len(self.written), "skipped": len(self.skipped), "changed_plate": len(self.changed),
                "clamped": self.clamped,
                "warmup_frames": self.warmup_frames, "cuts": self.cuts,
                "seconds": round(self.seconds, 3), "runtime": self.runtime, "alpha": self.alpha, "fg": self.fg}
