"""The tflite runtime behind a small `Runtime` interface.

Everything in cmn_vfx.prior talks to a `Runtime`, never to ai-edge-litert directly,
so a torch or ONNX port of the same network can replace it by implementing `run`.
ai-edge-litert is imported lazily: importing cmn_vfx.prior costs nothing.
"""
from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from cmn_vfx.errors import BadInputError

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")


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
        from ai_edge_litert.interpreter import Interpreter

        self.path = path
        self._it = Interpreter(model_path=path, num_threads=int(threads))
        self._it.allocate_tensors()
        self._input = self._it.get_input_details()[0]
        self._outputs = self._it.get_output_details()
        self.input_shape = tuple(int(v) for v in self._input["shape"])

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        """x: [1,h,w,3] float32 in the range the network expects -> outputs in model order."""
        self._it.set_tensor(self._input["index"], np.ascontiguousarray(x, dtype=np.float32))
        self._it.invoke()
        return [self._it.get_tensor(o["index"]).copy() for o in self._outputs]
