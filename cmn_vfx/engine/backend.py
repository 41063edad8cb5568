"""What the engine asks of a runtime: the Backend protocol, and the settings open_backend reads.

    backend = open_backend(settings, model, meta)      # cmn_vfx.engine.runtime: a TorchBackend or an OnnxBackend
    src = backend.frame(frame_in.src)                  # numpy -> the backend's own form
    pha, fgr, state = backend.step(src, prev, state, prior)
    pha = backend.correct(backend.refine(pha, src), src)       # the shot's correction net, where the model has one
    alpha = backend.upsample(pha, src, guide_hr)               # numpy [H,W] at the plate's size

Two runtimes implement it: TorchBackend (cmn_vfx.engine.torch_backend: torch on any device; frames are
[1,C,h,w] float32 tensors on the device) and OnnxBackend (cmn_vfx.engine.onnx_backend: the exported step in
OpenVINO or ONNX Runtime on the CPU, without torch; frames are [h,w] or [h,w,C] float32 numpy). The engine
hands a backend's frames back to it untouched and asks for numpy where it needs pixels (plane, colour,
upsample). The recurrent state is the caller's: step takes it and returns the new one, and None is a fresh
start (the first frame, a cut, a warm-up's start); a backend keeps no state between steps but `flow`, the
last step's. Both backends refine and upsample with the same numpy code (cmn_vfx.engine.numpy_filters).
tests/engine/test_runtime.py holds both to this protocol.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Backend(Protocol):
    """A runtime for MatteEngine. `B` below is the backend's frame form (a tensor or a numpy array)."""

    name: str           # 'torch', 'openvino' or 'onnx': RunReport.runtime
    meta: dict          # the checkpoint's identity: name, path, sha256, model_config, metrics (cmn:* headers)
    precision: str      # what it really runs: 'fp32', 'fp16' or 'bf16' (cmn:settings)

    @property
    def flow(self) -> np.ndarray | None:
        """The last step's backward flow t -> t-1 [h,w,2] when it is the one the temporal stabiliser would compute
        (cmn_vfx.engine.stabilise.stabiliser_flow), so it is not computed twice; else None."""

    def prepare(self, size: tuple[int, int]) -> None:
        """Ready for frames of the working size (w, h) before the first step (may start work in a thread)."""

    def settle(self) -> None:
        """Wait for anything prepare started; called on every way out of a run."""

    def frame(self, array: np.ndarray) -> Any:
        """[h,w] or [h,w,C] float numpy -> B."""

    def step(self, src: Any, prev_src: Any | None, state: Any | None, prior: Any | None) -> tuple[Any, Any | None, Any]:
        """One network step: src, prev_src B of [h,w,3] 0..1 sRGB (prev_src None: zero flow), state None (fresh)
        or the last step's, prior B of [h,w] 0..1 or None -> (pha B [h,w] 0..1, fgr B [h,w,3] or None, state)."""

    def refine(self, pha: Any, src: Any) -> Any:
        """Edge refinement at the working size (`--refine`): pha, src B -> pha B."""

    def correct(self, pha: Any, src: Any) -> Any:
        """The shot's correction net (cmn_vfx.model.correction, `cmn-matte teach`) at the working size, after
        refinement: pha, src B -> pha B; pha itself when the model has no correction."""

    def upsample(self, pha: Any, src: Any, guide_hr: np.ndarray) -> np.ndarray:
        """pha, src B at the working size, guide_hr [H,W] the plate's luma -> [H,W] float32 alpha 0..1."""

    def colour(self, fgr: Any) -> np.ndarray:
        """The network's foreground B -> [h,w,3] float32 numpy."""

    def plane(self, pha: Any) -> np.ndarray:
        """An alpha B -> [h,w] float32 numpy."""


class BackendSettings(Protocol):
    """What open_backend reads of its first argument: the engine's settings for a shot, checked before (a
    ShotSpec that passed problems(), or any object with these fields and valid values)."""

    model: str                 # a bundled name, a checkpoint .pt, or an export .onnx
    device: str                # 'auto', 'cpu', 'cuda', 'cuda:N'
    runtime: str               # 'auto', 'torch', 'openvino', 'onnx' (cmn_vfx.job.names.RUNTIMES)
    precision: str             # 'fp32', 'fp16', 'bf16'
    threads: int | None        # the runtime's threads (None: its default)
    refine: str                # 'guided' or 'none'
    fg_colour: str             # 'network' needs torch (the ONNX export has no fg decoder)
