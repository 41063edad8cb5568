"""Validation of a model against the person prior and prior + classical matting (issue 6).

    python bench/default_model_eval.py [--model default] [--sizes 512x288,1920x1080] [--frames 24]
        [--out runs/eval] [--baselines prior,guided,closed_form] [--json runs/eval/results.json]
        [--sheet docs/images/heldout_contact_sheet.png]

Held-out validation clips: the two held-out P3M portraits (p_22fc0130, p_a09f6d7a; never
trained on) with random smooth subject + camera motion over held-out background frames:
the busy street with pedestrians (vtest.avi frames 600.., the 'val' range) and the tree
(tree.avi frames 47..). Each clip is written as a scene-linear EXR plate with exact alpha by
cmn_vfx.sample_shot.build_sample_shot; the model runs through the real `cmn-matte run` code
path (downsample, guided upsampling, outputs); the baselines run on the same plates in
network space. Metrics are RobustVideoMatting's (whole frame, DESIGN.md METRICS): MAD and MSE
x1e3, Grad, dtSSD x1e2. A benchmark, not a test: it takes minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

CLIPS = [  # (portrait, background, first background frame, motion seed)
    ("p_22fc0130", "vtest.avi", 600, 11),
    ("p_a09f6d7a", "vtest.avi", 700, 12),
    ("p_22fc0130", "tree.avi", 47, 13),
    ("p_a09f6d7a", "tree.avi", 47, 14),
]
METRICS = ("mad", "mse", "grad", "dtssd")


def _frames(pattern: str, first: int, count: int) -> list[str]:
    """Paths of frames first.. of the sequence on disk at `pattern` (padded as its files are)."""
    from cmn_vfx.io.sequence import find_sequence
    seq = find_sequence(pattern)
    return [seq.path(first + i) for i in range(count)]


def matte_frames(shot: dict, out: str, first: int, count: int) -> list[str]:
    """Alpha paths cmn-matte wrote under `out` for frames first.. of the shot's plate (cmn_vfx.job.layout)."""
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.layout import OutputLayout
    plate = find_sequence(shot["plate"])
    layout = OutputLayout(out, plate.name, plate.padding)
    return [layout.alpha_path(first + i) for i in range(count)]


def _score(preds, truths) -> dict:
    from cmn_vfx.metrics import MetricAccumulator
    acc = MetricAccumulator(metrics=METRICS)
    for pred, true in zip(preds, truths):
        acc.update(pred, true)
    return {k: v for k, v in acc.result().items() if k in METRICS}


def evaluate_clip(shot: dict, out: str, model: str, baselines: list[str], frames: int, refine: str = "guided",
                  prior: str | None = None, downsample: str | None = None) -> dict:
    """Scores of the model and each baseline on one clip written by build_sample_shot."""
    from cmn_vfx.cli import matte_main
    from cmn_vfx.color import to_network
    from cmn_vfx.io.image import read_image, read_rgb
    from cmn_vfx.prior import load_prior
    from baselines import classical_matte

    first = int(shot["frames"].split("-")[0])
    truths = [read_image(p).pixels[..., 0] for p in _frames(shot["alpha"], first, frames)]
    rows = {}
    start = time.time()
    code = matte_main(["run", shot["plate"], "--out", out, "--model", model, "--no-progress", "--overwrite",
                       "--refine", refine, *(["--prior", prior] if prior else []),
                       *(["--downsample", downsample] if downsample else [])])
    if code != 0:
        raise SystemExit(f"cmn-matte run failed with exit code {code}")
    preds = [read_image(p).pixels[..., 0] for p in matte_frames(shot, out, first, frames)]
    rows["model"] = dict(_score(preds, truths), seconds_per_frame=(time.time() - start) / frames)
    if baselines:
        prior_fn = load_prior("auto")
        srcs = [to_network(read_rgb(p).pixels, shot["colorspace"]) for p in _frames(shot["plate"], first, frames)]
        priors = [prior_fn(src) for src in srcs]
        if "prior" in baselines:
            rows["prior"] = _score(priors, truths)
        for method in ("guided", "closed_form"):
            if method in baselines:
                rows[f"prior+{method}"] = _score([classical_matte(s, p, method) for s, p in zip(srcs, priors)], truths)
    return rows


def write_sheet(rows: list, path: str) -> None:
    """One contact sheet (cmn_vfx.demo's layout) stacking the given frames of every clip."""
    import cv2
    from cmn_vfx.demo import contact_sheet
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.layout import OutputLayout

    parts = []
    for i, (shot, matte_dir, frames) in enumerate(rows):
        part = f"{path}.part{i}.png"
        plate = find_sequence(shot["plate"])
        contact_sheet(plate, OutputLayout(matte_dir, plate.name, plate.padding), frames, shot["colorspace"], part)
        parts.append(cv2.imread(part))
        os.remove(part)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    cv2.imwrite(path, np.concatenate(parts, axis=0))


def summarise(results: list[dict]) -> dict:
    """Mean of each method's metrics per size and over everything."""
    table: dict = {}
    for r in results:
        for method, scores in r["scores"].items():
            for key in (r["size"], "all"):
                bucket = table.setdefault(key, {}).setdefault(method, {m: [] for m in METRICS})
                for m in METRICS:
                    bucket[m].append(scores[m])
    return {size: {method: {m: float(np.mean(v)) for m, v in d.items()} for method, d in methods.items()}
            for size, methods in table.items()}


def markdown(summary: dict) -> str:
    lines = ["| size | method | MAD | MSE | Grad | dtSSD |", "|---|---|---:|---:|---:|---:|"]
    for size, methods in summary.items():
        for method, s in methods.items():
            lines.append(f"| {size} | {method} | {s['mad']:.2f} | {s['mse']:.2f} | {s['grad']:.2f} | {s['dtssd']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--sizes", default="512x288,1920x1080")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--clips", type=int, default=len(CLIPS), help="use the first N clips")
    parser.add_argument("--baselines", default="prior,guided,closed_form",
                        help="comma list of prior, guided, closed_form (closed_form is skipped above 512 px wide)")
    parser.add_argument("--out", default="runs/eval")
    parser.add_argument("--json", default=None)
    parser.add_argument("--refine", default="guided", choices=("guided", "none"), help="cmn-matte run --refine")
    parser.add_argument("--prior", default=None, help="cmn-matte run --prior (default: the model's own)")
    parser.add_argument("--downsample", default=None, help="cmn-matte run --downsample (default: auto)")
    parser.add_argument("--sheet", default=None,
                        help="PNG: plate | alpha | comp over a checkerboard, first and last frame of each clip")
    args = parser.parse_args(argv)
    from cmn_vfx.sample_shot import build_sample_shot

    baselines = [b for b in args.baselines.split(",") if b]
    results, sheet_rows = [], []
    for size_text in args.sizes.split(","):
        size = tuple(int(v) for v in size_text.split("x"))
        size_baselines = [b for b in baselines if b != "closed_form" or size[0] <= 512]
        for portrait, background, bg_first, seed in CLIPS[:args.clips]:
            clip = f"{size_text}_{portrait}_{background.split('.')[0]}"
            shot = build_sample_shot(os.path.join(args.out, clip, "shot"), args.frames, size,
                                     portrait=portrait, background=background, background_first=bg_first, seed=seed)
            scores = evaluate_clip(shot, os.path.join(args.out, clip, "matte"), args.model, size_baselines, args.frames,
                                   args.refine, args.prior, args.downsample)
            results.append({"size": size_text, "clip": clip, "scores": scores})
            first = int(shot["frames"].split("-")[0])
            sheet_rows.append((shot, os.path.join(args.out, clip, "matte"), [first, first + args.frames - 1]))
            print(clip, json.dumps({k: {m: round(v, 3) for m, v in s.items()} for k, s in scores.items()}), flush=True)
    if args.sheet:
        write_sheet(sheet_rows, args.sheet)
    summary = summarise(results)
    print(markdown(summary))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"model": args.model, "clips": results, "summary": summary}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
