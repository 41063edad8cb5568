"""Per-frame cost of a person prior as the engine runs it, at a plate size (median of N frames).

    .venv/bin/python bench/prior_speed.py --size 1920x1080 --priors people,auto,landscape --threads 2

The engine shrinks the plate to the working size (long side 512, INTER_AREA) before the prior; both
are timed here, on the validation clip edge_left_a's frames upscaled to the plate size.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import validation_clips as V  # noqa: E402

from cmn_vfx.job.names import AUTO_LONG_SIDE  # noqa: E402
from cmn_vfx.prior import load_prior  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--priors", default="people,auto,landscape,selfie")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=20)
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    w, h = (int(v) for v in args.size.split("x"))
    clip = V.render([c for c in V.CLIPS if c.name == "edge_left_a"][0])
    plates = [cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in clip.src[:args.frames]]
    s = min(1.0, AUTO_LONG_SIDE / max(w, h))
    small_size = (round(w * s), round(h * s))
    print(f"| prior | plate | threads | resize ms | prior ms (observe + track) | total ms |\n|---|---|---:|---:|---:|---:|")
    for name in args.priors.split(","):
        prior = load_prior(name, threads=args.threads)
        track = prior.new_track()
        resize, run = [], []
        for plate in plates:
            t0 = time.perf_counter()
            small = cv2.resize(plate, small_size, interpolation=cv2.INTER_AREA)
            t1 = time.perf_counter()
            track.update(prior.observe(small))
            t2 = time.perf_counter()
            resize.append((t1 - t0) * 1e3)
            run.append((t2 - t1) * 1e3)
        r, p = np.median(resize[2:]), np.median(run[2:])
        print(f"| {name} | {w}x{h} | {args.threads} | {r:.1f} | {p:.1f} | {r + p:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
