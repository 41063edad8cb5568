"""The tflite runtime behind a small `Runtime` interface.

Everything in cmn_vfx.prior talks to a `Runtime`, never to ai-edge-litert directly,
so a torch or ONNX port of the same network can replace it by implementing `run`.
ai-edge-litert is imported lazily: importing cmn_vfx.prior costs nothing.
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from typing import Protocol

import numpy as np

from cmn_vfx.errors import BadInputError

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
# TFLite prints this once per process on fd 2, whatever the log settings; nothing else is dropped.
_TFLITE_NOISE = "Created TensorFlow Lite XNNPACK delegate"
_FIRST = {"built": False}
_FIRST_LOCK = threading.Lock()


class Runtime(Protocol):
    """One network: NHWC float32 input in, list of output arrays out (model order)."""

    input_shape: tuple[int, ...]

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        ...


class LiteRtRuntime:
    """A .tflite file run by ai-edge-litert on the CPU (XNNPACK).

    Args:
        path: the .tflite file (a bare file name is looked up in cmn_vfx/prior/weights/).
        threads: CPU threads (1 or 2 on the shared farm nodes).
    """

    def __init__(self, path: str, threads: int = 1):
        if not os.path.isabs(path) and not os.path.exists(path):
            path = os.path.join(WEIGHTS_DIR, path)
        if not os.path.isfile(path):
            raise BadInputError(f"{path}: prior weights missing; reinstall cmn-vfx or restore cmn_vfx/prior/weights/")
        self.path = path
        self._it = _interpreter(path, int(threads))
        self._input = self._it.get_input_details()[0]
        self._outputs = self._it.get_output_details()
        self.input_shape = tuple(int(v) for v in self._input["shape"])

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        """x: [1,h,w,3] float32 in the range the network expects -> outputs in model order."""
        self._it.set_tensor(self._input["index"], np.ascontiguousarray(x, dtype=np.float32))
        self._it.invoke()
        return [self._it.get_tensor(o["index"]).copy() for o in self._outputs]


def _interpreter(path: str, threads: int):
    """An allocated ai-edge-litert Interpreter. The process's first one is built with fd 2 captured,
    so TFLite's one-time XNNPACK INFO line is dropped; any other output is passed on to stderr."""
    from ai_edge_litert.interpreter import Interpreter

    def build():
        it = Interpreter(model_path=path, num_threads=threads)
        it.allocate_tensors()
        return it

    with _FIRST_LOCK:
        first, _FIRST["built"] = not _FIRST["built"], True
        if first:
            with _stderr_captured() as captured:
                it = build()
    if not first:
        return build()
    rest = "".join(line for line in "".join(captured).splitlines(True) if _TFLITE_NOISE not in line)
    if rest:
        sys.stderr.write(rest)
    return it


@contextmanager
def _stderr_captured():
    """Within the block, fd 2 goes to a temporary file; its text is in the yielded list afterwards."""
    captured: list[str] = []
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:     # no fd 2 (a daemon): nothing to keep quiet
        yield captured
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.append(tmp.read().decode("utf-8", "replace"))
