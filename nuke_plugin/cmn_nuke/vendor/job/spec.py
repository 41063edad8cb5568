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

Every setting that changes pixels is a field here, so a farm task (`cmn-matte run --spec`)
carries all of them; commands/run.py turns a spec into the engine's EngineConfig and ShotJob.
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


def check_name(name: object, source: str = "--name") -> None:
    """BadInputError unless `name` is a plain file name: OUT/alpha/<name>.####.exr must stay inside OUT."""
    bad = (not isinstance(name, str) or not name.strip() or name.startswith(".") or "\0" in name
           or any(c in name for c in ("/", "\\", os.sep) + FRAME_TOKENS))
    if bad:
        raise BadInputError(f"{source}: name {name!r} is not a plain file name (no '/', '\\', a frame token "
                            f"{' '.join(FRAME_TOKENS)}, leading '.' or empty name); give e.g. sh010")


@dataclass
class ShotSpec:
    """What to matte, where to write it, and how."""

    plate: str
    output: str
    frames: str | None = None
    name: str | None = None
    model: str = DEFAULT_MODEL
    device: str = "auto"
    runtime: str = "auto"
    colorspace: str = "auto"
    downsample: str | float = "auto"
    warmup: int | None = None
    prior: str | None = None
    layer: str | None = None
    threads: int | None = None
    subject: str | None = None
    person_layers: bool = False
    chunk_size: int = DEFAULT_CHUNK_SIZE
    missing: str = "error"
    cuts: list[int] = field(default_factory=list)
    precision: str = "fp32"
    refine: str = "guided"
    temporal: float = DEFAULT_TEMPORAL
    auto_cuts: bool = True

    def validate(self, source: str = "shot spec") -> "ShotSpec":
        """Check every field; raise BadInputError naming the file (`source`), the field and the fix."""
        if not self.plate or not isinstance(self.plate, str):
            raise BadInputError(f"{source}: 'plate' is empty; give the plate's file pattern, e.g. sh010.####.exr")
        if not self.output or not isinstance(self.output, str):
            raise BadInputError(f"{source}: 'output' is empty; give the folder for the alpha and fg sequences")
        if self.frames is not None:       # read, not expanded: checked against the plate before that (shot_frames)
            from .frames import frame_spans
            try:
                spans = frame_spans(str(self.frames))
            except BadInputError as exc:
                raise BadInputError(f"{source}: {exc}") from None
            if not spans:
                raise BadInputError(f"{source}: frame range {self.frames!r} is empty; write e.g. 1001-1100")
        if self.name is not None:
            check_name(self.name, source)
        if self.threads is not None and (not isinstance(self.threads, int) or isinstance(self.threads, bool)
                                         or self.threads < 1):
            raise BadInputError(f"{source}: threads {self.threads!r} must be a whole number >= 1 (or null for one per core)")
        from .subject_grammar import ALL, parse_subject
        try:
            subject = parse_subject(None if self.subject is None else str(self.subject))
        except BadInputError as exc:
            raise BadInputError(f"{source}: {exc}") from None
        if not isinstance(self.person_layers, bool):
            raise BadInputError(f"{source}: person_layers {self.person_layers!r} must be true or false")
        if self.person_layers and subject == ALL:
            raise BadInputError(f"{source}: person_layers needs subject main or picks (one layer per picked person)")
        if self.layer is not None and (not isinstance(self.layer, str) or not self.layer.strip()):
            raise BadInputError(f"{source}: layer {self.layer!r} must be a layer name such as plate (or null)")
        if self.device != "auto" and self.device != "cpu" and not str(self.device).startswith("cuda"):
            raise BadInputError(f"{source}: device {self.device!r} is unknown; use auto, cpu, cuda or cuda:N")
        if self.runtime not in RUNTIMES:
            raise BadInputError(f"{source}: runtime {self.runtime!r} is unknown; use one of {', '.join(RUNTIMES)}")
        if self.downsample != "auto":
            try:
                ratio = float(self.downsample)
            except (TypeError, ValueError):
                raise BadInputError(f"{source}: downsample {self.downsample!r} is not a number; use auto or 0 < r <= 1") from None
            if not 0 < ratio <= 1:
                raise BadInputError(f"{source}: downsample {ratio} is out of range; use auto or 0 < r <= 1")
        if self.warmup is not None and (not isinstance(self.warmup, int) or self.warmup < 0):
            raise BadInputError(f"{source}: warmup {self.warmup!r} must be a whole number >= 0 (or null for the default)")
        if not isinstance(self.chunk_size, int) or isinstance(self.chunk_size, bool) or self.chunk_size < 1:
            raise BadInputError(f"{source}: chunk_size {self.chunk_size!r} must be a whole number >= 1")
        if self.missing not in MISSING:
            raise BadInputError(f"{source}: missing {self.missing!r} is unknown; use one of {', '.join(MISSING)}")
        if not isinstance(self.cuts, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in self.cuts):
            raise BadInputError(f"{source}: cuts {self.cuts!r} must be a list of frame numbers")
        if self.prior is not None and self.prior not in PRIORS:
            raise BadInputError(f"{source}: unknown person prior {self.prior!r}; use one of: {', '.join(PRIORS)} "
                                "(or leave it out for the model's own)")
        if self.precision not in PRECISIONS:
            raise BadInputError(f"{source}: precision {self.precision!r} is unknown; use one of {', '.join(PRECISIONS)}")
        if self.refine not in REFINES:
            raise BadInputError(f"{source}: refine {self.refine!r} is unknown; use one of {', '.join(REFINES)}")
        if (isinstance(self.temporal, bool) or not isinstance(self.temporal, (int, float))
                or not 0 <= self.temporal < 1):
            raise BadInputError(f"{source}: temporal {self.temporal!r} must be a number 0 <= s < 1 (0 = off; "
                                f"default {DEFAULT_TEMPORAL})")
        if not isinstance(self.auto_cuts, bool):
            raise BadInputError(f"{source}: auto_cuts {self.auto_cuts!r} must be true or false")
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
        return spec

    def to_yaml(self, path: str) -> None:
        """Write the spec atomically (cmn_vfx.io.atomic)."""
        from .atomic import write_yaml
        write_yaml(path, self.to_dict())
