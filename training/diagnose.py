"""How a frozen-trunk (v5) checkpoint does on its own training clips, against the prior it was given.

    python -m cmn_vfx_training.diagnose runs/v5r/iter000200.pt --cache runs/cache_v5r --clips 12

For each cached clip (training/features.py) the network runs the clip's first `--frames` frames from a fresh
state with the cached real prior, as `cmn-matte run` would (its own flow and features), and prints, on
the last frame:
- MAD x1e3 of the prior and of the network against the truth;
- halo: the mean alpha of the network (and of the prior) in a ring 2-8 px outside the truth's 0.5
  contour where the truth is 0: a matte that spreads past the person;
- shift: the integer (dx, dy) within +-6 px that best aligns the network's alpha (and the prior) with
  the truth: a misregistered truth or flow would show as a steady shift.
The held-out side is the validation suite (`python -m bench.validate`); comparing both says whether a
fault is in the recipe (it shows here too) or in generalisation (it shows only there).
"""
from __future__ import annotations

import argparse

import cv2
import numpy as np
import torch

from cmn_vfx_training.features import clip_dirs, load_clip


def halo_ring(truth: np.ndarray) -> np.ndarray:
    """Pixels 2-8 px outside the truth's 0.5 contour where the truth is 0 (bool [H,W])."""
    inside = (truth > 0.5).astype(np.uint8)
    far = cv2.dilate(inside, np.ones((17, 17), np.uint8)) > 0
    near = cv2.dilate(inside, np.ones((5, 5), np.uint8)) > 0
    return far & ~near & (truth < 0.01)


def best_shift(alpha: np.ndarray, truth: np.ndarray, radius: int = 6) -> tuple[int, int]:
    """The integer (dx, dy), |d| <= radius, that moves `alpha` closest to `truth` (L1, borders cut)."""
    r = radius
    errors = {(dx, dy): float(np.abs(np.roll(alpha, (dy, dx), (0, 1)) - truth)[r:-r, r:-r].mean())
              for dy in range(-r, r + 1) for dx in range(-r, r + 1)}
    return min(errors, key=errors.get)


@torch.inference_mode()
def diagnose_clip(model, path: str, frames: int) -> dict:
    clip = load_clip(path)
    n = min(frames, clip["src"].shape[0])
    src = torch.from_numpy(np.asarray(clip["src"][:n], np.float32) / 255).permute(0, 3, 1, 2)
    prior = torch.from_numpy(np.asarray(clip["prior"][:n], np.float32) / 255)[:, None]
    state, prev = None, None
    for t in range(n):
        alpha, _, state = model(src[t:t + 1], prev, state, prior[t:t + 1], with_fgr=False)
        prev = src[t:t + 1]
    truth = np.asarray(clip["pha"][n - 1], np.float32) / 255
    net, pri = alpha[0, 0].numpy(), prior[n - 1, 0].numpy()
    ring = halo_ring(truth)
    halo = lambda a: float(a[ring].mean()) if ring.any() else 0.0  # noqa: E731
    return {"clip": path, "prior_mad": 1e3 * float(np.abs(pri - truth).mean()),
            "net_mad": 1e3 * float(np.abs(net - truth).mean()), "prior_halo": halo(pri), "net_halo": halo(net),
            "prior_shift": best_shift(pri, truth), "net_shift": best_shift(net, truth)}


def main(argv: list[str] | None = None) -> int:
    from cmn_vfx.model.checkpoint import load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--cache", default="runs/cache_v5r", help="a feature cache (training/features.py)")
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--frames", type=int, default=4, help="frames run from a fresh state (the last is scored)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model, _ = load_model(args.checkpoint)
    rows = []
    for path in clip_dirs(args.cache)[:args.clips]:
        if float(np.asarray(load_clip(path)["pha"][0]).mean()) < 2.55:      # no person in the clip
            continue
        row = diagnose_clip(model, path, args.frames)
        rows.append(row)
        print(f"{path[-10:]}  MAD prior {row['prior_mad']:6.1f} net {row['net_mad']:6.1f}  halo prior "
              f"{row['prior_halo']:.3f} net {row['net_halo']:.3f}  shift prior {row['prior_shift']} net {row['net_shift']}",
              flush=True)
    if rows:
        mean = lambda k: float(np.mean([r[k] for r in rows]))  # noqa: E731
        better = sum(r["net_mad"] < r["prior_mad"] for r in rows)
        print(f"mean of {len(rows)} clips: MAD prior {mean('prior_mad'):.2f} net {mean('net_mad'):.2f} "
              f"(net better on {better}); halo prior {mean('prior_halo'):.3f} net {mean('net_halo'):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
