"""Make an inference-only checkpoint (what ships in cmn_vfx/models/) from a training one.

    python -m cmn_vfx.model.strip runs/default/last.pt cmn_vfx/models/default.pt
"""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    from cmn_vfx.console import run_cli
    from cmn_vfx.model.checkpoint import strip_checkpoint

    parser = argparse.ArgumentParser(prog="python -m cmn_vfx.model.strip", description=__doc__.splitlines()[0])
    parser.add_argument("src", help="training checkpoint (last.pt / best.pt)")
    parser.add_argument("dst", help="inference checkpoint to write")

    def run(args: argparse.Namespace) -> int:
        kept = strip_checkpoint(args.src, args.dst)
        print(f"{args.dst}: {os.path.getsize(args.dst) / 1e6:.1f} MB, iteration {kept.get('iteration')}, "
              f"keys {', '.join(kept)}")
        return 0

    return run_cli(parser, argv, run)


if __name__ == "__main__":
    sys.exit(main())
