"""Teach the shot, measured: validation clips with the truth of 3 frames as keys (issue 28).

    .venv/bin/python -m bench.teach_eval --base runs/v5/iter000800.pt --clips walkers_a,hat_behind_a,two_a \
        --work runs/teach_eval --json runs/teach_eval.json [--minutes 3] [--rescore]

Per clip (bench/validation_clips.py, 20 frames at 512x288, written as scene-linear EXR plates as
the validation entry writes them, bench/harness/plates.py): keys = the truth of the first, middle and last frames; then, each as the
command line runs it (a child process, timed, peak RSS from /usr/bin/time):
  auto    cmn-matte run PLATE --model BASE             the automatic matte of the same base
  default cmn-matte run PLATE --model default          the shipped model
  teach   cmn-matte teach PLATE --keys KEYS --model BASE --out taught.pt --minutes M --method heads
  taught  cmn-matte run PLATE --model taught.pt
`--method correct --end-to-end`: the shipped path, teach (--method correct, its own defaults) + taught as above.
`--method correct` (bench/harness/teach_correct.py, the issue's outside probe): instead of teach + taught, the
product's correction net (cmn_vfx.teach.correct) trained from scratch on the keys for --minutes (default 2.5) on
one thread corrects the auto run's final alpha (no default run; with --rescore the auto run a past run left is
scored again and the net trained anew). `cmn-matte teach --method correct` trains the same net on the base's raw
step alpha instead, inside the taught model:
    .venv/bin/python -m bench.teach_eval --method correct --base default --work runs/teach_eval
MAD x1e3 on the 17 other frames and on the keys, FlkAll x1e3 (bench/harness/metrics.py) over all 20 frames.
The edge check (does teaching soften edges?): on the 17 other frames, the MAD x1e3 over the pixels within EDGE_PX
of the truth's 0.5 contour (edge), and away from it inside the person (inner) and outside (outer); `edge_nb`:
the edge band on the keys' neighbours alone (the frames next to a key, where the issue asks for it).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

import cv2
import numpy as np

import bench.validation_clips as V
from bench.harness.engine import read_outputs
from bench.harness.metrics import backward_flows, flicker
from bench.harness.plates import PLATE_FIRST, write_keys, write_plate
from bench.harness.teach_correct import CorrectSettings, apply_correction, teach_correction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CMN = os.path.join(ROOT, ".venv", "bin", "cmn-matte")


def timed(cmd: list[str], log: str, run: bool = True) -> dict:
    """Run cmd under /usr/bin/time -v, its output to `log` (run False: read the log a past run left);
    {'seconds', 'peak_rss_mb'} from /usr/bin/time's lines."""
    if run:
        with open(log, "w") as fh:
            subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=fh, stderr=subprocess.STDOUT, check=True)
    text = open(log).read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    seconds = sum(float(v) * 60 ** i for i, v in enumerate(reversed(wall.group(1).split(":")))) if wall else None
    return {"seconds": None if seconds is None else round(seconds, 1),
            "peak_rss_mb": round(int(rss.group(1)) / 1024) if rss else None}


EDGE_PX = 3      # the edge band: pixels within this many of the truth's 0.5 contour


def regions(truth: np.ndarray) -> dict[str, np.ndarray]:
    """Masks [H,W] bool of a true alpha [H,W] 0..1: edge (within EDGE_PX of the 0.5 contour), inner and outer
    (the person's inside and the background, away from the edge)."""
    person = (truth > 0.5).astype(np.uint8)
    # distance of each pixel to the nearest pixel on the contour's other side
    to_out = cv2.distanceTransform(person, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    to_in = cv2.distanceTransform(1 - person, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    edge = np.where(person > 0, to_out, to_in) <= EDGE_PX
    if person.all() or not person.any():
        edge[:] = False             # no contour: distanceTransform's 'infinite' distances are not a band
    return {"edge": edge, "inner": (person > 0) & ~edge, "outer": (person == 0) & ~edge}


def region_mads(preds: list[np.ndarray], truth: list[np.ndarray], indices: list[int]) -> dict[str, float | None]:
    """MAD x1e3 over the pixels of each region (regions()) pooled over frames `indices`; None where it is empty."""
    sums, counts = {}, {}
    for i in indices:
        err = np.abs(preds[i] - truth[i])
        for name, mask in regions(truth[i]).items():
            sums[name] = sums.get(name, 0.0) + float(err[mask].sum())
            counts[name] = counts.get(name, 0) + int(mask.sum())
    return {name: round(sums[name] / counts[name] * 1e3, 2) if counts[name] else None for name in sums}


def score(preds: list[np.ndarray], clip: V.Rendered, keys: list[int], flows: list) -> dict:
    mad = [float(np.abs(p - t).mean()) * 1e3 for p, t in zip(preds, clip.truth)]
    others = [i for i in range(len(mad)) if i not in keys]
    neighbours = sorted({j for k in keys for j in (k - 1, k + 1) if j in others})
    return {"mad_other": round(float(np.mean([mad[i] for i in others])), 2),
            "mad_keys": round(float(np.mean([mad[i] for i in keys])), 2), "flk": round(flicker(preds, flows), 2),
            **region_mads(preds, clip.truth, others),
            "edge_nb": region_mads(preds, clip.truth, neighbours)["edge"]}


def clip_row(name: str, args: argparse.Namespace) -> dict:
    clip = next(c for c in V.CLIPS if c.name == name)
    r = V.render(clip)
    n = len(r.src)
    keys = [0, n // 2, n - 1]
    work = os.path.join(args.work, name)
    plate = write_plate(os.path.join(work, "plate"), r.src)
    key_pattern = write_keys(os.path.join(work, "keys"), r.truth, keys)
    flows = backward_flows(r.src)
    row = {"clip": name, "base": args.base, "keys": [PLATE_FIRST + i for i in keys]}
    probe = args.method == "correct" and not args.end_to_end
    runs = {"auto": args.base} if args.method == "correct" else {"auto": args.base, "default": "default"}
    for label, model in runs.items():
        out = os.path.join(work, label)
        t = timed([CMN, "run", plate, "--model", model, "--out", out, "--overwrite", "--no-progress"], out + ".log",
                  not args.rescore)
        row[label] = dict(score(read_outputs(out, plate), r, keys, flows), **t)
    row["truth_flk"] = round(flicker(r.truth, flows), 2)
    if probe:
        auto = read_outputs(os.path.join(work, "auto"), plate)
        budget = {"minutes": None, "iterations": args.iterations} if args.iterations else {"minutes": args.minutes}
        return dict(row, **correct_row(r, auto, keys, flows, CorrectSettings(**budget)))
    taught = os.path.join(work, "taught.pt")
    teach = [CMN, "teach", plate, "--keys", key_pattern, "--model", args.base, "--out", taught, "--no-progress", "--json",
             "--minutes", str(args.minutes), "--method", args.method]
    teach += ["--iterations", str(args.iterations)] if args.iterations else []
    row["teach"] = timed(teach, os.path.join(work, "teach.log"), not args.rescore)
    report = [json.loads(line) for line in open(os.path.join(work, "teach.log")) if line.startswith("{")]
    if report:
        row["teach"].update(iterations=report[-1]["iterations"], fit_keys=report[-1]["key_mad_x1e3"])
    out = os.path.join(work, "taught")
    t = timed([CMN, "run", plate, "--model", taught, "--out", out, "--overwrite", "--no-progress"], out + ".log",
              not args.rescore)
    row["taught"] = dict(score(read_outputs(out, plate), r, keys, flows), **t)
    row["ratio"] = round(row["taught"]["mad_other"] / max(row["auto"]["mad_other"], 1e-9), 3)
    return row


def correct_row(r: V.Rendered, auto: list[np.ndarray], keys: list[int], flows: list,
                settings: CorrectSettings) -> dict:
    """{'teach': the training report, 'taught': the corrected matte's scores, 'ratio'} for the auto alphas
    [T][H,W] of clip r (--method correct)."""
    net, report = teach_correction(r.src, auto, r.truth, keys, settings)
    taught = score(apply_correction(net, r.src, auto), r, keys, flows)
    auto_mad = score(auto, r, keys, flows)["mad_other"]
    return {"teach": report, "taught": taught, "ratio": round(taught["mad_other"] / max(auto_mad, 1e-9), 3)}


def table(rows: list[dict]) -> str:
    if "teach" in rows[0] and "load" in rows[0]["teach"]:
        return correct_table(rows)
    head = (f"{'clip':<14} {'auto MAD':>8} {'default':>8} {'taught':>8} {'ratio':>6} {'keys fit':>8} "
            f"{'flk auto':>8} {'flk taught':>10} {'teach s':>7} {'RSS MB':>7} {'its':>5}")
    lines = [head, "-" * len(head)]
    for r in rows:
        default = f"{r['default']['mad_other']:.2f}" if "default" in r else "-"     # --end-to-end: no default run
        lines.append(f"{r['clip']:<14} {r['auto']['mad_other']:>8.2f} {default:>8} "
                     f"{r['taught']['mad_other']:>8.2f} {r['ratio']:>6.2f} {r['taught']['mad_keys']:>8.2f} "
                     f"{r['auto']['flk']:>8.2f} {r['taught']['flk']:>10.2f} {r['teach']['seconds']:>7.0f} "
                     f"{r['teach']['peak_rss_mb']:>7} {r['teach'].get('iterations', 0):>5}")
    return "\n".join(lines) + "\n\n" + edge_table(rows)


def correct_table(rows: list[dict]) -> str:
    """--method correct: the corrected matte against the auto run, with the training's iterations and load."""
    head = (f"{'clip':<14} {'auto MAD':>8} {'corrected':>9} {'ratio':>6} {'keys fit':>8} {'flk auto':>8} "
            f"{'flk corr':>8} {'train s':>7} {'its':>5} {'load':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        t = r["teach"]
        lines.append(f"{r['clip']:<14} {r['auto']['mad_other']:>8.2f} {r['taught']['mad_other']:>9.2f} "
                     f"{r['ratio']:>6.2f} {r['taught']['mad_keys']:>8.2f} {r['auto']['flk']:>8.2f} "
                     f"{r['taught']['flk']:>8.2f} {t['seconds']:>7.0f} {t['iterations']:>5} "
                     f"{'%.1f-%.1f' % tuple(t['load']):>9}")
    return "\n".join(lines) + "\n\n" + edge_table(rows)


def edge_table(rows: list[dict]) -> str:
    """The edge check: MAD x1e3 by region on the non-key frames, automatic -> taught."""
    names = ("edge", "inner", "outer", "edge_nb")
    shown = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    head = f"{'clip':<14} " + " ".join(f"{n + ' auto -> taught':>22}" for n in names)
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = [f"{shown(r['auto'][n]) + ' -> ' + shown(r['taught'][n]):>22}" for n in names]
        lines.append(f"{r['clip']:<14} " + " ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.teach_eval", description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="default", help="the base model: a checkpoint or a bundled name (default: "
                        "default); --method heads needs a v5 checkpoint (frozen trunk)")
    parser.add_argument("--clips", default="walkers_a,hat_behind_a,two_a")
    parser.add_argument("--work", default="runs/teach_eval")
    parser.add_argument("--method", choices=("heads", "correct"), default="heads",
                        help="heads: cmn-matte teach (default); correct: a correction net per shot (the probe)")
    parser.add_argument("--minutes", type=float, default=None, help="default 3 (heads), 2.5 (correct)")
    parser.add_argument("--iterations", type=int, default=None,
                        help="--method correct: train this many iterations, not for --minutes (figures that do not "
                             "hang on the machine's load)")
    parser.add_argument("--end-to-end", action="store_true",
                        help="--method correct as shipped: cmn-matte teach (its defaults: torch's threads, "
                             "--minutes 3) then cmn-matte run --model taught.pt, timed, instead of the harness")
    parser.add_argument("--json", default=None)
    parser.add_argument("--rescore", action="store_true",
                        help="run nothing: score again the outputs and logs a past run left in --work")
    args = parser.parse_args(argv)
    if args.minutes is None:
        args.minutes = 2.5 if args.method == "correct" and not args.end_to_end else 3.0
    rows = []
    for name in args.clips.split(","):
        rows.append(clip_row(name, args))
        print(json.dumps(rows[-1]), flush=True)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(rows, fh, indent=1)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
