"""ShotSpec: the one object passed between Nuke, the farm and the command line.

A shot spec is a small YAML file:

    plate: /shows/abc/sh010/plate/sh010.####.exr   # any pattern cmn_vfx.io.sequence reads
    frames: 1001-1100                                # optional; default: the whole sequence
    output: /shows/abc/sh010/cmn                     # OUT/alpha/<name>.####.exr, OUT/fg/<name>.####.exr
    name: sh010                                      # optional; default: the plate's name
    model: default                                   # bundled model name or checkpoint path
    device: auto                                     # auto | cpu | cuda | cuda:N
    runtime: auto                                    # auto | torch | onnx (ONNX Runtime on the CPU, no torch)
    colorspace: auto                                 # auto (from file type/metadata) or an OCIO name
    downsample: auto                                 # auto or a ratio 0 < r <= 1
    warmup: null                                     # frames run before a chunk starts; null = engine default
    prior: null                                      # person prior name (cmn_vfx.prior); null = the model's own
    layer: null                                      # layer holding R, G, B (plate -> plate.R...); null = unprefixed
    threads: null                                    # CPU threads for the network, pinned for every chunk; null = one per core
    precision: fp32                                  # fp32 | fp16 | bf16 (fp16/bf16: a GPU, or OpenVINO on a CPU with AMX)
    refine: guided                                   # guided | none: edge refinement at the working size
    temporal: 0.7                                    # 0 <= s < 1: blend with the last alpha where the picture
                                                     # matches it, motion-compensated (0 = off)
    auto_cuts: true                                  # also find cuts from colour histograms
    subject: null                                    # all (null) | main | picks 1210,540@1001;... (cmn_vfx.job.subject_grammar)
    person_layers: false                             # also write person1.A, person2.A... (needs subject main or picks)
    chunk_size: 10                                   # frames per farm task
    missing: error                                   # error | hold | black
    cuts: []                                         # frames where a new shot starts (state resets)

    fg_colour: estimate                              # estimate | network: the fg colour where alpha is fractional
    keys: null                                       # alpha EXRs of a few keyframes (keys/sh010.####.exr, numbered
                                                     # like the plate): the farm job teaches the shot's own model
                                                     # first (`cmn-matte teach`, docs/teach.md) and mattes with it
    teach_minutes: 3                                 # how long that teach step learns (cmn-matte teach --minutes)

Every setting that changes pixels is a field here, marked so (metadata PIXELS), so a farm task
(`cmn-matte run --spec`) carries all of them and the resume key (cmn:settings) is derived from them
(cmn_vfx.engine.resume_key). The engine takes the spec itself (MatteEngine(spec)) and relies on
`problems()`, the one list of a spec's faults (Nuke's submitter calls it too).
This module imports neither torch nor numpy: the farm submitter uses it (tests/job/test_light.py).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from .config_yaml import dataclass_from_dict, load_yaml_mapping
from .errors import BadInputError
from .names import DEFAULT_CHUNK_SIZE, DEFAULT_MODEL, DEFAULT_TEMPORAL, MISSING, PRECISIONS, PRIORS, REFINES, RUNTIMES


FRAME_TOKENS = ("#", "@", "%", "$")        # what a sequence pattern reads as the frame (cmn_vfx.io.sequence)
# The fg colour where alpha is fractional: estimated from the frame and its alpha (cmn_vfx.engine.foreground;
# 2-3x closer to the truth than the shipped fg decoder, bench/fg_eval.py), or the network's fg decoder
# (torch runtime only: the ONNX export leaves that decoder out).
FG_COLOURS = ("estimate", "network")

# Every field says whether it changes pixels (field metadata "pixels"): the resume key written as cmn:settings
# is derived from the pixel fields (cmn_vfx.engine.resume_key), so a new pixel field is in it without an edit.
# Not pixels: where a shot's files are and which frames (plate, output, frames, name; a plate frame's identity
# is cmn:source_id), where the network runs (device, runtime, threads: they agree to float32 rounding, as a
# node with another core count does) and how the farm cuts the shot (chunk_size).
# keys and teach_minutes are what the farm's Teach step makes the shot's model from: they change pixels through
# that model only, and the key's `model` is the model's sha256 (a changed key set is taught again: a new
# sha256, every frame redone; the same keys are not taught twice, cmn_vfx_farm.worker.teach), so they are
# route like the plate's path (a worker that maps the keys' path must not see other settings).
PIXELS = {"pixels": True}
ROUTE = {"pixels": False}
DEFAULT_TEACH_MINUTES = 3.0                 # cmn-matte teach --minutes (cmn_vfx.teach.fit.TeachSettings)


def name_problem(name: object) -> str | None:
    """Why `name` is not a plain file name (OUT/alpha/<name>.####.exr must stay inside OUT), or None."""
    bad = (not isinstance(name, str) or not name.strip() or name.startswith(".") or "\0" in name
           or any(c in name for c in ("/", "\\", os.sep) + FRAME_TOKENS))
    if not bad:
        return None
    return (f"name {name!r} is not a plain file name (no '/', '\\', a frame token "
            f"{' '.join(FRAME_TOKENS)}, leading '.' or empty name); give e.g. sh010")


def keys_problem(keys: object, plate: object = None) -> str | None:
    """Why `keys` is not a sequence pattern of EXRs other than the plate's, or None (the form only: no file is read)."""
    stem = os.path.basename(keys) if isinstance(keys, str) else ""
    if isinstance(keys, str) and keys == plate:
        return f"keys {keys!r} is the plate itself; give the alpha EXRs of the keyframes, e.g. keys/sh010.####.exr"
    if any(t in stem for t in FRAME_TOKENS) and stem.lower().endswith(".exr") and "\0" not in keys:
        return None
    return (f"keys {keys!r} is not a sequence pattern of EXRs; give the keyframes' alpha as e.g. "
            "keys/sh010.####.exr, numbered like the plate (or leave keys out)")


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


@dataclass
class ShotSpec:
    """What to matte, where to write it, and how."""

    plate: str = field(metadata=ROUTE)
    output: str = field(metadata=ROUTE)
    frames: str | None = field(default=None, metadata=ROUTE)
    name: str | None = field(default=None, metadata=ROUTE)
    model: str = field(default=DEFAULT_MODEL, metadata=PIXELS)
    device: str = field(default="auto", metadata=ROUTE)
    runtime: str = field(default="auto", metadata=ROUTE)
    colorspace: str = field(default="auto", metadata=PIXELS)
    downsample: str | float = field(default="auto", metadata=PIXELS)
    warmup: int | None = field(default=None, metadata=PIXELS)
    prior: str | None = field(default=None, metadata=PIXELS)
    layer: str | None = field(default=None, metadata=PIXELS)
    threads: int | None = field(default=None, metadata=ROUTE)
    subject: str | None = field(default=None, metadata=PIXELS)
    person_layers: bool = field(default=False, metadata=PIXELS)
    chunk_size: int = field(default=DEFAULT_CHUNK_SIZE, metadata=ROUTE)
    missing: str = field(default="error", metadata=PIXELS)
    cuts: list[int] = field(default_factory=list, metadata=PIXELS)
    precision: str = field(default="fp32", metadata=PIXELS)
    refine: str = field(default="guided", metadata=PIXELS)
    temporal: float = field(default=DEFAULT_TEMPORAL, metadata=PIXELS)
    auto_cuts: bool = field(default=True, metadata=PIXELS)
    fg_colour: str = field(default="estimate", metadata=PIXELS)
    keys: str | None = field(default=None, metadata=ROUTE)
    teach_minutes: float = field(default=DEFAULT_TEACH_MINUTES, metadata=ROUTE)

    @classmethod
    def pixel_fields(cls) -> tuple[str, ...]:
        """The names of the fields that change pixels; TypeError for a field that does not say."""
        undeclared = [f.name for f in dataclasses.fields(cls) if "pixels" not in f.metadata]
        if undeclared:
            raise TypeError(f"ShotSpec field(s) {', '.join(undeclared)} do not say whether they change pixels; "
                            "give each metadata=PIXELS or metadata=ROUTE")
        return tuple(f.name for f in dataclasses.fields(cls) if f.metadata["pixels"])

    def problems(self, source: str = "shot spec") -> list[str]:
        """Every fault of the spec, each naming the file (`source`), the field and the fix; [] when good."""
        found: list[str] = []
        add = lambda text: found.append(f"{source}: {text}")  # noqa: E731
        if not self.plate or not isinstance(self.plate, str):
            add("'plate' is empty; give the plate's file pattern, e.g. sh010.####.exr")
        if not self.output or not isinstance(self.output, str):
            add("'output' is empty; give the folder for the alpha and fg sequences")
        if self.frames is not None:       # read, not expanded: checked against the plate before that (shot_frames)
            from .frames import frame_spans
            try:
                if not frame_spans(str(self.frames)):
                    add(f"frame range {self.frames!r} is empty; write e.g. 1001-1100")
            except BadInputError as exc:
                add(str(exc))
        bad_name = name_problem(self.name) if self.name is not None else None   # no walrus: Nuke 13 is Python 3.7
        if bad_name:
            add(bad_name)
        if self.threads is not None and not _whole(self.threads, 1):
            add(f"threads {self.threads!r} must be a whole number >= 1 (or null for one per core)")
        from .subject_grammar import ALL, parse_subject
        try:
            subject = parse_subject(None if self.subject is None else str(self.subject))
        except BadInputError as exc:
            subject = None
            add(str(exc))
        if not isinstance(self.person_layers, bool):
            add(f"person_layers {self.person_layers!r} must be true or false")
        elif self.person_layers and subject == ALL:
            add("person_layers needs subject main or picks (one layer per picked person)")
        if self.layer is not None and (not isinstance(self.layer, str) or not self.layer.strip()):
            add(f"layer {self.layer!r} must be a layer name such as plate (or null)")
        if self.device != "auto" and self.device != "cpu" and not str(self.device).startswith("cuda"):
            add(f"device {self.device!r} is unknown; use auto, cpu, cuda or cuda:N")
        for name, names in (("runtime", RUNTIMES), ("missing", MISSING), ("precision", PRECISIONS),
                            ("refine", REFINES), ("fg_colour", FG_COLOURS)):
            if getattr(self, name) not in names:
                add(f"{name} {getattr(self, name)!r} is unknown; use one of {', '.join(names)}")
        if self.downsample != "auto":
            try:
                ratio = float(self.downsample)
                if not 0 < ratio <= 1:
                    add(f"downsample {ratio} is out of range; use auto or 0 < r <= 1")
            except (TypeError, ValueError):
                add(f"downsample {self.downsample!r} is not a number; use auto or 0 < r <= 1")
        if self.warmup is not None and not _whole(self.warmup, 0):
            add(f"warmup {self.warmup!r} must be a whole number >= 0 (or null for the default)")
        if not _whole(self.chunk_size, 1):
            add(f"chunk_size {self.chunk_size!r} must be a whole number >= 1")
        if not isinstance(self.cuts, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in self.cuts):
            add(f"cuts {self.cuts!r} must be a list of frame numbers")
        if self.prior is not None and self.prior not in PRIORS:
            add(f"unknown person prior {self.prior!r}; use one of: {', '.join(PRIORS)} (or leave it out for the "
                "model's own)")
        if (isinstance(self.temporal, bool) or not isinstance(self.temporal, (int, float))
                or not 0 <= self.temporal < 1):
            add(f"temporal {self.temporal!r} must be a number 0 <= s < 1 (0 = off; default {DEFAULT_TEMPORAL})")
        if not isinstance(self.auto_cuts, bool):
            add(f"auto_cuts {self.auto_cuts!r} must be true or false")
        bad_keys = keys_problem(self.keys, self.plate) if self.keys is not None else None
        if bad_keys:
            add(bad_keys)
        if isinstance(self.teach_minutes, bool) or not isinstance(self.teach_minutes, (int, float)) \
                or not self.teach_minutes > 0:
            add(f"teach_minutes {self.teach_minutes!r} must be a number of minutes > 0 "
                f"(default {DEFAULT_TEACH_MINUTES:g})")
        return found

    def validate(self, source: str = "shot spec") -> "ShotSpec":
        """The spec itself, or BadInputError listing every problem (one a line)."""
        found = self.problems(source)
        if found:
            raise BadInputError("\n".join(found))
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "shot spec") -> "ShotSpec":
        if not isinstance(data, dict):
            raise BadInputError(f"{source}: expected a mapping of settings, got {type(data).__name__}")
        missing = [k for k in ("plate", "output") if k not in data]
        if missing:
            raise BadInputError(f"{source}: missing required setting(s) {', '.join(missing)}")
        data = dict(data)
        if data.get("frames") is not None:
            data["frames"] = str(data["frames"])
        cuts = data.get("cuts") or []
        single = isinstance(cuts, int) and not isinstance(cuts, bool)
        data["cuts"] = [cuts] if single else list(cuts) if isinstance(cuts, (list, tuple)) else cuts    # validate refuses the rest
        return dataclass_from_dict(cls, data, source).validate(source)

    @classmethod
    def from_yaml(cls, path: str) -> "ShotSpec":
        data = load_yaml_mapping(path, "shot spec")
        spec = cls.from_dict(data, source=f"shot spec {path}")
        base = os.path.dirname(os.path.abspath(path))
        # relative to the spec's folder, normalised: /shows/abc/specs/../plates -> /shows/abc/plates
        spec.plate = os.path.normpath(os.path.join(base, spec.plate))
        spec.output = os.path.normpath(os.path.join(base, spec.output))
        # A checkpoint path (not a bundled name) is relative to the spec too, so a farm task
        # started in another folder finds it.
        is_path = os.sep in spec.model or "/" in spec.model or spec.model.endswith((".pt", ".onnx"))
        if is_path and not os.path.isabs(spec.model):
            spec.model = os.path.normpath(os.path.join(base, spec.model))
        if spec.keys is not None:
            spec.keys = os.path.normpath(os.path.join(base, spec.keys))
        return spec

    def to_yaml(self, path: str) -> None:
        """Write the spec atomically (cmn_vfx.io.atomic)."""
        from .atomic import write_yaml
        write_yaml(path, self.to_dict())
