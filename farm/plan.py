"""Chunks of a shot: which frames each farm task writes and which it only warms up on.

A task is `cmn-matte run --spec SHOT.yaml --frames A-B`. The network is recurrent,
so the task first runs the W frames before A (clipped at the plate's first frame,
a cut or a hole) and discards their outputs; its results then match a sequential pass.

Chunks are Open Job Description's own: openjd.model's StepParameterSpaceIterator over the
job template's Matte step (CHUNK[INT], CONTIGUOUS; farm/template.py openjd_chunks), so the
local runner, Deadline Cloud and `cmn-farm plan` cut the same chunks: the frames are split
into runs of consecutive numbers, and each run into ceil(n / chunk_size) nearly equal chunks.

A shot's frames are `cmn-matte run`'s (cmn_vfx.io.sequence.shot_frames): the spec's range,
or the plate's first..last with its holes, which `missing: hold|black` fills. Gaps and
scattered lists (1006,1009, or a stepped 1001-1009x4) are fine: no chunk spans a gap, so
each run of consecutive frames is its own chunk (a resubmit of what status lists).

Imports neither numpy nor torch (the farm submitter and Nuke use it); openjd.model when a plan is made.
"""
from __future__ import annotations

from dataclasses import dataclass

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.sequence import find_sequence, format_frame_range, resolve_frames, shot_frames
from cmn_vfx.job.layout import OutputLayout
from cmn_vfx.job.names import DEFAULT_WARMUP
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx.job.warmup import warmup_frames


@dataclass(frozen=True)
class Chunk:
    """One farm task: `frames` are written, `warmup` frames are run first and discarded."""

    frames: tuple[int, ...]
    warmup: tuple[int, ...]

    @property
    def first(self) -> int:
        return self.frames[0]

    @property
    def last(self) -> int:
        return self.frames[-1]

    @property
    def text(self) -> str:
        """The task's frame argument, 'A-B' (OpenJD's CONTIGUOUS chunk value)."""
        return f"{self.first}-{self.last}"

    def to_dict(self) -> dict:
        return {"frames": self.text, "count": len(self.frames),
                "warmup": format_frame_range(self.warmup) or None}


@dataclass(frozen=True)
class Plan:
    """A shot cut into chunks, with the output patterns the tasks write."""

    spec: ShotSpec
    name: str
    padding: int
    frames: tuple[int, ...]
    chunk_size: int
    warmup: int
    chunks: tuple[Chunk, ...]
    spec_path: str | None = None        # the spec file it was read from (what a resubmit names)

    @property
    def frame_range(self) -> str:
        return format_frame_range(self.frames)

    @property
    def openjd_range(self) -> str:
        """The frames as an OpenJD range expression: runs of consecutive frames, no steps ('1006,1009-1012')."""
        return openjd_range(list(self.frames))

    @property
    def layout(self) -> OutputLayout:
        """Where the tasks write (cmn_vfx.job.layout): OUT/alpha/<name>.####.exr, OUT/fg/..."""
        return OutputLayout(self.spec.output, self.name, self.padding)

    def to_dict(self) -> dict:
        return {"name": self.name, "frames": self.frame_range, "chunk_size": self.chunk_size,
                "warmup": self.warmup, "alpha": self.layout.alpha_pattern, "fg": self.layout.fg_pattern,
                "chunks": [c.to_dict() for c in self.chunks]}


def runs(frames: list[int]) -> list[tuple[int, ...]]:
    """Runs of consecutive frame numbers: [1001, 1002, 1005] -> [(1001, 1002), (1005,)]."""
    out: list[list[int]] = []
    for frame in frames:
        if out and frame == out[-1][-1] + 1:
            out[-1].append(frame)
        else:
            out.append([frame])
    return [tuple(r) for r in out]


def openjd_range(frames: list[int]) -> str:
    """The frames as an OpenJD range expression: runs of consecutive frames, no steps ('1006,1009-1012')."""
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs(frames))


def contiguous_chunks(frames: list[int], chunk_size: int) -> list[tuple[int, ...]]:
    """The frames in OpenJD's CONTIGUOUS chunks of <= chunk_size (openjd.model cuts them, farm/template.py)."""
    from openjd.model import IntRangeExpr
    from cmn_vfx_farm.template import openjd_chunks
    if chunk_size < 1:
        raise BadInputError(f"chunk size {chunk_size} must be a whole number >= 1; use e.g. --chunk-size 10")
    return [tuple(IntRangeExpr.from_str(text)) for text in openjd_chunks(openjd_range(frames), chunk_size)]


def plan_shot(spec: ShotSpec, frames: str | None = None, chunk_size: int | None = None,
              spec_path: str | None = None) -> Plan:
    """Validate the spec against the plate on disk and cut its frames into chunks.

    frames: overrides spec.frames ('1001-1050'); chunk_size overrides spec.chunk_size;
    spec_path: the file the spec came from (status names it in its resubmit line).
    Raises BadInputError (nothing submitted) for a pattern that matches no files,
    an empty range, frames outside the plate, holes with missing=error, or a chunk size < 1.
    """
    spec.validate()
    size = spec.chunk_size if chunk_size is None else chunk_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise BadInputError(f"chunk size {size!r} must be a whole number >= 1; set chunk_size in the spec or --chunk-size")
    seq = find_sequence(spec.plate)
    text = frames if frames is not None else spec.frames
    wanted = shot_frames(seq, text)
    if not wanted:
        raise BadInputError(f"frame range {text!r} is empty; write e.g. {seq.first}-{seq.last}")
    resolve_frames(seq, wanted, spec.missing)
    chunked = contiguous_chunks(wanted, size)
    # Like the engine: warm-up reaches back to the plate's first frame, not across a
    # hole unless the spec fills holes (missing: hold | black).
    holes = seq.holes() if spec.missing == "error" else []
    warm = DEFAULT_WARMUP if spec.warmup is None else spec.warmup
    chunks = tuple(Chunk(c, warmup_frames(c[0], warm, seq.first, spec.cuts, holes)) for c in chunked)
    name = spec.name or seq.name
    return Plan(spec, name, seq.padding, tuple(wanted), size, warm, chunks, spec_path)
