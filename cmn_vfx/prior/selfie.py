"""MediaPipe Selfie Segmentation (general 256x256, landscape 144x256) as a PersonPrior."""
from __future__ import annotations

import numpy as np

from cmn_vfx.prior.base import PersonPrior
from cmn_vfx.prior.geometry import letterbox_affine, stretch_affine, warp_in, warp_out
from cmn_vfx.prior.litert import LiteRtRuntime, Runtime

FILES = {"selfie": "selfie_segmentation.tflite", "landscape": "selfie_segmentation_landscape.tflite"}


class SelfiePrior(PersonPrior):
    """Selfie segmentation on the whole frame.

    Args:
        variant: 'selfie' (256x256) or 'landscape' (144x256).
        fit: 'letterbox' keeps the frame's aspect (zero padding); 'stretch' fills the
            tensor like MediaPipe's own graph.
        threads: CPU threads for the runtime.
        runtime: replace the tflite runtime (e.g. a torch port with the same I/O).
    """

    def __init__(self, variant: str = "selfie", fit: str = "letterbox", threads: int = 1,
                 runtime: Runtime | None = None):
        self.name = variant if fit == "letterbox" else f"{variant}_{fit}"
        self.fit = fit
        self.runtime = runtime or LiteRtRuntime(FILES[variant], threads)
        _, self.th, self.tw, _ = self.runtime.input_shape

    def predict(self, src: np.ndarray) -> np.ndarray:
        h, w = src.shape[:2]
        fit = letterbox_affine if self.fit == "letterbox" else stretch_affine
        M = fit(h, w, self.th, self.tw)
        x = warp_in(src, M, self.th, self.tw)
        pha = self.runtime.run(x[None])[0][0, :, :, 0]
        return warp_out(pha, M, h, w)
