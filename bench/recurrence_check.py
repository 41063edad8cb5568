"""Does the network's memory matter? Chunk starts against a sequential run, per warm-up.

    .venv/bin/python bench/recurrence_check.py --model default [--clips two_a,walkers_b,fast_b,face_blurred]

For each validation clip (bench/validation_clips.py, 512x288, 20 frames) the model runs the clip
sequentially, then as a chunk starting at frame START = 12 with a fresh state W frames earlier
(W = 0, 2, 4, 8), and the mean |alpha_chunk - alpha_sequential| at frame START is printed (x1e3
and as a fraction). Both runs get the SAME prior (the people prior run once over the whole clip),
so the difference is the recurrent state alone: the flow-warped memory the default model v4 issue
asks to be used (bar: > 1e-3 at W = 0, < 2e-3 at W = 8). The engine's own chunk seams
(prior track included) are checked by bench/farm_seams.py.

Then what the memory is for: the prior blinks out (set to 0) for the 2 frames up to START, and the
mean alpha inside the truth's people at START is printed beside the same with the prior intact.
A network that carries the subject along the flow keeps it; one that follows its prior drops it.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

START = 12
WARMUPS = (0, 2, 4, 8)


def run(model, frames: list[torch.Tensor], priors: list[torch.Tensor], first: int, last: int,
        blink: int = 0) -> torch.Tensor:
    """alpha [H,W] at frame `last`, from a fresh state at frame `first` (the prior 0 for the last `blink` frames)."""
    state, prev = None, None
    with torch.no_grad():
        for t in range(first, last + 1):
            prior = priors[t] * 0 if t > last - blink else priors[t]
            pha, _, state = model(frames[t], prev, state, prior)
            prev = frames[t]
    return pha[0, 0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--clips", default="two_a,walkers_b,fast_b,face_blurred,edge_left_a,hair_busy_a")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from cmn_vfx.model import load_model
    from cmn_vfx.prior import load_prior
    from validation_clips import CLIPS, render

    model, info = load_model(args.model)
    model.eval()
    prior = load_prior(info["model_config"].get("prior_model") or "auto", threads=args.threads)
    table = {w: [] for w in WARMUPS}
    held = []
    print(f"model {args.model}; mean |d alpha| x1e3 at the chunk's first frame (frame {START})")
    print("clip".ljust(16) + "".join(f"W={w}".rjust(9) for w in WARMUPS))
    for clip in [c for c in CLIPS if c.name in args.clips.split(",")]:
        rendered = render(clip)
        track = prior.new_track()
        priors = [torch.from_numpy(track.update(prior.observe(f)).astype(np.float32))[None, None]
                  for f in rendered.src]
        frames = [torch.from_numpy(f.transpose(2, 0, 1).copy())[None] for f in rendered.src]
        seq = run(model, frames, priors, 0, START)
        row = []
        for w in WARMUPS:
            d = float((run(model, frames, priors, START - w, START) - seq).abs().mean())
            table[w].append(d)
            row.append(d)
        print(clip.name.ljust(16) + "".join(f"{d * 1e3:9.3f}" for d in row))
        truth = torch.from_numpy(rendered.truth[START] > 0.5)
        blinked = run(model, frames, priors, 0, START, blink=2)
        held.append((clip.name, float(seq[truth].mean()), float(blinked[truth].mean())))
    print("mean".ljust(16) + "".join(f"{np.mean(table[w]) * 1e3:9.3f}" for w in WARMUPS))
    print(f"\nmean alpha inside the people at frame {START}, prior intact / prior 0 for 2 frames")
    for name, intact, blinked in held:
        print(f"{name.ljust(16)}{intact:9.3f}{blinked:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
