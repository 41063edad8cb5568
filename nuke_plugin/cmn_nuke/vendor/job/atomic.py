"""Atomic writes: a killed task never leaves a half-written file that looks finished.

    with atomic_path("/out/alpha/sh010.1001.exr") as tmp:
        write_the_file(tmp)          # any writer; the final name appears only on success

    write_text("/out/sh010.shot.yaml", text)      # the same, for text (write_yaml: PyYAML, imported then)

The temp file lives in the same folder (so the rename is atomic on one file
system) and is hidden: '.sh010.1001.exr.tmp-<host>-<pid>-<random>'. It does not end
in the sequence's extension and starts with '.', so a sequence scan never mistakes it
for a frame. A kill -9 leaves it behind; cmn_vfx.io.atomic.clean_stale_temps removes those of
this host's dead processes.
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
    """Write `data` as YAML (keys in their order) through atomic_path; returns `path`. Needs PyYAML."""
    from .config_yaml import require_yaml
    return write_text(path, require_yaml(f"writing {path}").safe_dump(data, sort_keys=False))
