"""Atomic writes: a killed task never leaves a half-written file that looks finished.

    with atomic_path("/out/alpha/sh010.1001.exr") as tmp:
        write_the_file(tmp)          # any writer; the final name appears only on success

The temp file lives in the same folder (so the rename is atomic on one file
system) and is hidden: '.sh010.1001.exr.tmp-<pid>-<random>'. It does not end
in the sequence's extension and starts with '.', so a sequence scan
(cmn_vfx.io.sequence) never mistakes it for a frame.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from typing import Iterator

TMP_MARK = ".tmp-"


def temp_path_for(final_path: str) -> str:
    """Hidden sibling of `final_path`, unique per process and call."""
    directory, filename = os.path.split(final_path)
    return os.path.join(directory, f".{filename}{TMP_MARK}{os.getpid()}-{secrets.token_hex(3)}")


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
