"""Copy the job package into the Nuke plugin, whole and byte for byte: cmn_vfx/job/*.py ->
nuke_plugin/cmn_nuke/vendor/job/*.py (a file no longer in cmn_vfx/job is removed from the copy).

Nuke's Python has no cmn_vfx (NUKE_PATH holds nuke_plugin/ only), so the plugin carries its own
copy of the bottom layer: names, the shot spec and its checks, the output layout, frame ranges and
patterns, the subject grammar, atomic writes. The package imports only itself (relatively) and the
standard library (tests/test_layers.py), so the copy imports as cmn_nuke.vendor.job.
tests/nuke/test_job_copy.py fails while any file differs, is missing or is extra:

    python tools/copy_job_to_nuke.py          # after any change in cmn_vfx/job
    python tools/copy_job_to_nuke.py --check  # exit 1 and name the files that differ
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(REPO, "cmn_vfx", "job")
TARGET = os.path.join(REPO, "nuke_plugin", "cmn_nuke", "vendor", "job")


def python_files(folder: str) -> list[str]:
    """The .py files directly in `folder` (none when it does not exist)."""
    return sorted(n for n in os.listdir(folder) if n.endswith(".py")) if os.path.isdir(folder) else []


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def differences() -> list[str]:
    """Names of the files the copy lacks, has in excess, or holds with other bytes."""
    source, target = python_files(SOURCE), python_files(TARGET)
    return sorted(n for n in set(source) | set(target)
                  if n not in source or n not in target or _read(os.path.join(SOURCE, n)) != _read(os.path.join(TARGET, n)))


def refresh() -> list[str]:
    """Make the copy equal to the source; the names of the files written or removed."""
    changed = differences()
    os.makedirs(TARGET, exist_ok=True)
    for name in changed:
        if os.path.isfile(os.path.join(SOURCE, name)):
            shutil.copyfile(os.path.join(SOURCE, name), os.path.join(TARGET, name))
        else:
            os.remove(os.path.join(TARGET, name))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the copy differs")
    args = parser.parse_args(argv)
    changed = differences() if args.check else refresh()
    for name in changed:
        print(os.path.relpath(os.path.join(TARGET, name), REPO))
    if args.check and changed:
        print("the copy differs: run python tools/copy_job_to_nuke.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
