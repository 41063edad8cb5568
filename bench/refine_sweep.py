"""Choose `--refine guided`'s band and eps for a model's alpha on TUNING clips (not the held-out ones).

    python bench/refine_sweep.py [--model default] [--frames 16] [--out runs/refine_sweep]

Tuning clips: the four P3M portraits that training uses, over TRAINING-range frames of the
bundled backgrounds (the first 65% of the decoded frames: vtest.avi 0..516, tree.avi 0..44),
with random smooth motion, written by cmn_vfx.sample_shot.build_sample_shot at 512x288 (the
network's working size, so refinement runs on the plate's pixels). The model runs once per clip through `cmn-matte run --refine none`;
each (band, eps) is then applied to its alpha with the numpy twin of the engine's cmn_vfx.engine.refine
(baselines.classical_matte(..., 'guided'), band in px at 288 px short side, radius
4 x band). Prints MAD / MSE / Grad / dtSSD per setting, best MAD first. A benchmark: minutes.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from default_model_eval import METRICS, _frames, _score, matte_frames  # noqa: E402

TUNING = [  # (portrait, background, first background frame, motion seed): all seen by training
    ("p_07141906", "vtest.avi", 100, 31),
    ("p_514ca06a", "vtest.avi", 300, 32),
    ("p_818e689d", "tree.avi", 0, 33),
    ("p_09ba26b4", "tree.avi", 20, 34),
]
BANDS = (0, 1, 2, 3, 4, 6)  # 0 = no refinement
EPSS = (1e-5, 1e-4, 1e-3, 1e-2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--out", default="runs/refine_sweep")
    args = parser.parse_args(argv)
    import numpy as np

    from cmn_vfx.cli import matte_main
    from cmn_vfx.color import to_network
    from cmn_vfx.io.image import read_image, read_rgb
    from baselines import classical_matte
    from cmn_vfx.sample_shot import build_sample_shot

    clips = []
    for portrait, background, bg_first, seed in TUNING:
        root = os.path.join(args.out, f"{portrait}_{background.split('.')[0]}")
        shot = build_sample_shot(os.path.join(root, "shot"), args.frames, (512, 288), portrait=portrait,
                                 background=background, background_first=bg_first, seed=seed)
        out = os.path.join(root, "matte")
        if matte_main(["run", shot["plate"], "--out", out, "--model", args.model, "--no-progress", "--overwrite",
                       "--refine", "none"]) != 0:
            raise SystemExit("cmn-matte run failed")
        first = int(shot["frames"].split("-")[0])
        clips.append({
            "src": [to_network(read_rgb(p).pixels, shot["colorspace"]) for p in _frames(shot["plate"], first, args.frames)],
            "pha": [read_image(p).pixels[..., 0] for p in matte_frames(shot, out, first, args.frames)],
            "gt": [read_image(p).pixels[..., 0] for p in _frames(shot["alpha"], first, args.frames)]})
    rows = []
    for band, eps in itertools.chain([(0, 0.0)], itertools.product(BANDS[1:], EPSS)):
        scores = [_score([classical_matte(s, a, "guided", band=band, eps=eps) if band else a
                          for s, a in zip(c["src"], c["pha"])], c["gt"]) for c in clips]
        rows.append((band, eps, {m: float(np.mean([s[m] for s in scores])) for m in METRICS}))
        print(f"band {band} eps {eps:g}: " + " ".join(f"{m} {v:.2f}" for m, v in rows[-1][2].items()), flush=True)
    print("\n| band px | eps | MAD | MSE | Grad | dtSSD |\n|---:|---:|---:|---:|---:|---:|")
    for band, eps, s in sorted(rows, key=lambda r: r[2]["mad"]):
        print(f"| {band} | {eps:g} | " + " | ".join(f"{s[m]:.2f}" for m in METRICS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
