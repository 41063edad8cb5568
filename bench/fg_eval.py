"""The foreground's colour where alpha is fractional: the network's fg decoder against the estimate from
the frame and alpha (cmn_vfx.engine.foreground), on the validation suite's composited clips.

    .venv/bin/python bench/fg_eval.py [--model default] [--clips name,...] [--json runs/fg_eval.json]

Each clip (validation portraits over validation backgrounds, bench/validation_clips.py; composited, so
the people's true colour is known) runs through the engine as `cmn-matte run` does, once per
--fg-colour, with the same alpha. Reported per clip and overall, both x1000:
- colour: mean |F - F_true| (sRGB 0..1, F = the written fg / its alpha) over the pixels where both the
  truth and the written alpha are fractional (0.02..0.98 and 0..1): the estimate itself;
- premult: mean |fg - fg_true| (scene-linear premultiplied RGB) over the whole frame: what a
  compositor gets (alpha errors included, the same in both rows).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import validation_clips as V  # noqa: E402
from validate import PLATE_FIRST, write_plate  # noqa: E402

MODES = ("network", "estimate")


def score(fg_out: np.ndarray, alpha_out: np.ndarray, fg_true_srgb: np.ndarray, alpha_true: np.ndarray) -> dict:
    """fg_out: [H,W,3] linear premultiplied; fg_true_srgb: [H,W,3] sRGB premultiplied (validation_clips)."""
    from cmn_vfx.color import from_network, to_network     # the plates' own conversion (validate.write_plate)
    a_t = alpha_true[..., None]
    colour_true = np.where(a_t > 0, fg_true_srgb / np.maximum(a_t, 1e-6), 0.0)
    premult_true = from_network(np.clip(colour_true, 0, 1).astype(np.float32), "lin_rec709") * a_t
    band = (alpha_true > 0.02) & (alpha_true < 0.98) & (alpha_out > 0) & (alpha_out < 1)
    colour = to_network((fg_out[band] / alpha_out[band][:, None])[:, None, :], "lin_rec709")[:, 0, :]
    return {"colour": float(np.abs(colour - np.clip(colour_true[band], 0, 1)).mean() * 1e3) if band.any() else None,
            "premult": float(np.abs(fg_out - premult_true).mean() * 1e3), "band_pixels": int(band.sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--clips", help="comma-separated clip names (default: all)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    from cmn_vfx.engine import EngineConfig, MatteEngine, ShotJob
    from cmn_vfx.io.image import read_image
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.layout import OutputLayout
    engines = {m: MatteEngine(EngineConfig(model=args.model, device="cpu", fg_colour=m)) for m in MODES}
    clips = [c for c in V.CLIPS if not args.clips or c.name in args.clips.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="cmn_fg_") as work:
        for clip in clips:
            rendered = V.render(clip)
            seq = find_sequence(write_plate(os.path.join(work, "plates", clip.name), rendered.src))
            frames = list(range(PLATE_FIRST, PLATE_FIRST + len(rendered.src)))
            row = {"clip": clip.name, "category": clip.category}
            for mode, engine in engines.items():
                out = os.path.join(work, mode, clip.name)
                engine.run(ShotJob(seq, frames, out, seq.name, overwrite=True), progress=False)
                layout = OutputLayout(out, seq.name, seq.padding)
                scores = [score(read_image(layout.fg_path(f)).pixels[..., :3], read_image(layout.alpha_path(f)).pixels[..., 0],
                                fg, truth) for f, fg, truth in zip(frames, rendered.fg, rendered.truth)]
                colours = [s["colour"] for s in scores if s["colour"] is not None]
                row[mode] = {"colour": float(np.mean(colours)) if colours else None,
                             "premult": float(np.mean([s["premult"] for s in scores]))}
            rows.append(row)
            print(f"{clip.name:14s} " + "  ".join(f"{m}: colour {row[m]['colour']:.1f} premult {row[m]['premult']:.2f}"
                                                  for m in MODES), flush=True)
    summary = {m: {k: float(np.mean([r[m][k] for r in rows if r[m][k] is not None])) for k in ("colour", "premult")}
               for m in MODES}
    print("mean           " + "  ".join(f"{m}: colour {summary[m]['colour']:.1f} premult {summary[m]['premult']:.2f}"
                                        for m in MODES))
    wins = sum(r["estimate"]["colour"] < r["network"]["colour"] for r in rows if r["network"]["colour"] is not None)
    print(f"estimate better in colour on {wins} of {len(rows)} clips")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump({"model": args.model, "rows": rows, "summary": summary}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
