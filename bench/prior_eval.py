"""Measure the person priors (and prior + classical matting) on validation clips with exact alpha.

    .venv/bin/python bench/prior_eval.py --sizes 512x288 --json /tmp/prior_eval_512.json           # ~15 min, loaded 2 cores
    .venv/bin/python bench/prior_eval.py --sizes 1920x1080 --frames 1 --json /tmp/prior_eval_1080.json
    .venv/bin/python bench/prior_eval.py --sizes 512x288 --frames 1 --no-cf   # quick look
    .venv/bin/python bench/prior_eval.py --json /tmp/prior_eval.json

Clips: the six real portraits of assets/p3m_dev (p_22fc0130, p_a09f6d7a held out) composited
I = a*F + (1-a)*B (F = the original photo) over two real backgrounds read IN ORDER (no seeking):
'street' (vtest.avi, pedestrians walking behind the subject) and 'tree' (tree.avi), at three
subject scales (selfie: photo height = frame height; medium 0.75; full 0.5, feet at the bottom
edge; with --close also a close-up: the subject 1.2 frame heights tall, head at the top, body
cut by the bottom edge) with a small camera pan per frame. 'Other people' pixels are the street's moving
pedestrians (difference to a median clean plate) not covered by the subject.

Metrics per method: MAD x1e3 (whole frame), IoU at 0.5, 'people' = % of other-people pixels
the method claims (sum of its alpha there / their area), FP = % of frame with pred > 0.5 where
gt < 0.5, ms/frame (median; shared CPU, so indicative only).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from cmn_vfx.prior import load_prior  # noqa: E402
from baselines import classical_matte  # noqa: E402

HELD_OUT = ("p_22fc0130", "p_a09f6d7a")
SCALES = {"selfie": 1.0, "medium": 0.75, "full": 0.5}
CLOSE = {"close": 1.2}  # --close: the subject (not the photo) 1.2 frame heights tall, head 5% below the top
PRIORS = ("selfie", "landscape", "selfie_stretch", "pose", "max_landscape", "gate_landscape", "consensus", "consensus_landscape",
          "union_landscape")
CLASSICAL = ("selfie", "landscape", "pose", "consensus_landscape", "union_landscape")
CF_PRIORS = ("landscape", "pose", "consensus_landscape")


def load_portraits(root: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """-> [(name, fgr [h,w,3] float32 0..1 sRGB, pha [h,w] float32 0..1)]."""
    out = []
    for path in sorted(glob.glob(os.path.join(root, "original", "*.jpg"))):
        name = os.path.splitext(os.path.basename(path))[0]
        fgr = cv2.imread(path)[:, :, ::-1].astype(np.float32) / 255.0
        pha = cv2.imread(os.path.join(root, "alpha", name + ".png"), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0
        out.append((name, fgr, pha))
    return out


def read_in_order(path: str, count: int, step: int) -> list[np.ndarray]:
    """`count` frames, every `step`-th, read sequentially (wraps by reopening) -> RGB float32."""
    frames, cap, idx = [], cv2.VideoCapture(path), 0
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            cap.release()
            cap, idx = cv2.VideoCapture(path), 0
            continue
        if idx % step == 0:
            frames.append(frame[:, :, ::-1].astype(np.float32) / 255.0)
        idx += 1
    cap.release()
    return frames


def people_masks(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Moving pedestrians of a static-camera clip: |frame - median plate| > 0.1, cleaned."""
    plate = np.median(np.stack(frames[:: max(1, len(frames) // 60)]), 0)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    out = []
    for f in frames:
        m = (np.abs(f - plate).max(-1) > 0.1).astype(np.uint8)
        m = cv2.morphologyEx(cv2.morphologyEx(m, cv2.MORPH_OPEN, k), cv2.MORPH_CLOSE, k, iterations=2)
        out.append(m.astype(np.float32))
    return out


def fit_16x9(img: np.ndarray, w: int, h: int, interp=cv2.INTER_AREA) -> np.ndarray:
    """Centre crop to w:h, then resize."""
    ih, iw = img.shape[:2]
    if iw / ih > w / h:
        cw = round(ih * w / h)
        img = img[:, (iw - cw) // 2:(iw - cw) // 2 + cw]
    else:
        ch = round(iw * h / w)
        img = img[(ih - ch) // 2:(ih - ch) // 2 + ch]
    return cv2.resize(img, (w, h), interpolation=interp)


def place(fgr: np.ndarray, pha: np.ndarray, w: int, h: int, scale: float, x_frac: float, pan: float,
          close: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Portrait scaled to `scale`*h tall, bottom-aligned, centred at x_frac*w + pan px -> (F, a) at [h,w].

    close: a close-up instead: the subject's alpha (not the photo) is `scale`*h tall with its top
    5% below the frame's top, so the body is cut by the bottom edge.
    """
    top = int(np.argmax((pha > 0.5).any(1))) if close else 0
    s = scale * h / (fgr.shape[0] - top)
    if s < 0.5:  # shrink with INTER_AREA first so warpAffine does not alias
        k = fgr.shape[0]
        fgr = cv2.resize(fgr, None, fx=2 * s, fy=2 * s, interpolation=cv2.INTER_AREA)
        pha = cv2.resize(pha, (fgr.shape[1], fgr.shape[0]), interpolation=cv2.INTER_AREA)
        top = top * fgr.shape[0] / k
        s = scale * h / (fgr.shape[0] - top)
    cx = x_frac * w + pan
    ty = 0.05 * h - s * top if close else h - s * fgr.shape[0]
    M = np.array([[s, 0, cx - s * (fgr.shape[1] - 1) / 2], [0, s, ty]], np.float64)
    F = cv2.warpAffine(fgr, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    a = cv2.warpAffine(pha, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return F, a


def build_clips(w: int, h: int, frames: int, scales: dict = SCALES) -> list[dict]:
    """Every (portrait, background, scale) clip as a dict with src/pha/people lists."""
    portraits = load_portraits(os.path.join(ROOT, "assets", "p3m_dev"))
    n_clips = len(portraits) * len(scales)
    clips = []
    for bg_name, path, step in (("street", "vtest.avi", 4), ("tree", "tree.avi", 2)):
        bgs = read_in_order(os.path.join(ROOT, "assets", "backgrounds", path), n_clips * frames, step)
        people = people_masks(bgs) if bg_name == "street" else [np.zeros(b.shape[:2], np.float32) for b in bgs]
        i = 0
        for p_idx, (name, fgr, pha) in enumerate(portraits):
            for s_idx, (scale_name, scale) in enumerate(scales.items()):
                x_frac = (0.5, 0.35, 0.65)[(p_idx + s_idx) % 3] if scale != 1 else 0.5
                clip = {"portrait": name, "bg": bg_name, "scale": scale_name, "src": [], "pha": [], "people": []}
                for t in range(frames):
                    B = fit_16x9(bgs[i], w, h)
                    P = fit_16x9(people[i], w, h, cv2.INTER_NEAREST)
                    i += 1
                    F, a = place(fgr, pha, w, h, scale, x_frac, pan=0.01 * w * t, close=scale_name in CLOSE)
                    clip["src"].append(np.clip(a[..., None] * F + (1 - a[..., None]) * B, 0, 1).astype(np.float32))
                    clip["pha"].append(a)
                    clip["people"].append(P * (a < 0.01))
                clips.append(clip)
    return clips


def score(pred: np.ndarray, gt: np.ndarray, people: np.ndarray) -> dict:
    return {
        "mad": float(np.abs(pred - gt).mean() * 1e3),
        "iou": float(((pred > 0.5) & (gt > 0.5)).sum() / max(1, ((pred > 0.5) | (gt > 0.5)).sum())),
        "fp": float(((pred > 0.5) & (gt < 0.5)).mean() * 100),
        "people_px": float((pred * people).sum()),
        "people_area": float(people.sum()),
    }


def evaluate(clips: list[dict], methods: dict) -> list[dict]:
    """methods: label -> callable(src) -> pha. Returns one row per (method, clip frame)."""
    rows = []
    for label, fn in methods.items():
        for clip in clips:
            for src, gt, people in zip(clip["src"], clip["pha"], clip["people"]):
                t0 = time.perf_counter()
                pred = fn(src)
                ms = (time.perf_counter() - t0) * 1e3
                rows.append({"method": label, "portrait": clip["portrait"], "bg": clip["bg"],
                             "scale": clip["scale"], "ms": ms, **score(pred, gt, people)})
    return rows


def summarise(rows: list[dict]) -> dict:
    def agg(sel: list[dict]) -> dict:
        area = sum(r["people_area"] for r in sel)
        return {"mad": float(np.mean([r["mad"] for r in sel])), "iou": float(np.mean([r["iou"] for r in sel])),
                "fp": float(np.mean([r["fp"] for r in sel])),
                "people": 100 * sum(r["people_px"] for r in sel) / area if area else float("nan"),
                "ms": float(np.median([r["ms"] for r in sel]))}
    out = {}
    for m in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == m]
        held = [r for r in mine if r["portrait"] in HELD_OUT]
        out[m] = {"all": agg(mine), "held": agg(held),
                  "held_street": agg([r for r in held if r["bg"] == "street"]),
                  **{f"scale_{s}": agg([r for r in mine if r["scale"] == s]) for s in dict.fromkeys(r["scale"] for r in mine)}}
    return out


def table(summary: dict, size: str) -> str:
    lines = [f"### {size}", "",
             "| method | MAD all | MAD held-out | MAD held-out street | IoU all | IoU held-out | other people claimed % | FP % | MAD selfie/medium/full(/close) | ms/frame |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for m, s in summary.items():
        a, h, hs = s["all"], s["held"], s["held_street"]
        scales = "/".join(f"{v['mad']:.1f}" for k, v in s.items() if k.startswith("scale_"))
        lines.append(f"| {m} | {a['mad']:.1f} | {h['mad']:.1f} | {hs['mad']:.1f} | {a['iou']:.3f} | {h['iou']:.3f} "
                     f"| {a['people']:.1f} | {a['fp']:.2f} | {scales} | {a['ms']:.0f} |")
    return "\n".join(lines)


def methods_for(threads: int, only: list[str] | None = None) -> dict:
    priors = {name: load_prior(name, threads) for name in PRIORS if not only or name in only}
    methods: dict = dict(priors)
    for name in (n for n in CLASSICAL if n in priors):
        methods[f"{name}+guided"] = lambda src, p=priors[name]: classical_matte(src, p(src), "guided")
    return methods


def closed_form_methods(threads: int) -> dict:
    """Closed form is ~2 s/frame at 512x288: run it on fewer priors and frames."""
    return {f"{name}+closed_form": lambda src, p=load_prior(name, threads): classical_matte(src, p(src), "closed_form")
            for name in CF_PRIORS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="512x288,1920x1080")
    ap.add_argument("--frames", type=int, default=2, help="frames per clip (36 clips per size)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-cf", action="store_true", help="skip closed-form matting (slow)")
    ap.add_argument("--json", default=None, help="write the summary here")
    ap.add_argument("--priors", default=None, help="comma list: measure only these priors (default: all)")
    ap.add_argument("--close", action="store_true", help="add 12 close-up clips (body cut by the bottom edge)")
    args = ap.parse_args(argv)
    report = {}
    for size_text in args.sizes.split(","):
        w, h = (int(v) for v in size_text.split("x"))
        clips = build_clips(w, h, args.frames) + (build_clips(w, h, args.frames, CLOSE) if args.close else [])
        rows = evaluate(clips, methods_for(args.threads, args.priors.split(",") if args.priors else None))
        if not args.no_cf and w <= 512:  # first frame of each clip only
            rows += evaluate([{**c, "src": c["src"][:1], "pha": c["pha"][:1], "people": c["people"][:1]} for c in clips],
                             closed_form_methods(args.threads))
        summary = summarise(rows)
        report[size_text] = summary
        print(table(summary, size_text), flush=True)
        print()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
