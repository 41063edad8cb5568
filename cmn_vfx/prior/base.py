"""The PersonPrior interface: a frame in, a coarse person probability out."""
from __future__ import annotations

import numpy as np

from cmn_vfx.errors import BadInputError


class Track:
    """The temporal part of a prior over one shot, frames in order: `update(observation) -> [H,W] alpha`.

    This one has no memory (per-frame priors). A tracking prior returns its own (PeoplePrior).
    The engine keeps one per shot and starts a new one at a cut or when a run starts.
    """

    def update(self, observation) -> np.ndarray:
        return observation


class PersonPrior:
    """Callable person segmenter.

    __call__(src [H,W,3] float32 0..1 sRGB) -> [H,W] float32 0..1 (same H,W): one frame, no memory.
    Over a shot: `observe(src)` (the per-frame work, no state: may run in a reader thread) and
    `new_track().update(observation)` (the temporal part, frames in order).
    Subclasses implement `predict` on an already validated frame.
    """

    name = "base"

    def observe(self, src: np.ndarray):
        """Per-frame observation of a frame (stateless); the default is the frame's prior itself."""
        return self(src)

    def new_track(self) -> Track:
        return Track()

    def __call__(self, src: np.ndarray) -> np.ndarray:
        pha = self.predict(checked_frame(src))
        return np.clip(pha, 0.0, 1.0).astype(np.float32, copy=False)

    def predict(self, src: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def checked_frame(src: np.ndarray) -> np.ndarray:
    """A prior's input checked: [H,W,3] float32, finite, clipped to 0..1 (BadInputError otherwise)."""
    src = np.asarray(src)
    if src.ndim != 3 or src.shape[2] != 3 or min(src.shape[:2]) < 1:
        raise BadInputError(f"person prior: frame has shape {src.shape}; pass [H,W,3] sRGB 0..1")
    if src.dtype != np.float32:
        src = src.astype(np.float32)
    if not np.isfinite(src).all():
        raise BadInputError("person prior: frame has NaN/inf pixels; clean the plate first")
    return np.clip(src, 0.0, 1.0)
