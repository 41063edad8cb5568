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

EXIT_BROKEN_PIPE = 141  # stdout closed by the reader (`| head`), as a shell reports SIGPIPE


def run_cli(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
            handler: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Parse argv, call the handler (or args.func), and turn CMNError into an exit code."""
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    argv = list(sys.argv[1:] if argv is None else argv)
    bad = next((a for a in argv if not _is_utf8(a)), None)
    if bad is not None:
        print(f"{parser.prog}: error: {_not_utf8(bad)}", file=sys.stderr)
        return 2
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
        # `cmn-matte info --json | head`: the reader went away; no traceback, and none at exit.
        # 141 = 128 + SIGPIPE, what a shell reports for a tool the closed pipe killed.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except UnicodeEncodeError as exc:
        # a file found inside a folder (not on the command line) whose name is not UTF-8
        if args.debug:
            traceback.print_exc()
        print(f"{parser.prog}: error: {_not_utf8(exc.object)}", file=sys.stderr)
        return 2
    except CMNError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_utf8(text: object) -> str:
    raw = os.fsencode(text) if isinstance(text, str) else text
    return (f"{raw!r} has bytes that are not UTF-8, which OpenImageIO and OCIO cannot open; "
            "rename the file or folder with UTF-8 names (e.g. convmv -f latin1 -t utf-8)")


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
