"""The validation entry's report: per-category and per-part means of the per-clip scores (the JSON's
'categories', 'parts' and 'all'), markdown tables of them, and a contact sheet of the worst clips.

Means are over clips; fp_max is the worst clip's; a score a clip lacks (None: no passers, no band) is left out.
"""
from __future__ import annotations

import os

import numpy as np

SCORES = ("mad", "dtssd", "flk", "found", "all_found", "fp_max", "passers", "fg_colour", "fg_premult")


def aggregate(rows: list[dict]) -> dict:
    """One mean (fp_max: the max) per score over `rows` (per-clip dicts), and how many clips."""
    out: dict = {"clips": len(rows)}
    for key in SCORES:
        values = [r[key] for r in rows if r.get(key) is not None]
        if values:
            out[key] = float(max(values) if key == "fp_max" else np.mean(values))
    return out


def summarise(rows: list[dict], categories: list[str], harder: tuple[str, ...]) -> dict:
    """{'all': ..., 'categories': {category: ...}, 'parts': {'first 22': ..., 'harder 10': ...}} of one method's
    rows; categories in the suite's order, only those with clips; a part only when both parts have clips."""
    cats = [c for c in categories if any(r["category"] == c for r in rows)]
    worst = max(rows, key=lambda r: r["mad"])
    summary = {"all": dict(aggregate(rows), worst_clip=worst["clip"], worst_mad=worst["mad"]),
               "categories": {c: aggregate([r for r in rows if r["category"] == c]) for c in cats}, "parts": {}}
    first, hard = [r for r in rows if r["category"] not in harder], [r for r in rows if r["category"] in harder]
    if first and hard:
        summary["parts"] = {f"first {len(first)}": aggregate(first), f"harder {len(hard)}": aggregate(hard)}
    return summary


def _fmt(v, digits=1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def tables(summaries: dict, real: dict, real_names: list[str]) -> str:
    """Markdown: per category (MAD, frames with every person found, worst FP), by part, and a summary row per
    method. summaries: method -> summarise(); real: method -> {clip: {'flk', 'area'}}."""
    methods = list(summaries)
    cats = list(summaries[methods[0]]["categories"])
    out = []
    for key, title, digits in (("mad", "MAD x1e3", 1), ("all_found", "frames with every person found, %", 0),
                               ("fp_max", "worst frame's area outside the people, % of frame", 1)):
        out += [f"\n{title}\n", "| method | all | " + " | ".join(cats) + " |", "|---|" + "---:|" * (len(cats) + 1)]
        for m in methods:
            per = summaries[m]["categories"]
            out.append(f"| {m} | {_fmt(summaries[m]['all'].get(key), digits)} | "
                       + " | ".join(_fmt(per[c].get(key), digits) for c in cats) + " |")
    parts = list(summaries[methods[0]]["parts"])
    if parts:
        out += ["\nMAD x1e3 by part of the suite (mean over its clips)\n", "| method | " + " | ".join(parts) + " |",
                "|---|" + "---:|" * len(parts)]
        out += [f"| {m} | " + " | ".join(_fmt(summaries[m]["parts"][p]["mad"]) for p in parts) + " |" for m in methods]
    head = ["method", "MAD", "worst clip MAD", "dtSSD", "found %", "all found %", "FP max %", "passers %",
            "FlkAll clips", "FlkAll real"] + [f"FlkAll {n}" for n in real_names] + ["fg colour", "ms/frame"]
    out += ["\nsummary\n", "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for m in methods:
        a = summaries[m]["all"]
        flk_real = [real[m][n]["flk"] for n in real_names if n in real.get(m, {})]
        cells = [m, f"{a['mad']:.1f}", f"{a['worst_mad']:.1f} ({a['worst_clip']})", f"{a['dtssd']:.2f}",
                 f"{a['found']:.1f}", f"{a['all_found']:.1f}", f"{a['fp_max']:.1f}", _fmt(a.get("passers")),
                 f"{a['flk']:.2f}", _fmt(np.mean(flk_real) if flk_real else None, 2)]
        cells += [_fmt(real.get(m, {}).get(n, {}).get("flk"), 2) for n in real_names]
        out.append("| " + " | ".join(cells + [_fmt(a.get("fg_colour")), _fmt(summaries[m].get("ms"), 0)]) + " |")
    return "\n".join(out)


def contact_sheet(path: str, clips: dict, preds: dict, scores: list[dict], count: int = 6) -> None:
    """The `count` worst clips by MAD, one row each: plate | truth | alpha for frames 0, middle, last.
    clips: name -> Rendered; preds: name -> alphas; scores: the method's per-clip rows."""
    import cv2
    rows = []
    for r in sorted(scores, key=lambda r: -r["mad"])[:count]:
        clip, pred = clips[r["clip"]], preds[r["clip"]]
        tiles = []
        for t in (0, len(pred) // 2, len(pred) - 1):
            grey = [np.repeat(a[..., None], 3, 2) for a in (clip.truth[t], pred[t])]
            tiles += [cv2.resize(np.clip(x, 0, 1), (256, 144)) for x in [clip.src[t]] + grey]
        row = (np.concatenate(tiles, 1)[..., ::-1] * 255).astype(np.uint8)
        cv2.putText(row, f"{r['clip']} MAD {r['mad']:.1f}", (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 255), 2)
        rows.append(row)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    cv2.imwrite(path, np.concatenate(rows, 0))
