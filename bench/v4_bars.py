"""The default model v4 issue's bars, per framing category, from bench/validate.py JSON files.

    .venv/bin/python bench/v4_bars.py --model model:runs/v4/last.pt@people runs/validate_final.json runs/validate_v4.json

Rows are merged from the files (a later file's method wins). Per category: the model's MAD against
0.6x the prior alone's (`people`) and against prior + guided filter (`people+guided`), and the
share of frames where every person is found (IoU of alpha > 0.5 with the person > 0.5; bar 80%);
on real footage, FlkAll against half the prior's. The same for any --also methods (e.g. v3).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

import numpy as np


def load(paths: list[str]) -> tuple[dict, dict]:
    clips, real = {}, {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        clips.update(data.get("clips", {}))
        real.update(data.get("real", {}))
    return clips, real


def per_category(rows: list[dict], key: str) -> dict[str, float]:
    groups = defaultdict(list)
    for r in rows:
        if r.get(key) is not None:
            groups[r["category"]].append(r[key])
    return {c: float(np.mean(v)) for c, v in groups.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--model", required=True, help="the model's method name in the JSON")
    parser.add_argument("--prior", default="people")
    parser.add_argument("--guided", default="people+guided")
    parser.add_argument("--also", default="model:default@people", help="comma list of other rows to show")
    args = parser.parse_args(argv)
    clips, real = load(args.files)
    names = [args.prior, args.guided] + [m for m in args.also.split(",") if m] + [args.model]
    mad = {m: per_category(clips[m], "mad") for m in names if m in clips}
    found = per_category(clips[args.model], "all_found")
    print("| category | " + " | ".join(names) + " | 0.6x prior | model <= 0.6x prior | model < prior+guided"
          " | all found % | found >= 80% |")
    print("|---" * (len(names) + 6) + "|")
    met = 0
    for cat in mad[args.model]:
        bar = 0.6 * mad[args.prior][cat]
        ok = [mad[args.model][cat] <= bar, mad[args.model][cat] < mad[args.guided][cat], found[cat] >= 80]
        met += all(ok)
        print(f"| {cat} | " + " | ".join(f"{mad[m][cat]:.1f}" if m in mad else "-" for m in names)
              + f" | {bar:.1f} | {'yes' if ok[0] else 'no'} | {'yes' if ok[1] else 'no'} | {found[cat]:.0f} |"
              f" {'yes' if ok[2] else 'no'} |")
    means = {m: float(np.mean([r["mad"] for r in clips[m]])) for m in names if m in clips}
    print("| **all clips** | " + " | ".join(f"**{means[m]:.1f}**" if m in means else "-" for m in names) + " | | | | | |")
    print(f"\ncategories meeting all three bars: {met} of {len(mad[args.model])}")
    if args.model in real and args.prior in real:
        print("\n| real clip | " + " | ".join(n for n in names if n in real) + " | model <= half the prior's |")
        print("|---" * (len([n for n in names if n in real]) + 2) + "|")
        for clip in real[args.prior]:
            flk = {n: real[n][clip]["flk"] for n in names if n in real and clip in real[n]}
            print(f"| {clip} | " + " | ".join(f"{v:.2f}" for v in flk.values())
                  + f" | {'yes' if flk[args.model] <= 0.5 * flk[args.prior] else 'no'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
