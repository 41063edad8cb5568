"""The PersonPrior interface: a frame in, a coarse person probability out."""
from __future__ import annotations

import numpy as np

from cmn_vfx.errors import BadInputError


class PersonPrior:
    """Callable person segmenter.

    __call__(src [H,W,3] float32 0..1 sRGB) -> [H,W] float32 0..1 (same H,W).
    Subclasses implement `predict` on an already validated frame.
    """

    name = "base"

    def __call__(self, src: np.ndarray) -> np.ndarray:
        src = np.asarray(src)
        if src.ndim != 3 or src.shape[2] != 3 or min(src.shape[:2]) < 1:
            raise BadInputError(f"person prior: frame has shape {src.shape}; pass [H,W,3] sRGB 0..1")
        if src.dtype != np.float32:
            src = src.astype(np.float32)
        if not np.isfinite(src).all():
            raise BadInputError("person prior: frame has NaN/inf pixels; clean the plate first")
        pha = self.predict(np.clip(src, 0.0, 1.0))
        return np.clip(pha, 0.0, 1.0).astype(np.float32, copy=False)

    def predict(self, src: np.ndarray) -> np.ndarray:
        raise NotImplementedError
