"""Errors a user can cause. The message is one line that names the thing and the fix.

Warnings (the run goes on) are one line on stderr through `warn`: no Python source line,
printed once where they are found.

They live in the job layer, the bottom one, so that the job package holds everything it needs
and can be copied whole into Nuke; cmn_vfx.errors re-exports them for the rest of cmn_vfx.
"""
import sys


class CMNError(Exception):
    """Base of all user-facing errors; the command line prints it on one line and exits."""

    exit_code = 2


class BadInputError(CMNError):
    """Bad plate, pattern, range, spec, checkpoint or setting: nothing was written."""

    exit_code = 2


class PartialFailure(CMNError):
    """Some frames were written, some were not (the message says which)."""

    exit_code = 3


def warn(message: str) -> None:
    """Print one warning line on stderr ('warning: <message>')."""
    print(f"warning: {message}", file=sys.stderr, flush=True)
