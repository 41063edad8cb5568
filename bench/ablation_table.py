"""The ablation table of README (paper table 4 at our budget): each row's model on the held-out clips.

    python bench/ablation_table.py [--rows full,convgru,baseline,full_noprior] [--runs runs]
        [--frames 24] [--prior-json runs/eval512.json] [--seeds 0,1]

Row R is runs/ablation_R/last.pt, trained by configs/train/ablation_R.yaml; with --seeds, seed
S > 0 is runs/ablation_R_sS/last.pt (`cmn-train --config configs/train/ablation_R.yaml --seed S
--out runs/ablation_R_sS`), and the table gets one line per seed and the mean of the seeds. Each model goes through
bench/default_model_eval.py at 512x288 (the same four held-out clips, through `cmn-matte run
--refine none`: the networks' own mattes, no edge refinement);
its scores are kept in runs/evalab_R.json and reused when that file is newer than the checkpoint.
With --prior-json (a default_model_eval result with baselines) the person prior's row is added.
Prints a markdown table: MAD, MSE, Grad, dtSSD (whole frame; x1e3, x1e3, raw, x1e2).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import default_model_eval  # noqa: E402

LABELS = {"full": "full (context-motion operator)", "convgru": "convgru (ConvGRU, no motion)",
          "baseline": "baseline (no recurrence)", "full_noprior": "full, prior: none (the paper's input)"}


def row_scores(row: str, runs: str, frames: int, seed: int = 0) -> dict:
    name = row if seed == 0 else f"{row}_s{seed}"
    ckpt = os.path.join(runs, f"ablation_{name}", "last.pt")
    cached = os.path.join(runs, f"evalab_{name}.json")
    if not (os.path.exists(cached) and os.path.getmtime(cached) > os.path.getmtime(ckpt)):
        default_model_eval.main(["--model", ckpt, "--sizes", "512x288", "--frames", str(frames), "--baselines", "",
                                 "--refine", "none",
                                 "--out", os.path.join(runs, f"evalab_{name}"), "--json", cached])
    with open(cached, encoding="utf-8") as fh:
        return json.load(fh)["summary"]["512x288"]["model"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="full,convgru,baseline,full_noprior")
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--prior-json", default=None)
    parser.add_argument("--seeds", default="0", help="comma list of training seeds (0 = the configs' own)")
    args = parser.parse_args(argv)
    seeds = [int(v) for v in args.seeds.split(",")]
    rows = []
    for r in (r for r in args.rows.split(",") if r):
        per_seed = [row_scores(r, args.runs, args.frames, seed) for seed in seeds]
        if len(seeds) == 1:
            rows.append((LABELS.get(r, r), per_seed[0]))
            continue
        rows += [(f"{LABELS.get(r, r)}, seed {seed}", sc) for seed, sc in zip(seeds, per_seed)]
        rows.append((f"**{LABELS.get(r, r)}, mean**", {m: sum(sc[m] for sc in per_seed) / len(seeds) for m in per_seed[0]}))
    if args.prior_json:
        with open(args.prior_json, encoding="utf-8") as fh:
            rows.append(("person prior alone (reference)", json.load(fh)["summary"]["512x288"]["prior"]))
    print("| model (512x288, 4 held-out clips x 24 frames) | MAD | MSE | Grad | dtSSD |\n|---|---:|---:|---:|---:|")
    for label, s in rows:
        print(f"| {label} | {s['mad']:.2f} | {s['mse']:.2f} | {s['grad']:.2f} | {s['dtssd']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
