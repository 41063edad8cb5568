"""`cmn-eval PRED GT [--json OUT] [--frames A-B]`: matting metrics between two alpha sequences.

    cmn-eval out/alpha/sh010.####.exr truth/sh010.####.exr
    cmn-eval out/alpha/ truth/ --frames 1001-1050 --json scores.json
    cmn-eval pred/pha/0000.png truth/pha/0000.png --metrics mad mse dtssd

Any format cmn_vfx.io reads (EXR, DPX, PNG, JPEG, TIFF; integer formats are
scaled to 0..1 by their bit depth). The alpha channel is picked by name: 'A',
else a single '<layer>.A', else a one-channel file's only channel (or --channel).
Frames are matched by frame number; a frame missing from PRED is an error.
Frames stream one at a time (only the previous frame is kept), so shots of any
length fit in memory. Metric definitions and scales: cmn_vfx/metrics.py.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.atomic import atomic_path
from cmn_vfx.io.image import read_image
from cmn_vfx.io.sequence import Sequence, find_sequence, format_frame_range, frames_are
from cmn_vfx.metrics import ALL_METRICS, MetricAccumulator

ALPHA_METRICS = tuple(m for m in ALL_METRICS if m != "fgr_mse")
LABELS = {"mad": "MAD (x1e3)", "sad": "SAD (/1e3)", "mse": "MSE (x1e3)", "grad": "Grad (/1e3)",
          "conn": "Conn (/1e3)", "dtssd": "dtSSD (x1e2)", "messddt": "MESSDdt (x1e4)"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cmn-eval", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pred", help="predicted alpha: pattern (name.####.exr), one frame, or a folder")
    p.add_argument("gt", help="ground-truth alpha, same forms")
    p.add_argument("--frames", help="frame range to score, e.g. 1001-1050 (default: all GT frames)")
    p.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    p.add_argument("--channel", help="alpha channel name in both sequences (default: A, *.A or the only one)")
    p.add_argument("--metrics", nargs="+", choices=ALPHA_METRICS, default=list(ALPHA_METRICS),
                   help="which metrics (default: all; conn and messddt are the slow ones)")
    return p


def pick_alpha_channel(channels: tuple[str, ...], path: str, wanted: str | None = None) -> str:
    """'A', else the single '*.A', else a one-channel file's channel; BadInputError otherwise."""
    if wanted:
        if wanted not in channels:
            raise BadInputError(f"{path}: no channel {wanted!r} (it has {', '.join(channels)}); "
                                "pass --channel with one of those")
        return wanted
    if "A" in channels:
        return "A"
    layered = [c for c in channels if c.endswith(".A")]
    if len(layered) == 1:
        return layered[0]
    if len(channels) == 1:
        return channels[0]
    raise BadInputError(f"{path}: cannot tell which channel is alpha ({', '.join(channels)}); "
                        "pass --channel NAME")


def alpha_channel(seq: Sequence, wanted: str | None = None) -> str:
    """The alpha channel's name, decided once from the sequence's first frame header."""
    from cmn_vfx.io.image import image_info

    path = seq.path(seq.first)
    return pick_alpha_channel(tuple(image_info(path)["channels"]), path, wanted)


def evaluate(pred: Sequence, gt: Sequence, frames: list[int], metrics: tuple[str, ...],
             channel: str | None = None) -> tuple[dict, list[dict]]:
    """Stream the frames: (mean metrics, per-frame values with 'frame'). Alpha [H,W] float 0..1."""
    pred_channel, gt_channel = alpha_channel(pred, channel), alpha_channel(gt, channel)
    acc = MetricAccumulator(metrics=metrics)
    per_frame = []
    for frame in frames:
        true = read_image(gt.path(frame), [gt_channel]).pixels[..., 0]
        mine = read_image(pred.path(frame), [pred_channel]).pixels[..., 0]
        if mine.shape != true.shape:
            raise BadInputError(f"{pred.path(frame)}: {mine.shape[1]}x{mine.shape[0]} but the ground truth is "
                                f"{true.shape[1]}x{true.shape[0]}; score mattes of the same size")
        per_frame.append(dict(acc.update(mine, true), frame=frame))
    return acc.result(), per_frame


def format_table(result: dict, metrics: tuple[str, ...]) -> str:
    width = max(len(LABELS[m]) for m in metrics)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  ---------"]
    lines += [f"{LABELS[m]:<{width}}  {result[m]:.4f}" for m in metrics if m in result]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    gt = find_sequence(args.gt, args.frames)
    pred = find_sequence(args.pred, args.frames)
    missing = sorted(set(gt.frames) - set(pred.frames))
    if missing:
        raise BadInputError(f"{pred.hash_pattern}: {frames_are(missing)} missing (the ground truth has "
                            f"{'it' if len(missing) == 1 else 'them'}); render them or limit --frames")
    metrics = tuple(m for m in ALPHA_METRICS if m in args.metrics)
    result, per_frame = evaluate(pred, gt, list(gt.frames), metrics, args.channel)
    print(f"{pred.hash_pattern} vs {gt.hash_pattern}, frames {format_frame_range(gt.frames)}")
    print(format_table(result, metrics))
    if args.json:
        report = {"pred": pred.hash_pattern, "gt": gt.hash_pattern, "frames": format_frame_range(gt.frames),
                  "metrics": {m: result[m] for m in metrics if m in result}, "per_frame": per_frame,
                  "definitions": "cmn_vfx.metrics (Rhemann et al. 2009; Erofeev et al. 2015)"}
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with atomic_path(args.json) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
    return 0


def main(argv: list[str] | None = None) -> int:
    """cmn-eval PRED GT: matting metrics between two sequences."""
    from cmn_vfx.console import run_cli
    return run_cli(build_parser(), argv, run)


if __name__ == "__main__":
    sys.exit(main())
