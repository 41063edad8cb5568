"""Atomic writes: a killed task never leaves a half-written file that looks finished.

    with atomic_path("/out/alpha/sh010.1001.exr") as tmp:
        write_the_file(tmp)          # any writer; the final name appears only on success

atomic_path, write_text and write_yaml are cmn_vfx/job/atomic.py's (the bottom layer, which Nuke
gets a copy of), re-exported here. This module adds the clean-up: a kill -9 leaves the hidden temp
file ('.sh010.1001.exr.tmp-<host>-<pid>-<random>') behind, and `clean_stale_temps` removes those of
this host's dead processes (a farm node never removes another node's, which may still be writing).
"""
from __future__ import annotations

import contextlib
import os

from cmn_vfx.job.atomic import TMP_MARK, _host, atomic_path, temp_path_for, write_text, write_yaml  # noqa: F401


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True             # another user's process
    return True


def clean_stale_temps(directory: str) -> list[str]:
    """Remove the temp files in `directory` left by dead processes of this host; return their names."""
    if not os.path.isdir(directory):
        return []
    removed = []
    for entry in os.listdir(directory):
        head, mark, tail = entry.partition(TMP_MARK)
        host, _, rest = tail.rpartition("-")[0].rpartition("-")
        if not (entry.startswith(".") and mark and host == _host() and rest.isdigit()):
            continue
        if not _alive(int(rest)):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(directory, entry))
            removed.append(entry)
    return removed
