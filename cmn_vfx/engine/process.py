"""Settings for a process that runs frames (`cmn-matte run`, batches, farm tasks); measured in
docs/benchmarks.md ("Process settings"). Called once by the commands that run the engine, not on import:
a host process (Nuke) keeps its own settings.

- Freed frame buffers are kept for reuse (glibc only). Each frame the engine allocates and frees a few
  dozen plate-sized arrays (a 1080p RGB float32 plate is 25 MB). glibc serves blocks that large with
  mmap and unmaps them on free, so the next frame's arrays fault in fresh zeroed pages: at 1080p the
  EXR read and the colour conversion took twice as long as alone. Raising the mmap and trim thresholds
  lets freed blocks be reused; the peak memory is the same (the same arrays are alive at once) and
  stays flat with shot length.
- Empty per-thread heaps are kept too. The reader and writer threads allocate from glibc's per-thread
  arenas, made of 64 MiB heaps that glibc unmaps as soon as one falls empty, whatever the trim threshold
  (only the top pad counts there). A 1080p frame's larger arrays fill a heap alone, so every frame mapped
  heaps afresh: ~2900 page faults a frame at 1080p. A top pad of one heap keeps them: ~30 a frame.
- numpy's BLAS runs on one thread. The engine's BLAS calls are tiny (a luminance dot product); a
  threaded OpenBLAS then spin-waits between them: 23% of all CPU time of a 512x288 run went to
  OpenBLAS's idle workers, taken from the network on the same cores.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3     # glibc's mallopt parameters (malloc.h)
THRESHOLD = 1 << 30                             # blocks up to 1 GiB come from the heap and stay there
TOP_PAD = 64 << 20                              # a per-thread heap's size: an empty one is kept
_done: dict[str, bool] = {}


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; True if set. A no-op (False) off glibc,
    or when CMN_DEFAULT_MALLOC=1 is set (to compare, or if a site's allocator is preloaded)."""
    if "malloc" not in _done:
        _done["malloc"] = _mallopt()
    return _done["malloc"]


def _mallopt() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("CMN_DEFAULT_MALLOC") == "1":
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):      # musl and others have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all(mallopt(option, value) for option, value in
               ((M_MMAP_THRESHOLD, THRESHOLD), (M_TRIM_THRESHOLD, THRESHOLD), (M_TOP_PAD, TOP_PAD)))


def single_thread_blas() -> None:
    """numpy's BLAS (and any other BLAS loaded) on one thread for the rest of the process (threadpoolctl)."""
    if "blas" not in _done:
        from threadpoolctl import threadpool_limits
        import numpy  # noqa: F401  (load numpy's BLAS so the limit reaches it)
        _done["blas"] = bool(threadpool_limits(limits=1, user_api="blas"))


def for_frames() -> None:
    """Both settings, for the process that is about to run frames."""
    keep_freed_memory()
    single_thread_blas()
