"""cmn-train: train or fine-tune the CMN from a YAML config.

    cmn-train --config configs/train/cpu_small.yaml
    cmn-train --config configs/train/cpu_small.yaml --resume            # continue OUT/last.pt
    cmn-train --config configs/train/paper_gpu.yaml --device cuda --out runs/paper
    torchrun --nproc_per_node 4 -m cmn_vfx_training.cli --config configs/train/paper_gpu.yaml

See training/README.md for the recipes.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from cmn_vfx.errors import BadInputError
from cmn_vfx_training.config import PhaseConfig, TrainConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmn-train", description="Train the Context Motion Network.")
    parser.add_argument("--config", required=True, help="training YAML (configs/train/*.yaml)")
    parser.add_argument("--resume", nargs="?", const="last", default=None, metavar="CKPT",
                        help="continue a run: OUT/last.pt (no value) or the given checkpoint")
    parser.add_argument("--device", default=None, help="cpu | cuda | cuda:N | auto (default: the config's)")
    parser.add_argument("--out", default=None, help="output directory (default: the config's out_dir)")
    parser.add_argument("--iterations", type=int, default=None, metavar="N",
                        help="shorten/lengthen the run to N iterations in total, phases kept in proportion")
    parser.add_argument("--stop-after", type=int, default=None, metavar="N",
                        help="stop (and save last.pt) after N completed iterations; --resume continues")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="the run's seed (weights, data, augmentation; default: the config's): repeat a recipe "
                             "with another seed to see how much of a difference is noise")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs still go to log.jsonl)")
    return parser


def scale_iterations(cfg: TrainConfig, total: int) -> None:
    """Set phase1 + phase2 = total, keeping their proportion (at least 1 iteration)."""
    if total < 1:
        raise BadInputError(f"--iterations {total}: must be at least 1")
    first = round(total * cfg.phase1.iterations / cfg.total_iterations)
    cfg.phase1 = PhaseConfig(first, cfg.phase1.batch_size, cfg.phase1.train_flow)
    cfg.phase2 = PhaseConfig(total - first, cfg.phase2.batch_size, cfg.phase2.train_flow)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    cfg = TrainConfig.from_yaml(args.config)
    if args.device:
        cfg.device = args.device
    if args.out:
        cfg.out_dir = args.out
    if args.iterations is not None:
        scale_iterations(cfg, args.iterations)
    if args.seed is not None:
        cfg.seed = args.seed
    return cfg


def run(args: argparse.Namespace) -> int:
    from cmn_vfx_training.loop import train

    cfg = config_from_args(args)
    resume = None
    if args.resume:
        resume = os.path.join(cfg.out_dir, "last.pt") if args.resume == "last" else args.resume
    summary = train(cfg, resume=resume, stop_after=args.stop_after, progress=not args.no_progress)
    if summary["rank"] != 0:
        return 0
    losses = summary["losses"]
    line = f"cmn-train: {summary['iteration']} iterations done, checkpoints in {cfg.out_dir}"
    if losses:
        line += f", last loss {losses['total']:.4f}"
    if summary["val"]:
        line += ", val " + ", ".join(f"{k} {v:.3f}" for k, v in summary["val"].items() if k != "frames")
    print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from cmn_vfx.console import run_cli

    return run_cli(build_parser(), argv, run)


if __name__ == "__main__":
    sys.exit(main())
