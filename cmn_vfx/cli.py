"""cmn-matte, and what every console script shares: run_cli (--debug, CMNError -> exit code).

Each console script is `main(argv=None) -> int` in the package it serves: cmn-matte here,
cmn-eval in cmn_vfx/commands/evaluate.py, cmn-farm in farm/cli.py, cmn-train in
training/cli.py. User errors (CMNError) print one line and return their exit code;
tracebacks only with --debug. Subcommand modules register themselves through
`add_parser(subparsers)` and run through `run(args)`.
"""
from __future__ import annotations

import argparse
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


def with_subcommands(prog: str, description: str, add_parsers: Sequence[Callable[[argparse._SubParsersAction], None]],
                     argv: Sequence[str] | None) -> int:
    """A console script whose subcommands register through `add_parser(subparsers)`."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_parser in add_parsers:
        add_parser(sub)
    return run_cli(parser, argv)


def matte_main(argv: Sequence[str] | None = None) -> int:
    """cmn-matte info|run|export-onnx: inspect plates, matte shots, export a model for the torch-free runtime."""
    from cmn_vfx.commands import export_onnx, info, run
    return with_subcommands("cmn-matte", "Automatic person mattes for image sequences.",
                            [info.add_parser, run.add_parser, export_onnx.add_parser], argv)


if __name__ == "__main__":
    sys.exit(matte_main())
