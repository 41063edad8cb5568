"""MatteEngine: streams a shot through the CMN and writes alpha + premultiplied fg EXRs.

    engine = MatteEngine(spec)                     # spec: cmn_vfx.job.spec.ShotSpec, every setting
    report = engine.run(spec, seq, out_dir, name)  # a folder of plates: one run per plate, same spec

- Frames are read ahead and written behind in threads (cmn_vfx.engine.streaming); at
  most a few frames are in memory whatever the shot's length.
- The recurrent state is carried from frame to frame. A run that starts
  mid-shot (a farm chunk, a resume after a crash, a frame range) first runs up
  to `warmup` earlier frames of the same shot and discards their outputs, so
  its frames match a sequential pass closely (see docs/engine.md).
- The network runs at a working resolution (`downsample` ratio, or auto: long
  side to AUTO_LONG_SIDE); the full-resolution alpha comes back through the
  fast guided filter guided by the plate (cmn_vfx.engine.numpy_filters).
- Shot cuts (explicit, or found by cmn_vfx.engine.cuts) reset the state.
- A frame's alpha: the network's step, the subject's region, the temporal stabiliser, edge refinement, the
  shot's correction net where the model has one (`cmn-matte teach`), all at the working size, then the guided
  upsample to the plate (docs/engine.md).
"""
from __future__ import annotations

import os
import sys
import time

import cv2
import numpy as np

from cmn_vfx.color import scene_linear_for
from cmn_vfx.engine.cuts import CutDetector
from cmn_vfx.engine.plan import Step, pending_frames, plan_steps
from cmn_vfx.engine.reader import FrameReader, first_geometry
from cmn_vfx.engine.records import FrameIn, FrameOut, NetOut, Prepared
from cmn_vfx.engine.resume_key import resume_key
from cmn_vfx.engine.runtime import open_backend
from cmn_vfx.engine.shot import RunReport, Shot
from cmn_vfx.engine.stabilise import TemporalStabiliser
from cmn_vfx.engine.streaming import ReadAhead, WriteBehind
from cmn_vfx.engine.taught import mismatch, taught_with
from cmn_vfx.engine.writer import FrameWriter, check_output_dir
from cmn_vfx.errors import BadInputError, CMNError, PartialFailure, warn
from cmn_vfx.io.sequence import Sequence, count_of, format_frame_range
from cmn_vfx.job.layout import OutputLayout, settings_json
from cmn_vfx.job.names import AUTO_LONG_SIDE, CUT_THRESHOLD, DEFAULT_WARMUP, MIN_SIZE
from cmn_vfx.job.spec import ShotSpec

# What the engine reads of a spec when it opens (open_backend's fields, and the person prior it loads): a run's
# spec must agree on them with the engine's.
OPENED_WITH = ("model", "device", "runtime", "precision", "threads", "refine", "fg_colour", "prior")


def working_size(width: int, height: int, downsample: str | float, min_size: int) -> tuple[int, int, float]:
    """(w, h, ratio) the network runs at; never below `min_size` on a side, never above the plate."""
    ratio = min(1.0, AUTO_LONG_SIDE / max(width, height)) if downsample == "auto" else float(downsample)
    ratio = max(ratio, min_size / min(width, height))
    ratio = min(ratio, 1.0)
    return max(min_size, round(width * ratio)), max(min_size, round(height * ratio)), ratio


class MatteEngine:
    """Loads the model once; `run` mattes one shot (may be called for many shots).

    The network, refinement and upsampling run in a backend (cmn_vfx.engine.runtime): torch, or
    ONNX Runtime without torch. `model`/`meta` give a ready torch model (tests, benches).
    """

    def __init__(self, spec: ShotSpec, model=None, meta: dict | None = None) -> None:
        self.spec = spec.validate()               # the one check of a spec (ShotSpec.problems)
        self.backend = open_backend(spec, model, meta)
        self.meta = self.backend.meta
        self.precision = self.backend.precision
        model_config = self.meta.get("model_config") or {}
        self.prior, self.prior_name = None, None
        if model_config.get("prior", "none") == "person":
            from cmn_vfx.prior import load_prior
            from cmn_vfx.prior import AUTO
            name = spec.prior or model_config.get("prior_model", "selfie")
            self.prior = load_prior(name)
            # cmn:settings records the prior 'auto' stands for today, so a frame matted with another
            # default is not taken for finished when 'auto' changes
            self.prior_name = AUTO if name == "auto" else name
        elif spec.prior:
            raise BadInputError(f"--prior {spec.prior}: model {self.meta.get('name', spec.model)!r} takes no person "
                                "prior (prior: none in its config); leave --prior out")

    @property
    def runtime(self) -> str:
        return self.backend.name

    # -- the resume key ------------------------------------------------------
    def resume_key(self, shot: Shot, colorspace: str, ratio: float) -> dict:
        """cmn:settings of the shot's frames: its spec's pixel fields as this engine resolves them, plus the
        engine's constants (cmn_vfx.engine.resume_key)."""
        from cmn_vfx.job.subject_grammar import parse_subject, subject_text
        spec = shot.spec
        # a plate without holes is the same in every mode; with holes, the mode changes the held/black frames
        # and, through the recurrence and the warm-up, the frames after them: one key for the whole shot
        # (cmn-farm status wants one per shot), whichever range a run or a farm chunk covers
        missing = spec.missing if shot.seq.holes() else None
        return resume_key(spec, {
            "model": str(self.meta.get("sha256", "")), "colorspace": [colorspace, scene_linear_for(colorspace)],
            "downsample": round(ratio, 6), "warmup": warmup_of(spec), "precision": self.precision,
            "prior": self.prior_name, "layer": spec.layer or None, "cuts": sorted(spec.cuts),
            "temporal": round(float(spec.temporal), 6), "subject": subject_text(parse_subject(spec.subject)),
            "missing": missing})

    # -- the run -------------------------------------------------------------
    def _reader(self, job: Shot):
        """(FrameReader, working size (w, h), ratio) for the job's plate; refuses a plate below the minimum."""
        geometry = first_geometry(job.seq)
        window = geometry["data_box"]
        min_size = MIN_SIZE
        if window.width < min_size or window.height < min_size:
            raise BadInputError(f"{job.seq.hash_pattern}: the data window {window.width}x{window.height} is smaller "
                                f"than the network's minimum {min_size}x{min_size}; use a larger plate")
        colorspace = FrameReader.resolve_colorspace(job.seq, job.spec.colorspace, geometry)
        w, h, ratio = working_size(window.width, window.height, job.spec.downsample, min_size)
        return FrameReader(job.seq, colorspace, (w, h), self.prior, geometry, job.spec.layer), (w, h), ratio

    def correction_inputs(self, spec: ShotSpec, seq: Sequence) -> dict:
        """What shapes the alpha the correction stage takes, as a run of `spec` on `seq` resolves it
        (cmn_vfx.engine.taught; `cmn-matte teach` records it)."""
        job = Shot(spec if spec is self.spec else spec.validate(), seq, spec.output, seq.name)
        reader, _, ratio = self._reader(job)
        return taught_with(self.resume_key(job, reader.colorspace, ratio))

    def subject_plan(self, job: Shot, reader=None, size: tuple[int, int] | None = None):
        """The shot's subject resolved over the whole shot (cmn_vfx.engine.subject); None for all."""
        from cmn_vfx.engine.subject import resolve
        if reader is None:
            reader, size, _ = self._reader(job)
        return resolve(job, reader, self.prior, self.prior_name, size, (CUT_THRESHOLD, job.spec.auto_cuts))

    def run(self, spec: ShotSpec, seq: Sequence, out_dir: str, name: str, overwrite: bool = False,
            progress: bool = True) -> RunReport:
        """Matte the spec's frames of `seq` into out_dir/{alpha,fg}/<name>.####.exr; skip finished frames
        unless `overwrite`. `spec` is the engine's own, or one that agrees on OPENED_WITH (a run per plate
        of a folder, a bench's variations)."""
        differ = [k for k in OPENED_WITH if getattr(spec, k) != getattr(self.spec, k)]
        if differ:
            raise ValueError(f"this engine was opened with other {', '.join(differ)}; open a MatteEngine for this spec")
        return self._run(Shot(spec if spec is self.spec else spec.validate(), seq, out_dir, name, overwrite), progress)

    def _run(self, job: Shot, progress: bool) -> RunReport:
        from cmn_vfx.io.atomic import clean_stale_temps
        from cmn_vfx.io.image import check_headers
        from cmn_vfx.engine.subject import check_picks
        from cmn_vfx.io.outlock import claim_frames
        started = time.monotonic()
        reader, (w, h), ratio = self._reader(job)
        colorspace, window = reader.colorspace, reader.geometry["data_box"]
        layout = OutputLayout(job.out_dir, job.name, job.seq.padding)
        check_output_dir(layout, job.frames, window.width * window.height)
        check_picks(job, reader.geometry)
        # every check before the runtime starts work in a thread (OpenVINO's compile): a process that
        # exits while it compiles aborts; and the lock before the finished frames are read
        with claim_frames(job.out_dir, job.name, job.frames):
            key = self.resume_key(job, colorspace, ratio)
            differ = mismatch(self.meta.get("taught_with"), taught_with(key), job.name)
            if differ:          # once per shot: a correction net fed another alpha than it learnt from
                warn(differ)
            settings = settings_json(key)
            sha = str(self.meta.get("sha256", ""))
            todo, done, changed = pending_frames(job, layout, settings, sha)
            steps = plan_steps(job, todo, warmup_of(job.spec))
            # Every header of the range (warm-up included) before the first write: a bad frame mid-range
            # is refused with nothing written, not found after the frames before it.
            sources = sorted({s.source for s in steps if s.source is not None})
            check_headers([job.seq.path(job.seq.first)] + [job.seq.path(f) for f in sources], job.spec.layer)
            for directory in {os.path.dirname(p) for p in layout.paths(job.seq.first).values()}:
                clean_stale_temps(directory)
            try:
                if steps:
                    self.backend.prepare((w, h))      # OpenVINO compiles for the size meanwhile, in a thread
                plan = self.subject_plan(job, reader, (w, h)) if steps else None
                for line in plan.warnings() if plan else []:
                    warn(line)
                writer = FrameWriter(layout, colorspace, settings, str(self.meta.get("name", job.seq.name)), sha,
                                     scene_linear_for(colorspace))
                cuts_found: list[int] = []
                written = self._stream(steps, reader, writer, job, cuts_found, progress, plan)
            finally:
                self.backend.settle()
        return RunReport(job.name, list(job.frames), written, done, sum(not s.emit for s in steps),
                         sorted(set(cuts_found)), time.monotonic() - started, layout.alpha_pattern, layout.fg_pattern,
                         changed, writer.clamped, self.runtime)

    def finish(self, net: NetOut) -> FrameOut:
        """The writer thread's half of a frame: edge refinement, the shot's correction, guided upsampling to the
        plate, person layers, and what the fg colour needs. Output-only work: nothing here feeds the
        recurrence, so it overlaps the network's next step."""
        backend, frame_in = self.backend, net.frame_in
        refined = backend.correct(self._uncorrected(net.pha, net.src), net.src)
        alpha = backend.upsample(refined, net.src, frame_in.guide)
        if net.people is not None:                 # [H,W,1+P]: A, person1.A, ...
            size = alpha.shape[::-1]
            alpha = np.dstack([alpha] + [alpha * cv2.resize(r, size, interpolation=cv2.INTER_LINEAR) for r in net.people])
        if net.fgr is None:                        # estimated by the writer where the band needs it
            return FrameOut(frame_in.step, frame_in.plate, alpha, None, (frame_in.src, backend.plane(refined)))
        return FrameOut(frame_in.step, frame_in.plate, alpha, backend.colour(net.fgr))

    def _prepare(self, job: Shot, plan, cuts_found: list[int]):
        """The prior-track stage, run in its own thread between the reader and the network (frames in order):
        cut detection, the person track, the subject's region. FrameIn -> Prepared."""
        detector = CutDetector(CUT_THRESHOLD, job.spec.auto_cuts)
        explicit, track = set(job.spec.cuts), None

        def prepare(frame_in: FrameIn) -> Prepared:
            nonlocal track
            frame = frame_in.step.frame
            cut = detector.is_cut(frame_in.src) or (frame in explicit and not frame_in.step.reset)
            if cut:
                cuts_found.append(frame)
            restart = frame_in.step.reset or cut
            if restart:
                track = self.prior.new_track() if self.prior is not None else None
            prior = mask = people = None
            if track is not None:
                prior = track.update(frame_in.prior)
                if plan is not None:               # only the picked people (cmn_vfx.engine.subject)
                    mask = plan.region(frame, prior)
                    if job.spec.person_layers and frame_in.step.emit:
                        people = plan.person_regions(frame, prior)
                    prior = prior * mask
            return Prepared(frame_in, restart, prior, mask, people)
        return prepare

    def _uncorrected(self, pha, src):
        """What the shot's correction takes (finish) and learns from (capture): the network's alpha pha, after
        the subject's region and the stabiliser, refined at the working size (`--refine`); backend arrays."""
        return self.backend.refine(pha, src)

    def _network(self, prepared, job: Shot):
        """The network over the Prepareds in order, the state carried and reset at a restart: yields (ready, src,
        pha, fgr) per step, backend arrays; pha the step's alpha after the subject's region and the temporal
        stabiliser."""
        state, prev = None, None
        stabilise = TemporalStabiliser(float(job.spec.temporal))
        backend = self.backend      # step, refine, upsample: torch or ONNX Runtime (cmn_vfx.engine.runtime)
        for ready in prepared:
            frame_in = ready.frame_in
            if ready.restart:
                state, prev = None, None
                stabilise.reset()
            src = backend.frame(frame_in.src)
            prior = backend.frame(ready.prior) if ready.prior is not None else None
            region = backend.frame(ready.mask) if ready.mask is not None else None
            pha, fgr, state = backend.step(src, prev, state, prior)
            if region is not None:
                pha = pha * region
            if stabilise.strength:                 # every step, warm-up included: its memory is the shot's
                steady = stabilise(backend.plane(pha), frame_in.src, backend.flow)
                pha = backend.frame(steady if ready.mask is None else steady * ready.mask)
            prev = src
            yield ready, src, pha, fgr

    def capture(self, spec: ShotSpec, seq: Sequence, cuts_found: list[int] | None = None):
        """The engine's pass over the spec's frames of `seq` exactly as `run` makes it (reader, cuts, person track,
        subject, warm-up before a range that starts mid-shot), writing nothing: yields (frame, src [h,w,3] float32
        0..1 sRGB at the working size, pha [h,w] float32: the alpha `finish` hands to Backend.correct, after the
        subject's region, the stabiliser and refinement, before the correction and upsampling) per frame of the
        range, in order (`cmn-matte teach`'s inputs). A subject other than all is resolved as `run` resolves it,
        its cache under spec.output. cuts_found: the frames where the shot cuts are
        appended to it, each before that frame is yielded (as `run` finds them)."""
        job = Shot(spec if spec is self.spec else spec.validate(), seq, spec.output, seq.name)
        reader, size, _ = self._reader(job)
        steps = plan_steps(job, _sources(job), warmup_of(job.spec))
        self.backend.prepare(size)
        try:
            prepare = self._prepare(job, self.subject_plan(job, reader, size), [] if cuts_found is None else cuts_found)
            for ready, src, pha, _ in self._network((prepare(reader.read(s)) for s in steps), job):
                if ready.frame_in.step.emit:
                    yield ready.frame_in.step.frame, ready.frame_in.src, self.backend.plane(self._uncorrected(pha, src))
        finally:
            self.backend.settle()

    def _stream(self, steps: list[Step], reader, writer, job: Shot, cuts_found: list[int], progress: bool,
                plan=None) -> list[int]:
        from tqdm import tqdm
        bar = tqdm(total=sum(s.emit for s in steps), unit="frame", desc=job.name, file=sys.stderr,
                   disable=not progress, dynamic_ncols=True)
        behind = WriteBehind(lambda net: writer.write(self.finish(net)), depth=2)
        # two stages ahead of the network, each in its own thread: read + colour + the prior's nets, then cuts
        # and the prior's track (off the network's thread, which was the critical path at 512x288)
        ahead = ReadAhead(steps, reader.read, depth=2)
        prepared = ReadAhead(ahead, self._prepare(job, plan, cuts_found), depth=2, name="cmn-prior-track")
        try:
            for ready, src, pha, fgr in self._network(prepared, job):
                frame_in = ready.frame_in
                if frame_in.step.emit:                 # refined, upsampled and written in the writer thread
                    colour = fgr if self.spec.fg_colour == "network" else None    # (a v1 export has fgr)
                    behind.submit(NetOut(frame_in, pha, src, colour, ready.people))
                    bar.update(1)
            behind.close()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):      # Ctrl-C / a farm kill: stop now
                behind.abort()
            else:                                       # a bad plate frame: the frames before it are good,
                try:                                    # write them (the writer thread finishes them)
                    behind.close()
                except BaseException:                   # the writer itself failed: nothing more to save
                    behind.abort()
            partial = _partial(exc, writer.written, job)
            if partial is exc:
                raise
            raise partial from exc
        finally:
            prepared.close()                            # downstream first: it may wait on the reader's next frame
            ahead.close()
            bar.close()
        return list(writer.written)


def _sources(job: Shot) -> list[tuple[int, int | None]]:
    """(frame, plate frame or None) of the job's range, as pending_frames gives them to a run that skips nothing."""
    from cmn_vfx.io.sequence import resolve_frames
    return resolve_frames(job.seq, list(job.frames), job.spec.missing)


def warmup_of(spec: ShotSpec) -> int:
    """The frames run before a range that starts mid-shot: the spec's, else DEFAULT_WARMUP."""
    return DEFAULT_WARMUP if spec.warmup is None else int(spec.warmup)


def _partial(exc: BaseException, written: list[int], job: Shot) -> BaseException:
    """Turn a failure after some frames were written into PartialFailure (exit 3), naming what is done."""
    if isinstance(exc, KeyboardInterrupt) or not written:
        return exc
    reason = str(exc) if isinstance(exc, CMNError) else f"{type(exc).__name__}: {exc}"
    return PartialFailure(f"{job.name}: wrote {count_of(len(written), 'frame')} ({format_frame_range(written)}) then stopped: "
                          f"{reason}; fix it and rerun the same command (finished frames are skipped)")
