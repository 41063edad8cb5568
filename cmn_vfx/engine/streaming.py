"""Read-ahead and write-behind threads with bounded queues.

The engine reads frame N+1 (decode + colour conversion) and writes frame N-1
(composition + EXR encode) while the network runs on frame N. Queues hold at
most `depth` frames each, so memory does not grow with the length of the shot.
Errors in a worker are re-raised in the calling thread, at the point where the
failed item would have been used (reader) or at the next submit/close (writer).
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterable, Iterator

from cmn_vfx.interrupts import wait_through

_DONE = object()
_POLL = 0.1  # seconds between checks of the stop flag while a queue is full/empty


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _put(q: "queue.Queue[Any]", item: Any, stop: threading.Event) -> bool:
    """Put unless stopped; False when stopped before there was room."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL)
            return True
        except queue.Full:
            continue
    return False


class ReadAhead:
    """Iterate `produce(item)` for `items` in order, computed up to `depth` items ahead in a thread.

    `items` is iterated in that thread, so it may be another ReadAhead: a chain of stages, each in its own
    thread (an upstream failure reaches the consumer in order, like this stage's own)."""

    def __init__(self, items: Iterable[Any], produce: Callable[[Any], Any], depth: int = 2,
                 name: str = "cmn-read-ahead") -> None:
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=max(depth, 1))
        self._stop = threading.Event()
        self._ended = threading.Event()       # cmn_vfx.interrupts: what close waits for
        threading.Thread(target=self._work, args=(items, produce), name=name, daemon=True).start()

    def _work(self, items: Iterable[Any], produce: Callable[[Any], Any]) -> None:
        try:
            for item in items:
                if self._stop.is_set():
                    return
                if not _put(self._queue, produce(item), self._stop):
                    return
            _put(self._queue, _DONE, self._stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            _put(self._queue, _Failure(exc), self._stop)
        finally:
            self._ended.set()

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                result = self._queue.get(timeout=_POLL)
            except queue.Empty:
                if not self._ended.is_set() or not self._queue.empty():
                    continue
                return                  # closed before the end: nothing more comes (a downstream stage ends too)
            if result is _DONE:
                return
            if isinstance(result, _Failure):
                raise result.exc
            yield result

    def close(self) -> None:
        """Stop reading ahead (the item being produced finishes, then the thread ends)."""
        self._stop.set()
        wait_through(self._ended)

    def __enter__(self) -> "ReadAhead":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WriteBehind:
    """Run `consume(item)` for submitted items in a thread, at most `depth` waiting."""

    def __init__(self, consume: Callable[[Any], None], depth: int = 2) -> None:
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=max(depth, 1))
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self.done = 0
        self._ended = threading.Event()
        threading.Thread(target=self._work, args=(consume,), name="cmn-write-behind", daemon=True).start()

    def _work(self, consume: Callable[[Any], None]) -> None:
        try:
            self._consume_all(consume)
        finally:
            self._ended.set()

    def _consume_all(self, consume: Callable[[Any], None]) -> None:
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=_POLL)
            except queue.Empty:
                continue
            if item is _DONE:
                return
            try:
                consume(item)
                self.done += 1
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                self._error = exc
                self._stop.set()
                return

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, item: Any) -> None:
        """Queue one item; raises the worker's error if an earlier item failed."""
        self._raise()
        if not _put(self._queue, item, self._stop):
            self._raise()

    def close(self) -> None:
        """Wait until every submitted item is consumed; raise the worker's error, if any."""
        if not self._stop.is_set():
            _put(self._queue, _DONE, self._stop)
        wait_through(self._ended)
        self._raise()

    def abort(self) -> None:
        """Drop items not yet started; the item being written finishes (atomic writes keep it whole)."""
        self._stop.set()
        wait_through(self._ended)
