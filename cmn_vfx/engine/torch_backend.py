"""The network in torch, on any device (`--runtime torch`): TorchBackend.

The engine's other runtime, OpenVINO or ONNX Runtime on the CPU without torch, is
cmn_vfx.engine.onnx_backend.OnnxBackend; both are a cmn_vfx.engine.backend.Backend and agree to float32
rounding (tests/engine/test_runtime.py). Refinement and upsampling are numpy in both
(cmn_vfx.engine.numpy_filters): the working-size alpha and frame come off the device for them.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch

from cmn_vfx.engine.backend import BackendSettings
from cmn_vfx.engine.numpy_filters import refine_alpha, upsample_alpha
from cmn_vfx.errors import BadInputError, warn
from cmn_vfx.model.correction import corrected


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BadInputError(f"device {name!r}: no CUDA GPU is available here; use --device cpu or auto")
    return torch.device(name)


class TorchBackend:
    """A CMN checkpoint on a torch device. Frames are [1,C,h,w] float32 tensors on the device."""

    name = "torch"
    flow = None     # the network's own flow (PWC-Net, or DIS at the model's preset) is not the stabiliser's

    def __init__(self, config: BackendSettings, model: torch.nn.Module | None = None, meta: dict | None = None) -> None:
        if config.threads is not None:
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device)
        if self.device.type == "cpu":
            # torch's OpenMP threads own the cores; OpenCV's pool (the numpy filters, the reader's resize) beside
            # them made a 20-frame 512x288 torch run take 4.2-14.1 s with one other busy process on 2 cores,
            # against 5.1-5.9 s with OpenCV on one thread (the filters cost a few ms a frame either way)
            import cv2
            cv2.setNumThreads(1)
        if model is None:
            from cmn_vfx.model import load_model
            from cmn_vfx.model.fold import prepare_for_inference
            model, meta = load_model(config.model, device=str(self.device))
            # batch norm folded, channels-last on the CPU: alpha within 1e-7 (tests/model/test_fold.py)
            prepare_for_inference(model.to(self.device), self.device)  # also eval()
        self.model = model.to(self.device).eval()
        self.meta = dict(meta or {})
        self.precision = config.precision if self.device.type == "cuda" else "fp32"
        if self.precision != config.precision:
            warn(f"--precision {config.precision} needs a GPU; running fp32 on the {self.device.type}")
        self.refine_mode = config.refine
        self.with_fgr = config.fg_colour == "network"       # else the fg decoder's time is saved

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.float16 if self.precision == "fp16" else torch.bfloat16
        return torch.autocast(self.device.type, dtype=dtype)

    def prepare(self, size: tuple[int, int]) -> None:
        """Nothing to ready ahead of the first step: torch runs any size as it comes."""

    def settle(self) -> None:
        """Nothing runs in the background."""

    def frame(self, array: np.ndarray) -> torch.Tensor:
        """[H,W,C] or [H,W] numpy -> [1,C,H,W] float32 on the device."""
        t = torch.from_numpy(np.ascontiguousarray(array))
        t = t[..., None] if t.ndim == 2 else t
        return t.permute(2, 0, 1)[None].to(self.device, dtype=torch.float32)

    def step(self, src: torch.Tensor, prev_src: torch.Tensor | None, state, prior: torch.Tensor | None):
        """One network step. src, prev_src: [1,3,h,w] 0..1 sRGB -> (pha [1,1,h,w], fgr [1,3,h,w] or None, state)."""
        with torch.inference_mode(), self._autocast():
            pha, fgr, state = self.model(src, prev_src=prev_src, state=state, prior=prior, with_fgr=self.with_fgr)
        return pha.float(), None if fgr is None else fgr.float(), state

    def refine(self, pha: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """Edge refinement at the working size (cmn_vfx.engine.numpy_filters.refine_alpha): [1,1,h,w] on the device."""
        if self.refine_mode == "none":
            return pha
        return self.frame(refine_alpha(self.plane(pha), self.image(src), self.refine_mode))

    def correct(self, pha: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """The model's correction net on pha [1,1,h,w] and src [1,3,h,w] 0..1 sRGB (cmn_vfx.model.correction), in
        the step's precision; pha itself without one (or for a model that has no such attribute: a test's or an
        older module's)."""
        net = getattr(self.model, "correction", None)
        if net is None:
            return pha
        with torch.inference_mode(), self._autocast():
            return corrected(net, src, pha).float()

    def upsample(self, pha: torch.Tensor, src: torch.Tensor, guide_hr: np.ndarray) -> np.ndarray:
        """pha [1,1,h,w] at the working size -> [H,W] float32 alpha at the plate's size (upsample_alpha)."""
        return upsample_alpha(self.plane(pha), self.image(src), guide_hr)

    @staticmethod
    def image(src: torch.Tensor) -> np.ndarray:
        """A frame [1,3,h,w] -> [h,w,3] float32 numpy."""
        return np.ascontiguousarray(src[0].permute(1, 2, 0).float().cpu().numpy())

    @staticmethod
    def colour(fgr: torch.Tensor) -> np.ndarray:
        """The network's foreground [1,3,h,w] -> [h,w,3] numpy."""
        return fgr[0].permute(1, 2, 0).cpu().numpy()

    @staticmethod
    def plane(pha: torch.Tensor) -> np.ndarray:
        """An alpha [1,1,h,w] -> [h,w] float32 numpy."""
        return pha[0, 0].float().cpu().numpy()
