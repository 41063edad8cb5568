"""Ctrl-C and a farm's SIGTERM end a run cleanly (exit 130, temp files removed), whenever they come.

    with interrupts() as held:          # SIGINT and SIGTERM raise KeyboardInterrupt in the main thread
        with held():                    # ... but wait while compiled libraries load
            engine = MatteEngine(spec)
        engine.run(spec, seq, out_dir, name)

    done = threading.Event()            # a worker thread sets it in a `finally`, once out of any C++ library
    wait_through(done)

Two ways an interrupt aborts the process (SIGABRT, 'terminate called without an active exception', or a
nanobind fatal error) instead of exiting 130: it lands while a compiled module initialises (OCIO and
OpenImageIO are nanobind modules, OpenVINO pybind11), or the process exits while a thread is still inside
OpenVINO or OpenImageIO. So the start-up holds interrupts back, and every worker is waited for through
an Event: on Python 3.11 a Thread.join that a KeyboardInterrupt interrupts marks the thread ended while it
still runs.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Iterator


def wait_through(ended: threading.Event) -> None:
    """Wait until `ended` is set. A first interrupt meanwhile is raised again once it is; a second one gives
    up waiting (a worker stuck on a hung file system must not make Ctrl-C useless)."""
    try:
        ended.wait()
    except KeyboardInterrupt:
        ended.wait()
        raise


@contextlib.contextmanager
def interrupts() -> Iterator[Callable[[], contextlib.AbstractContextManager]]:
    """SIGINT and SIGTERM raise KeyboardInterrupt for the block; yields `held`, a context manager in which
    they wait (raised when it ends). Outside the main thread (a host application's worker) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield contextlib.nullcontext
        return
    holding, pending = [0], []

    def handler(signum, frame):  # noqa: ARG001
        if holding[0]:
            pending.append(signum)
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def held() -> Iterator[None]:
        holding[0] += 1
        try:
            yield
        finally:
            holding[0] -= 1
        if pending and not holding[0]:
            pending.clear()
            raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield held
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
