"""Console scripts: cmn-matte, cmn-farm, cmn-train, cmn-eval.

Each is `main(argv=None) -> int`. User errors (CMNError) print one line and
return their exit code; tracebacks only with --debug. Subcommand modules
register themselves through `add_parser(subparsers)` and run through `run(args)`.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from typing import Callable, Sequence

from cmn_vfx.errors import CMNError


def run_cli(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
            handler: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Parse argv, call the handler (or args.func), and turn CMNError into an exit code."""
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    func = handler or getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        code = int(func(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # `cmn-matte info --json | head`: the reader went away; no traceback, and none at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except CMNError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


def _with_subcommands(prog: str, description: str, modules: Sequence[str],
                      argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).add_parser(sub)
    return run_cli(parser, argv)


def matte_main(argv: Sequence[str] | None = None) -> int:
    """cmn-matte info|run: inspect plates and matte shots."""
    return _with_subcommands("cmn-matte", "Automatic person mattes for image sequences.",
                             ["cmn_vfx.commands.info", "cmn_vfx.commands.run"], argv)


def farm_main(argv: Sequence[str] | None = None) -> int:
    """cmn-farm plan|submit|status: Open Job Description jobs for shots."""
    return _with_subcommands("cmn-farm", "Plan, submit and check farm jobs for shots.",
                             ["farm.cli"], argv)


def train_main(argv: Sequence[str] | None = None) -> int:
    """cmn-train --config X.yaml [--resume]."""
    from training.cli import build_parser, run
    return run_cli(build_parser(), argv, run)


def eval_main(argv: Sequence[str] | None = None) -> int:
    """cmn-eval PRED GT: matting metrics between two sequences."""
    from cmn_vfx.commands.evaluate import build_parser, run
    return run_cli(build_parser(), argv, run)


if __name__ == "__main__":
    sys.exit(matte_main())
