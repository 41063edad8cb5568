"""Atomic writes: a killed task never leaves a half-written file that looks finished.

    with atomic_path("/out/alpha/sh010.1001.exr") as tmp:
        write_the_file(tmp)          # any writer; the final name appears only on success

The temp file lives in the same folder (so the rename is atomic on one file
system) and is hidden: '.sh010.1001.exr.tmp-<host>-<pid>-<random>'. A kill -9
leaves it behind; `clean_stale_temps` removes those of this host's dead processes
(a farm node never removes another node's, which may still be writing). It does not end
in the sequence's extension and starts with '.', so a sequence scan
(cmn_vfx.io.sequence) never mistakes it for a frame.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import socket
from typing import Any, Iterator

TMP_MARK = ".tmp-"


def temp_path_for(final_path: str) -> str:
    """Hidden sibling of `final_path`, unique per process and call."""
    directory, filename = os.path.split(final_path)
    return os.path.join(directory, f".{filename}{TMP_MARK}{_host()}-{os.getpid()}-{secrets.token_hex(3)}")


def _host() -> str:
    return socket.gethostname().replace(os.sep, "_") or "localhost"


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


@contextlib.contextmanager
def atomic_path(final_path: str) -> Iterator[str]:
    """Yield a temp path; rename it onto `final_path` when the block succeeds, remove it otherwise.

    If the block finishes without creating the temp file, nothing is renamed and
    `final_path` is left as it was.
    """
    tmp = temp_path_for(final_path)
    try:
        yield tmp
        if os.path.exists(tmp):
            os.replace(tmp, final_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def write_text(path: str, text: str) -> str:
    """Write `text` (UTF-8) to `path` through atomic_path; returns `path`."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def write_yaml(path: str, data: Any) -> str:
    """Write `data` as YAML (keys in their order) through atomic_path; returns `path`."""
    import yaml
    return write_text(path, yaml.safe_dump(data, sort_keys=False))
