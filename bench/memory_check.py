"""Does the network's memory matter? Two measurements of the network alone (torch, its own flow):

    .venv/bin/python -m bench.memory_check --models default,runs/v5/last.pt [--clips two_a,walkers_a] \
        [--warmups 0,2,4,8] [--json F]

1. Blink: the real `people` prior of a validation clip, blanked (zero) on frames BLANK; the mean alpha
   inside the true people (truth > 0.5) on those frames. A network that only follows its prior drops to
   ~0; one that carries the subject holds it (the v5 bar: above 0.5).
2. Chunk start: frames CHUNK.. run from a fresh state W frames earlier (a farm chunk with W warm-up frames;
   --warmups, default 0) against the same frames in a sequential run, the same prior in both; max |alpha
   difference| on the chunk's first 3 frames. Above 1e-3 at W = 0 means the state carries something a chunk
   must warm up for; what W brings it under 2e-3 is the warm-up a farm chunk needs (cmn_vfx/job/warmup.py).
Clips: bench/validation_clips.py (held-out portraits and backgrounds), 20 frames at 512x288.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

import bench.validation_clips as V
from cmn_vfx.model import load_model
from cmn_vfx.prior import load_prior

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


def check(name: str, clip_name: str, warmups: tuple[int, ...] = (0,)) -> dict:
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
    inside = lambda t: rendered.truth[t] > 0.5  # noqa: E731
    row = {"model": name, "clip": clip_name,
           "alpha_inside_blanked": round(float(np.mean([blink[t][inside(t)].mean() for t in BLANK])), 4),
           "alpha_inside_normal": round(float(np.mean([seq[t][inside(t)].mean() for t in BLANK])), 4)}
    for warm in warmups:
        chunk = run(model, rendered.src, priors, CHUNK - warm)[warm:]
        key = "chunk_start_max_diff" + (f"_w{warm}" if warm else "")
        row[key] = float(max(np.abs(chunk[i] - seq[CHUNK + i]).max() for i in range(3)))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory_check", description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="default")
    parser.add_argument("--clips", default="two_a,walkers_a,edge_right_a")
    parser.add_argument("--warmups", default="0", help=f"comma list of warm-up frames W before the chunk (< {CHUNK})")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warmups = tuple(int(v) for v in args.warmups.split(","))
    rows = [check(m, c, warmups) for m in args.models.split(",") for c in args.clips.split(",")]
    for r in rows:
        diffs = "  ".join(f"W={w} {r['chunk_start_max_diff' + (f'_w{w}' if w else '')]:.2e}" for w in warmups)
        print(f"{r['model']:28s} {r['clip']:14s} inside blanked {r['alpha_inside_blanked']:.3f} "
              f"(normal {r['alpha_inside_normal']:.3f})  chunk start max diff {diffs}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
