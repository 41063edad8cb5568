"""Which person (issue 18): a point on either of two people mattes that person only; `main` keeps one.

    .venv/bin/python -m bench.subject_eval [--model default] [--json runs/subject_eval.json]

Clips: the validation suite's two-people clips (bench/validation_clips.py) and one more with two people
over the real street (vtest.avi, walkers behind) plus a composited passer-by. For each person, the
pick is the most interior pixel of their truth on the first frame (plate pixels, y down). Per run:
IoU of alpha > 0.5 with the picked person's truth on every frame (min and mean), and the share of
the other person's pixels with alpha > 0.5 (max over frames). `main`: which person it holds per frame.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import cv2
import numpy as np

import bench.validation_clips as V
from bench.harness.engine import open_engine, read_outputs, run_shot
from bench.harness.plates import PLATE_FIRST, plate_frames, write_plate

CLIPS = [c for c in V.CLIPS if c.category == "two_people"] + [
    V.Clip("two_street", "two_people", "vtest.avi", [V.Layer("p_819ea202", V._walk(0.3, 0.36, 1.0, 0.75)),
                                                     V.Layer("p_22fc0130", V._walk(0.72, 0.66, 1.02, 0.8))],
           passers=[V.Layer("p_0865636e", V._walk(0.45, 0.55, 0.6, 0.22))]),
]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def interior_point(mask: np.ndarray) -> tuple[int, int]:
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(x), int(y)


def run(engine, plate: str, out: str, subject: str, frames: int) -> list[np.ndarray]:
    run_shot(engine, plate, out, plate_frames(frames), subject=subject)
    return read_outputs(out, plate, plate_frames(frames))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.subject_eval", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--work", default="runs/subject_eval")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    engine = open_engine(args.model)
    rows = []
    for clip in CLIPS:
        r = V.render(clip)
        plate = write_plate(os.path.join(args.work, "plates", clip.name), r.src)
        truth = [[p[i] > 0.5 for p in r.people] for i in range(len(clip.people))]
        for i in range(len(clip.people)):
            x, y = interior_point(truth[i][0])
            alphas = run(engine, plate, os.path.join(args.work, clip.name, f"person{i}"), f"{x},{y}@{PLATE_FIRST}", clip.frames)
            ious = [_iou(a > 0.5, t) for a, t in zip(alphas, truth[i])]
            other = [max(((a > 0.5) & t).sum() / max(1, t.sum()) for t in (truth[j][k] for j in range(len(truth)) if j != i))
                     for k, a in enumerate(alphas)]
            rows.append({"clip": clip.name, "subject": f"{x},{y}@{PLATE_FIRST} (person {i + 1})", "iou_min": min(ious),
                         "iou_mean": float(np.mean(ious)), "frames_iou_0.9": float(np.mean([v >= 0.9 for v in ious])),
                         "other_max": float(max(other))})
        alphas = run(engine, plate, os.path.join(args.work, clip.name, "main"), "main", clip.frames)
        held = [[_iou(a > 0.5, truth[i][k]) > 0.5 for i in range(len(truth))] for k, a in enumerate(alphas)]
        who = {tuple(h) for h in held}
        rows.append({"clip": clip.name, "subject": "main", "persons_per_frame": sorted(who),
                     "one_person_held": len(who) == 1 and sum(next(iter(who))) == 1})
        print(json.dumps(rows[-len(clip.people) - 1:]), flush=True)
    print("\n| clip | subject | IoU min | IoU mean | frames IoU >= 0.9 | other person taken (max) |\n|---|---|---:|---:|---:|---:|")
    for r in rows:
        if r["subject"] == "main":
            print(f"| {r['clip']} | main | held one person on every frame: {r['one_person_held']} | | | |")
        else:
            print(f"| {r['clip']} | {r['subject']} | {r['iou_min']:.3f} | {r['iou_mean']:.3f} | "
                  f"{r['frames_iou_0.9']:.0%} | {r['other_max']:.1%} |")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
