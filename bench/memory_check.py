"""Does the network's memory matter? Two measurements of the network alone (torch, its own flow):

    .venv/bin/python bench/memory_check.py --models default,runs/v5/last.pt [--clips two_a,walkers_a] [--json F]

1. Blink: the real `people` prior of a validation clip, blanked (zero) on frames BLANK; the mean alpha
   inside the true people (truth > 0.5) on those frames. A network that only follows its prior drops to
   ~0; one that carries the subject holds it (the v5 bar: above 0.5).
2. Chunk start: frames CHUNK.. run from a fresh state (a farm chunk with W = 0 warm-up frames) against the
   same frames in a sequential run; max |alpha difference| on the chunk's first 3 frames. Above 1e-3
   means the state carries something a chunk must warm up for.
Clips: bench/validation_clips.py (held-out portraits and backgrounds), 20 frames at 512x288.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import validation_clips as V  # noqa: E402

from cmn_vfx.model import load_model  # noqa: E402
from cmn_vfx.prior import load_prior  # noqa: E402

BLANK = (8, 9, 10)
CHUNK = 10


def run(model, frames: list[np.ndarray], priors: list[np.ndarray], start: int = 0) -> list[np.ndarray]:
    """The network over frames[start:], fresh state at `start`; alpha [H,W] per frame."""
    nchw = lambda a: torch.from_numpy(np.ascontiguousarray(a[..., None] if a.ndim == 2 else a)).permute(2, 0, 1)[None]  # noqa: E731
    state, prev, out = None, None, []
    with torch.inference_mode():
        for src, prior in zip(frames[start:], priors[start:]):
            pha, _, state = model(nchw(src), prev, state, nchw(prior), with_fgr=False)
            out.append(pha[0, 0].numpy())
            prev = nchw(src)
    return out


def check(name: str, clip_name: str) -> dict:
    model, _ = load_model(name)
    model.eval()
    clip = next(c for c in V.CLIPS if c.name == clip_name)
    rendered = V.render(clip)
    prior_net = load_prior("people")
    track = prior_net.new_track()
    priors = [track.update(prior_net.observe(np.ascontiguousarray(f))).astype(np.float32) for f in rendered.src]
    blanked = [p * 0 if t in BLANK else p for t, p in enumerate(priors)]
    seq = run(model, rendered.src, priors)
    blink = run(model, rendered.src, blanked)
    chunk = run(model, rendered.src, priors, CHUNK)
    inside = lambda t: rendered.truth[t] > 0.5  # noqa: E731
    return {"model": name, "clip": clip_name,
            "alpha_inside_blanked": round(float(np.mean([blink[t][inside(t)].mean() for t in BLANK])), 4),
            "alpha_inside_normal": round(float(np.mean([seq[t][inside(t)].mean() for t in BLANK])), 4),
            "chunk_start_max_diff": float(max(np.abs(chunk[i] - seq[CHUNK + i]).max() for i in range(3)))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="default")
    parser.add_argument("--clips", default="two_a,walkers_a,edge_right_a")
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [check(m, c) for m in args.models.split(",") for c in args.clips.split(",")]
    for r in rows:
        print(f"{r['model']:28s} {r['clip']:14s} inside blanked {r['alpha_inside_blanked']:.3f} "
              f"(normal {r['alpha_inside_normal']:.3f})  chunk start max diff {r['chunk_start_max_diff']:.2e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
