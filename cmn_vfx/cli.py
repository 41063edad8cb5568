"""cmn-matte: inspect plates, matte shots, export and teach models (the subcommands in cmn_vfx/commands/).

What every console script shares (run_cli, with_subcommands, the exit codes) is cmn_vfx/console.py.
"""
from __future__ import annotations

import sys
from typing import Sequence

from cmn_vfx.console import with_subcommands


def matte_main(argv: Sequence[str] | None = None) -> int:
    """cmn-matte info|run|export-onnx|teach|suggest-keys: inspect plates, matte shots, export a model for the
    torch-free runtime, teach a model a shot from keyframes, list the frames worth keying."""
    from cmn_vfx.commands import export_onnx, info, run, suggest_keys, teach
    return with_subcommands("cmn-matte", "Automatic person mattes for image sequences.",
                            [info.add_parser, run.add_parser, export_onnx.add_parser, teach.add_parser,
                             suggest_keys.add_parser], argv)


if __name__ == "__main__":
    sys.exit(matte_main())
