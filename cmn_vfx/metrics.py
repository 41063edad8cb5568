"""Matting metrics: MAD, SAD, MSE, Grad, Conn, dtSSD, MESSDdt and foreground MSE.

All functions take numpy alpha mattes `[H,W]` float in 0..1 (whole frame, no
trimap) and return Python floats, scaled as in DESIGN.md (METRICS):

    MAD  = mean|a'-a| * 1e3                     SAD  = sum|a'-a| / 1e3
    MSE  = mean(a'-a)^2 * 1e3                   Grad = sum(|grad a'| - |grad a|)^2 / 1e3
    Conn = sum|phi(a') - phi(a)| / 1e3          dtSSD_t = sqrt(sum[(a'_t-a'_t-1)-(a_t-a_t-1)]^2 / N) * 1e2
    fgr MSE = mean over pixels with a > 0 (and the 3 channels) of (F'-F)^2 * 1e3

Definitions (our own code, written from the papers):
- SAD, MSE, Grad and Conn: C. Rhemann, C. Rother, J. Wang, M. Gelautz, P. Kohli, P. Rott,
  "A Perceptually Motivated Online Benchmark for Image Matting", CVPR 2009. Grad compares
  gradient magnitudes from first-derivative-of-Gaussian filters (sigma 1.4, L2-normalised,
  replicated borders) of the min-max normalised mattes; Conn thresholds at 0.1..1.0, takes the
  largest 4-connected region where both mattes pass each threshold, and ignores differences
  below 0.15.
- dtSSD and MESSDdt: M. Erofeev, Y. Gitman, D. Vatolin, A. Fedorov, J. Wang, "Perceptually
  Motivated Benchmark for Video Matting", BMVC 2015. A sequence's dtSSD averages the per-frame
  values with 0 for the first frame. MESSDdt needs the truth's motion: OpenCV's Farneback flow
  on the 8-bit truth (prev = a_t-1, next = a_t; pyramid 0.5, 5 levels, window 10, 2 iterations,
  poly_n 7, sigma 1.5, Gaussian window), rounded to whole pixels, pulls frame t back onto t-1
  (nearest pixel, clamped at the border); error = sum|(a'_t-1 - a_t-1)^2 - (warp a'_t - warp a_t)^2|
  over all pairs, divided by the sum over pairs of (N + 1), times 1e4, averaged over clips.
These conventions (scales, sigma, steps) are the ones published video-matting results use, so the
figures are comparable with them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

ALL_METRICS = ("mad", "sad", "mse", "grad", "conn", "dtssd", "messddt", "fgr_mse")
_CONN_STEP = 0.1
_CONN_THETA = 0.15


def mad(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean absolute difference x1e3. pred, true: [H,W] 0..1."""
    return float(np.abs(_f64(pred) - _f64(true)).mean() * 1e3)


def sad(pred: np.ndarray, true: np.ndarray) -> float:
    """Sum of absolute differences / 1e3 (the paper's SAD). pred, true: [H,W] 0..1."""
    return float(np.abs(_f64(pred) - _f64(true)).sum() / 1e3)


def mse(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean squared difference x1e3. Any matching shapes, 0..1."""
    return float(((_f64(pred) - _f64(true)) ** 2).mean() * 1e3)


@lru_cache(maxsize=4)
def gauss_filters(sigma: float = 1.4, epsilon: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """First derivative of Gaussian filters (x, y), L2-normalised; 9x9 for sigma 1.4."""
    half = int(np.ceil(sigma * np.sqrt(-2 * np.log(np.sqrt(2 * np.pi) * sigma * epsilon))))
    r = np.arange(-half, half + 1, dtype=np.float64)
    g = np.exp(-r ** 2 / (2 * sigma ** 2)) / (sigma * np.sqrt(2 * np.pi))
    dg = -r * g / sigma ** 2
    fx = np.outer(g, dg)  # rows: smoothing, columns: derivative
    fx /= np.sqrt((fx ** 2).sum())
    return fx, fx.T.copy()


def gradient_magnitude(alpha: np.ndarray, sigma: float = 1.4) -> np.ndarray:
    """|grad alpha| after min-max normalisation (a constant matte becomes 0). [H,W] -> [H,W]."""
    a = _f64(alpha)
    lo, hi = a.min(), a.max()
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    fx, fy = gauss_filters(sigma)
    gx = cv2.filter2D(a, -1, fx, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.filter2D(a, -1, fy, borderType=cv2.BORDER_REPLICATE)
    return np.sqrt(gx ** 2 + gy ** 2)


def grad(pred: np.ndarray, true: np.ndarray, sigma: float = 1.4) -> float:
    """Gradient error sum(|grad a'| - |grad a|)^2 / 1e3. pred, true: [H,W] 0..1."""
    diff = gradient_magnitude(pred, sigma) - gradient_magnitude(true, sigma)
    return float((diff ** 2).sum() / 1e3)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    if count <= 1:
        return np.zeros(mask.shape, dtype=bool)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def conn(pred: np.ndarray, true: np.ndarray) -> float:
    """Connectivity error sum|phi(a') - phi(a)| / 1e3 (steps 0.1, 4-connected, theta 0.15).

    l: for each pixel, the last threshold level at which it still belongs to the largest region
    where both mattes pass the threshold (1 if it belongs at every level).
    """
    pred, true = _f64(pred), _f64(true)
    levels = np.arange(0.0, 1.0 + _CONN_STEP, _CONN_STEP)
    connected_level = np.ones(true.shape)
    still_connected = np.ones(true.shape, dtype=bool)
    for below, level in zip(levels[:-1], levels[1:]):
        lost = still_connected & ~_largest_component((true >= level) & (pred >= level))
        connected_level[lost] = below
        still_connected &= ~lost

    def phi(a: np.ndarray) -> np.ndarray:
        d = a - connected_level
        return 1.0 - d * (d >= _CONN_THETA)

    return float(np.abs(phi(pred) - phi(true)).sum() / 1e3)


def dtssd(pred_t: np.ndarray, pred_tm1: np.ndarray, true_t: np.ndarray, true_tm1: np.ndarray) -> float:
    """Temporal coherence sqrt(sum[(a'_t-a'_t-1)-(a_t-a_t-1)]^2 / N) x1e2. All [H,W] 0..1."""
    d = (_f64(pred_t) - _f64(pred_tm1)) - (_f64(true_t) - _f64(true_tm1))
    return float(np.sqrt((d ** 2).sum() / d.size) * 1e2)


def messddt_terms(pred_t: np.ndarray, pred_tm1: np.ndarray, true_t: np.ndarray,
                  true_tm1: np.ndarray) -> tuple[float, float]:
    """One frame pair of MESSDdt: (error sum, N + 1). Divide the sums and x1e4 for the metric."""
    prev_u8 = (_f64(true_tm1) * 255).astype(np.uint8)  # truncated, not rounded
    next_u8 = (_f64(true_t) * 255).astype(np.uint8)
    flow = cv2.calcOpticalFlowFarneback(prev_u8, next_u8, None, 0.5, 5, 10, 2, 7, 1.5,
                                        cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
    h, w = true_t.shape
    rows, cols = np.mgrid[0:h, 0:w]
    src_r = np.clip(rows + np.rint(flow[..., 1]).astype(np.int64), 0, h - 1)
    src_c = np.clip(cols + np.rint(flow[..., 0]).astype(np.int64), 0, w - 1)
    err_prev = (_f64(pred_tm1) - _f64(true_tm1)) ** 2
    err_next = (_f64(pred_t)[src_r, src_c] - _f64(true_t)[src_r, src_c]) ** 2
    return float(np.abs(err_prev - err_next).sum()), float(h * w + 1)


def fgr_mse(pred_fgr: np.ndarray, true_fgr: np.ndarray, true_pha: np.ndarray) -> float | None:
    """Foreground MSE x1e3 where the true alpha > 0; None when the frame has no foreground.

    pred_fgr, true_fgr: [H,W,3] 0..1 (same colourspace); true_pha: [H,W] 0..1.
    """
    mask = np.asarray(true_pha) > 0
    if not mask.any():
        return None
    return mse(np.asarray(pred_fgr)[mask], np.asarray(true_fgr)[mask])


def _f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


@dataclass
class MetricAccumulator:
    """Streams a sequence one frame at a time and averages the metrics over frames.

    Only the previous frame is kept, so a long sequence needs no memory. `metrics`
    picks a subset of ALL_METRICS (Conn and MESSDdt are the slow ones).

        acc = MetricAccumulator()
        for pred, true in frames: acc.update(pred, true)
        acc.result()  -> {'mad': ..., 'frames': n}
    """

    metrics: tuple[str, ...] = ALL_METRICS
    _sums: dict = field(default_factory=dict, init=False)
    _counts: dict = field(default_factory=dict, init=False)
    _prev: tuple | None = field(default=None, init=False)
    _messd: list = field(default_factory=lambda: [0.0, 0.0], init=False)
    _messd_clips: list = field(default_factory=list, init=False)
    frames: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        unknown = set(self.metrics) - set(ALL_METRICS)
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}; choose from {ALL_METRICS}")
        self.metrics = tuple(self.metrics)

    def reset_sequence(self) -> None:
        """Start a new clip: the next frame has no predecessor (dtSSD 0, no MESSDdt pair)."""
        if self._messd[1] > 0:
            self._messd_clips.append(self._messd[0] / self._messd[1] * 1e4)
        self._messd = [0.0, 0.0]
        self._prev = None

    def update(self, pred: np.ndarray, true: np.ndarray, pred_fgr: np.ndarray | None = None,
               true_fgr: np.ndarray | None = None) -> dict[str, float]:
        """Add one frame. pred, true: [H,W] alpha 0..1; fgr: [H,W,3] 0..1. Returns this frame's values."""
        pred, true = _f64(pred), _f64(true)
        if pred.shape != true.shape:
            raise ValueError(f"prediction {pred.shape} and ground truth {true.shape} differ in size")
        values: dict[str, float] = {}
        simple = {"mad": mad, "sad": sad, "mse": mse, "grad": grad, "conn": conn}
        for name, fn in simple.items():
            if name in self.metrics:
                values[name] = fn(pred, true)
        if "dtssd" in self.metrics:
            values["dtssd"] = 0.0 if self._prev is None else dtssd(pred, self._prev[0], true, self._prev[1])
        if "messddt" in self.metrics and self._prev is not None:
            err, num = messddt_terms(pred, self._prev[0], true, self._prev[1])
            self._messd[0] += err
            self._messd[1] += num
        if "fgr_mse" in self.metrics and pred_fgr is not None and true_fgr is not None:
            value = fgr_mse(pred_fgr, true_fgr, true)
            if value is not None:
                values["fgr_mse"] = value
        for name, value in values.items():
            self._sums[name] = self._sums.get(name, 0.0) + value
            self._counts[name] = self._counts.get(name, 0) + 1
        self._prev = (pred, true)
        self.frames += 1
        return values

    def result(self) -> dict[str, float]:
        """Means over frames ('sad' too: the paper reports SAD per frame), MESSDdt as the
        mean over clips, plus 'frames'."""
        out = {name: self._sums[name] / self._counts[name] for name in self.metrics if name in self._counts}
        clips = self._messd_clips + ([self._messd[0] / self._messd[1] * 1e4] if self._messd[1] > 0 else [])
        if "messddt" in self.metrics and clips:
            out["messddt"] = float(np.mean(clips))
        out["frames"] = self.frames
        return out
