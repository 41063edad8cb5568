"""cmn_vfx.engine.process: freed frame-sized buffers are reused without new page faults; BLAS on one thread."""
import os
import subprocess
import sys

import pytest

PROBE = r"""
import resource
import numpy as np
from cmn_vfx.engine.process import keep_freed_memory
print(keep_freed_memory())
def frame():                               # plate-sized temporaries, allocated and freed as a frame does
    for mb in (25, 33, 8):
        a = np.empty(mb << 20, np.uint8)
        a[::4096] = 1                      # touch every page
        b = np.empty((mb + 3) << 20, np.uint8)
        b[::4096] = 1
        del a, b
frame()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    frame()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _probe(**env) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                         env=dict(os.environ, **env)).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_freed_plate_buffer_is_reused_without_faulting_its_pages_again():
    kept, faults = _probe()
    default, default_faults = _probe(CMN_DEFAULT_MALLOC="1")
    assert (kept, default) == ("True", "False")
    assert default_faults > 1000          # glibc maps blocks over 32 MB afresh each time: their pages fault again
    assert faults < 100


THREAD_PROBE = r"""
import queue, resource, sys, threading
import numpy as np
from cmn_vfx.engine import process
process.TOP_PAD = int(sys.argv[1])
print(process.keep_freed_memory())
hand = queue.Queue(maxsize=2)
def reader(frames):                         # a reader thread's plate-sized arrays, freed by the next stage
    for _ in range(frames):
        a = np.empty(33 << 20, np.uint8)    # one fills a 64 MiB per-thread heap
        a[::4096] = 1
        hand.put(a)
    hand.put(None)
t = threading.Thread(target=reader, args=(40,))
t.start()
for _ in range(6):                          # the pipeline full: the heaps it needs exist
    hand.get()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
while hand.get() is not None:
    pass
t.join()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_thread_heap_that_falls_empty_is_kept_for_the_next_frame():
    """glibc unmaps an empty per-thread heap whatever the trim threshold, unless the top pad covers it."""
    from cmn_vfx.engine.process import TOP_PAD

    def probe(top_pad: int) -> int:
        # 4 KiB pages only (numpy asks for transparent huge pages, when the kernel has them, by madvise)
        out = subprocess.run([sys.executable, "-c", THREAD_PROBE, str(top_pad)], capture_output=True, text=True,
                             check=True, env=dict(os.environ, NUMPY_MADVISE_HUGEPAGE="0")).stdout.split()
        assert out[0] == "True"
        return int(out[1])
    kept, unpadded = probe(TOP_PAD), probe(0)
    # 34 frames measured: without the pad about every other one faults its 33 MB (8448 pages) in afresh;
    # with it, at most a heap or two more when a loaded machine lets more frames wait at once
    assert unpadded > 40000                 # measured 67,000-144,000
    assert kept < 20000                     # measured 1, and 8,450 under load


BLAS_PROBE = r"""
import numpy  # noqa: F401
from threadpoolctl import threadpool_info
from cmn_vfx.engine import process
before = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
process.single_thread_blas()
after = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
print(before, *after)
"""


def test_numpy_blas_runs_on_one_thread_after_the_setting():
    out = subprocess.run([sys.executable, "-c", BLAS_PROBE], capture_output=True, text=True, check=True,
                         env=dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")).stdout.split()
    assert out == ["2", "1"]


def test_the_run_command_sets_both(monkeypatch):
    from cmn_vfx.commands import run
    from cmn_vfx.job.spec import ShotSpec
    calls = []
    monkeypatch.setattr("cmn_vfx.engine.process.keep_freed_memory", lambda: calls.append("malloc") or True)
    monkeypatch.setattr("cmn_vfx.engine.process.single_thread_blas", lambda: calls.append("blas"))
    monkeypatch.setattr("cmn_vfx.engine.MatteEngine", lambda config: config)
    run._engine(ShotSpec(plate="p.####.exr", output="out"))
    assert calls == ["malloc", "blas"]
