"""Keep freed frame buffers in the process instead of handing them back to the kernel (glibc only).

Each frame the engine allocates and frees a few dozen plate-sized arrays (a 1080p RGB float32 plate
is 25 MB). glibc serves blocks that large with mmap and unmaps them on free, so the next frame's
arrays fault in fresh zeroed pages: at 1080p that was ~50 ms a frame of kernel time, and it made the
EXR read and the colour conversion take twice as long as they do alone (docs/benchmarks.md,
"Memory allocation"). Raising the mmap and trim thresholds lets freed blocks be reused; the peak
memory is unchanged (the same arrays are alive at once) and stays flat with shot length.

Called once by the commands that run the engine (`cmn-matte run`, batches, farm tasks), not on import:
a host process (Nuke) keeps its own allocator settings.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3     # glibc's mallopt parameters (malloc.h)
THRESHOLD = 1 << 30                             # blocks up to 1 GiB come from the heap and stay there
_done = False


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; True if set. A no-op (False) off glibc,
    or when CMN_DEFAULT_MALLOC=1 is set (to compare, or if a site's allocator is preloaded)."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("CMN_DEFAULT_MALLOC") == "1":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):      # musl and others have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, THRESHOLD))
    return _done
