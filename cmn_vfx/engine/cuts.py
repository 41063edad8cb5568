"""Shot cuts: frames where the recurrent state must start afresh.

Explicit cuts come from `--cuts 1040,1077` (or a spec's `cuts:`); automatic
cuts are found from colour-histogram differences between consecutive frames
in network space (sRGB 0..1, at the working resolution). A cut at frame F
means F is the first frame of a new shot: the state is reset before F, and a
warm-up never reaches back across F (cmn_vfx.job.warmup).

The detector looks at a pair of frames only, so a chunked run (whose warm-up
frames pass through it too) finds the same cuts as a sequential pass.
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.job.names import CUT_THRESHOLD

BINS = 16


def colour_histogram(src: np.ndarray) -> np.ndarray:
    """src: [H,W,3] float 0..1 sRGB -> [3*BINS] per-channel histograms, each summing to 1.

    np.histogram's bins (1.0 in the last one; values outside 0..1 not counted), counted by OpenCV on the
    bin indices (5x faster; x * 16 is exact in binary floating point, so the indices are numpy's).
    """
    pixels = max(src.shape[0] * src.shape[1], 1)
    if src.dtype == np.float32 and src.size and 0.0 <= float(src.min()) and float(src.max()) <= 1.0:
        bins = np.minimum(src * np.float32(BINS), np.float32(BINS - 1)).astype(np.uint8)
        hists = [cv2.calcHist([bins], [c], None, [BINS], [0, BINS]).ravel() for c in range(3)]
        return np.concatenate(hists).astype(np.float64) / pixels
    hists = [np.histogram(src[..., c], bins=BINS, range=(0.0, 1.0))[0] for c in range(3)]
    return np.concatenate(hists).astype(np.float64) / pixels


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Half the L1 distance averaged over channels: 0 = same colours, 1 = disjoint."""
    return float(np.abs(a - b).sum() / 6.0)


class CutDetector:
    """Feed consecutive frames; `is_cut` says whether the new frame starts a new shot."""

    def __init__(self, threshold: float = CUT_THRESHOLD, enabled: bool = True) -> None:
        self.threshold = threshold
        self.enabled = enabled
        self._previous: np.ndarray | None = None

    def is_cut(self, src: np.ndarray) -> bool:
        """src: [H,W,3] 0..1 sRGB of the next frame. The first frame is never a cut."""
        if not self.enabled:
            return False
        hist = colour_histogram(src)
        previous, self._previous = self._previous, hist
        return previous is not None and histogram_distance(previous, hist) > self.threshold
