"""MatteEngine: streams a shot through the CMN and writes alpha + premultiplied fg EXRs.

    engine = MatteEngine(EngineConfig(model="default", device="auto"))
    report = engine.run(ShotJob(seq, frames, out_dir, name))

- Frames are read ahead and written behind in threads (cmn_vfx.streaming); at
  most a few frames are in memory whatever the shot's length.
- The recurrent state is carried from frame to frame. A run that starts
  mid-shot (a farm chunk, a resume after a crash, a frame range) first runs up
  to `warmup` earlier frames of the same shot and discards their outputs, so
  its frames match a sequential pass closely (see docs/engine.md).
- The network runs at a working resolution (`downsample` ratio, or auto: long
  side to AUTO_LONG_SIDE); the full-resolution alpha comes back through the
  fast guided filter guided by the plate (cmn_vfx.guided_filter).
- Shot cuts (explicit, or found by cmn_vfx.cuts) reset the state.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from cmn_vfx import outputs
from cmn_vfx.color import scene_linear_for
from cmn_vfx.cuts import THRESHOLD, CutDetector
from cmn_vfx.engine_plan import Step, plan_steps, pending_frames
from cmn_vfx.errors import BadInputError, CMNError, PartialFailure, warn
from cmn_vfx.guided_filter import guided_upsample, luminance
from cmn_vfx.io.sequence import Sequence, count_of, format_frame_range
from cmn_vfx.refine import refine_edges
from cmn_vfx.streaming import ReadAhead, WriteBehind

# Measured by bench/warmup_decay.py (tiny random-weight CMN, frame 16 of a moving clip):
# max|alpha diff| to a sequential pass is 7.1e-4 cold, 3.3e-4 after 8 warm-up frames
# (mean 8.9e-5 -> 1.6e-5), i.e. below half-float resolution of alpha near 0.5 (4.9e-4).
# 8 keeps a 10-frame farm chunk's overhead below 2x; rerun the bench with the trained model.
DEFAULT_WARMUP = 8
AUTO_LONG_SIDE = 512
PRECISIONS = ("fp32", "fp16", "bf16")
REFINES = ("guided", "none")


@dataclass
class EngineConfig:
    """How the network runs (pixels depend on all but `device`)."""

    model: str = "default"                  # bundled model name or checkpoint path
    device: str = "auto"                    # auto | cpu | cuda | cuda:N
    precision: str = "fp32"                 # fp32 | fp16 | bf16 (autocast, GPU only)
    downsample: str | float = "auto"        # auto or a ratio 0 < r <= 1
    warmup: int | None = None               # None = DEFAULT_WARMUP
    auto_cuts: bool = True
    cut_threshold: float = THRESHOLD
    refine: str = "guided"                  # guided | none: edge refinement at the working size
    prior: str | None = None                # person prior name (cmn_vfx.prior); None = the model's own
    threads: int | None = None              # CPU threads for torch, pinned and recorded; None = torch's default


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
    subject: str | None = None              # all (None) | main | picks (cmn_vfx.subject)
    person_layers: bool = False             # also write each picked person's alpha (person1.A, ...)


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

    def to_dict(self) -> dict:
        return {"name": self.name, "frames": format_frame_range(self.frames),
                "written": len(self.written), "skipped": len(self.skipped), "changed_plate": len(self.changed),
                "clamped": self.clamped,
                "warmup_frames": self.warmup_frames, "cuts": self.cuts,
                "seconds": round(self.seconds, 3), "alpha": self.alpha, "fg": self.fg}


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BadInputError(f"device {name!r}: no CUDA GPU is available here; use --device cpu or auto")
    return torch.device(name)


def working_size(width: int, height: int, downsample: str | float, min_size: int) -> tuple[int, int, float]:
    """(w, h, ratio) the network runs at; never below `min_size` on a side, never above the plate."""
    ratio = min(1.0, AUTO_LONG_SIDE / max(width, height)) if downsample == "auto" else float(downsample)
    ratio = max(ratio, min_size / min(width, height))
    ratio = min(ratio, 1.0)
    return max(min_size, round(width * ratio)), max(min_size, round(height * ratio)), ratio


@dataclass
class _FrameIn:
    step: Step
    small: np.ndarray                       # [h,w,3] 0..1 sRGB at the working size
    prior: object | None                    # the prior's observation of `small` (PersonPrior.observe)
    image: object | None = None             # cmn_vfx.io.image.Image (plate), emitted frames only
    guide: np.ndarray | None = None         # [H,W] network-space luminance at full size


class MatteEngine:
    """Loads the model once; `run` mattes one shot (may be called for many shots)."""

    def __init__(self, config: EngineConfig, model: torch.nn.Module | None = None, meta: dict | None = None) -> None:
        self.config = config
        if config.precision not in PRECISIONS:
            raise BadInputError(f"precision {config.precision!r} is unknown; use one of {', '.join(PRECISIONS)}")
        if config.refine not in REFINES:
            raise BadInputError(f"refine {config.refine!r} is unknown; use one of {', '.join(REFINES)}")
        if config.threads is not None:
            if config.threads < 1:
                raise BadInputError(f"threads {config.threads}: give at least 1")
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device)
        if model is None:
            from cmn_vfx.model import load_model
            model, meta = load_model(config.model, device=str(self.device))
        self.model = model.to(self.device).eval()
        self.meta = dict(meta or {})
        self.precision = config.precision if self.device.type == "cuda" else "fp32"
        if self.precision != config.precision:
            warn(f"--precision {config.precision} needs a GPU; running fp32 on the {self.device.type}")
        model_config = self.meta.get("model_config") or {}
        self.prior, self.prior_name = None, None
        if model_config.get("prior", "none") == "person":
            from cmn_vfx.prior import load_prior
            from cmn_vfx.prior import AUTO
            name = config.prior or model_config.get("prior_model", "selfie")
            self.prior = load_prior(name)
            # cmn:settings records the prior 'auto' stands for today, so a frame matted with another
            # default is not taken for finished when 'auto' changes
            self.prior_name = AUTO if name == "auto" else name
        elif config.prior:
            raise BadInputError(f"--prior {config.prior}: model {self.meta.get('name', config.model)!r} takes no person "
                                "prior (prior: none in its config); leave --prior out")
        self.warmup = DEFAULT_WARMUP if config.warmup is None else int(config.warmup)

    # -- settings and checks -------------------------------------------------
    def settings(self, colorspace: str, ratio: float, job: ShotJob) -> dict:
        """Everything that changes pixels (written as cmn:settings; resume compares it)."""
        from cmn_vfx import guided_filter
        return {"colorspace": colorspace, "downsample": round(ratio, 6), "warmup": self.warmup,
                "cuts": sorted(job.cuts), "auto_cuts": self.config.auto_cuts,
                "cut_threshold": self.config.cut_threshold if self.config.auto_cuts else None,
                "precision": self.precision, "missing": job.missing,
                "guided_filter": [guided_filter.RADIUS, guided_filter.EPS], "refine": self.config.refine,
                "prior": self.prior_name, "layer": job.layer or None, "fg_colorspace": scene_linear_for(colorspace),
                "threads": self.config.threads, **_subject_setting(job)}

    def _min_size(self) -> int:
        from cmn_vfx.model import MIN_SIZE
        return MIN_SIZE

    # -- per-frame work ------------------------------------------------------
    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.float16 if self.precision == "fp16" else torch.bfloat16
        return torch.autocast(self.device.type, dtype=dtype)

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        """[H,W,C] or [H,W] numpy -> [1,C,H,W] float32 on the device."""
        t = torch.from_numpy(np.ascontiguousarray(array))
        t = t[..., None] if t.ndim == 2 else t
        return t.permute(2, 0, 1)[None].to(self.device, dtype=torch.float32)

    def step(self, src: torch.Tensor, prev_src: torch.Tensor | None, state, prior: torch.Tensor | None):
        """One network step. src, prev_src: [1,3,h,w] 0..1 sRGB -> (pha [1,1,h,w], fgr [1,3,h,w], state)."""
        with torch.inference_mode(), self._autocast():
            pha, fgr, state = self.model(src, prev_src=prev_src, state=state, prior=prior)
        return pha.float(), fgr.float(), state

    def refine(self, pha: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """Edge refinement of the network's alpha at the working size ('guided'; 'none' = as is).

        pha [1,1,h,w] 0..1, src [1,3,h,w] 0..1 sRGB, on the device -> [1,1,h,w] on the device.
        A trimap from the alpha (a band of 1% of the short side around its 0.5 contour), a colour
        guided filter of the alpha by the frame inside the band, 0 / 1 outside it
        (cmn_vfx.refine). Per frame: the recurrent state never sees it.
        """
        if self.config.refine == "none":
            return pha
        with torch.inference_mode():
            return refine_edges(pha, src)

    def upsample(self, pha: torch.Tensor, src: torch.Tensor, guide_hr: np.ndarray) -> np.ndarray:
        """pha [1,1,h,w] at the working size -> [H,W] float32 alpha at the plate's size."""
        if tuple(pha.shape[-2:]) == guide_hr.shape:
            return pha[0, 0].cpu().numpy()
        with torch.inference_mode():
            full = guided_upsample(pha, luminance(src), self._tensor(guide_hr))
        return full[0, 0].cpu().numpy()

    # -- the run -------------------------------------------------------------
    def _reader(self, job: ShotJob):
        """(FrameReader, working size (w, h), ratio) for the job's plate; refuses a plate below the minimum."""
        from cmn_vfx.engine_io import FrameReader, first_geometry
        geometry = first_geometry(job.seq)
        data = geometry["data_box"]
        min_size = self._min_size()
        if data.width < min_size or data.height < min_size:
            raise BadInputError(f"{job.seq.hash_pattern}: the data window {data.width}x{data.height} is smaller than "
                                f"the network's minimum {min_size}x{min_size}; use a larger plate")
        colorspace = FrameReader.resolve_colorspace(job.seq, job.colorspace, geometry)
        w, h, ratio = working_size(data.width, data.height, self.config.downsample, min_size)
        return FrameReader(job.seq, colorspace, (w, h), self.prior, geometry, job.layer), (w, h), ratio

    def subject_plan(self, job: ShotJob, reader=None, size: tuple[int, int] | None = None):
        """The job's subject resolved over the whole shot (cmn_vfx.engine_subject); None for all."""
        from cmn_vfx.engine_subject import resolve
        if reader is None:
            reader, size, _ = self._reader(job)
        return resolve(job, reader, self.prior, self.prior_name, size, (self.config.cut_threshold, self.config.auto_cuts))

    def run(self, job: ShotJob, progress: bool = True) -> RunReport:
        """Matte `job.frames` of `job.seq` into job.out_dir; skip finished frames unless job.overwrite."""
        from cmn_vfx.engine_io import FrameWriter, check_output_dir
        from cmn_vfx.io.atomic import clean_stale_temps
        from cmn_vfx.io.image import check_headers
        started = time.monotonic()
        reader, (w, h), ratio = self._reader(job)
        colorspace, data = reader.colorspace, reader.geometry["data_box"]
        settings = outputs.settings_json(self.settings(colorspace, ratio, job))
        sha = str(self.meta.get("sha256", ""))
        layout = outputs.OutputLayout(job.out_dir, job.name, job.seq.padding)
        todo, done, changed = pending_frames(job, layout, settings, sha)
        steps = plan_steps(job, todo, self.warmup)
        # Every header of the range (warm-up included) before the first write: a bad frame mid-range
        # is refused with nothing written, not found after the frames before it.
        sources = sorted({s.source for s in steps if s.source is not None})
        check_headers([job.seq.path(job.seq.first)] + [job.seq.path(f) for f in sources], job.layer)
        check_output_dir(job.out_dir, data.width * data.height)
        for directory in {os.path.dirname(p) for p in layout.paths(job.seq.first).values()}:
            clean_stale_temps(directory)
        plan = self.subject_plan(job, reader, (w, h)) if steps else None
        for line in plan.warnings() if plan else []:
            warn(line)
        writer = FrameWriter(layout, colorspace, settings, str(self.meta.get("name", job.seq.name)), sha,
                             scene_linear_for(colorspace))
        cuts_found: list[int] = []
        written = self._stream(steps, reader, writer, job, cuts_found, progress, plan)
        return RunReport(job.name, list(job.frames), written, done, sum(not s.emit for s in steps),
                         sorted(set(cuts_found)), time.monotonic() - started, layout.alpha_pattern, layout.fg_pattern,
                         changed, writer.clamped)

    def _stream(self, steps: list[Step], reader, writer, job: ShotJob, cuts_found: list[int], progress: bool,
                plan=None) -> list[int]:
        from tqdm import tqdm
        detector = CutDetector(self.config.cut_threshold, self.config.auto_cuts)
        explicit = set(job.cuts)
        bar = tqdm(total=sum(s.emit for s in steps), unit="frame", desc=job.name, file=sys.stderr,
                   disable=not progress, dynamic_ncols=True)
        behind = WriteBehind(writer.write, depth=2)
        ahead = ReadAhead(steps, reader.read, depth=2)
        state, prev, track = None, None, None
        try:
            for fin in ahead:
                cut = detector.is_cut(fin.small) or (fin.step.frame in explicit and not fin.step.reset)
                if cut:
                    cuts_found.append(fin.step.frame)
                if fin.step.reset or cut:
                    state, prev = None, None
                    track = self.prior.new_track() if self.prior is not None else None
                src = self._tensor(fin.small)
                prior, region, people = None, None, None
                if track is not None:
                    prior_np = track.update(fin.prior)
                    if plan is not None:               # only the picked people (cmn_vfx.engine_subject)
                        mask = plan.region(fin.step.frame, prior_np)
                        if job.person_layers and fin.step.emit:
                            people = plan.person_regions(fin.step.frame, prior_np)
                        prior_np, region = prior_np * mask, self._tensor(mask)
                    prior = self._tensor(prior_np)
                pha, fgr, state = self.step(src, prev, state, prior)
                if region is not None:
                    pha = pha * region
                prev = src
                if fin.step.emit:
                    alpha = self.upsample(self.refine(pha, src), src, fin.guide)
                    if people is not None:             # [H,W,1+P]: A, person1.A, ...
                        size = alpha.shape[::-1]
                        alpha = np.dstack([alpha] + [alpha * cv2.resize(r, size, interpolation=cv2.INTER_LINEAR)
                                                     for r in people])
                    behind.submit((fin.step, fin.image, alpha, fgr[0].permute(1, 2, 0).cpu().numpy()))
                    bar.update(1)
            behind.close()
        except BaseException as exc:
            behind.abort()
            partial = _partial(exc, writer.written, job)
            if partial is exc:
                raise
            raise partial from exc
        finally:
            ahead.close()
            bar.close()
        return list(writer.written)


def _subject_setting(job: ShotJob) -> dict:
    """{'subject': canonical text} unless every person is matted (older outputs stay finished)."""
    from cmn_vfx.subject import ALL, parse_subject, subject_text
    subject = parse_subject(job.subject)
    return {} if subject == ALL else {"subject": subject_text(subject), **({"person_layers": True} if job.person_layers else {})}


def _partial(exc: BaseException, written: list[int], job: ShotJob) -> BaseException:
    """Turn a failure after some frames were written into PartialFailure (exit 3), naming what is done."""
    if isinstance(exc, KeyboardInterrupt) or not written:
        return exc
    reason = str(exc) if isinstance(exc, CMNError) else f"{type(exc).__name__}: {exc}"
    return PartialFailure(f"{job.name}: wrote {count_of(len(written), 'frame')} ({format_frame_range(written)}) then stopped: "
                          f"{reason}; fix it and rerun the same command (finished frames are skipped)")
