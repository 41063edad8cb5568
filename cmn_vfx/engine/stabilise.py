"""Temporal stabilisation of the network's alpha: a motion-compensated blend with the last output.

    stab = TemporalStabiliser(strength=0.7)
    alpha = stab(alpha, src)         # each frame in order, warm-up frames included; stab.reset() at a cut

The network's alpha on real footage changes at edges from frame to frame where the picture does not
(FlkAll, docs/validation.md). Each frame, the last stabilised alpha is warped onto this frame by the
backward DIS flow of the working-size frames and blended in:

    alpha_t' = alpha_t + k * d,   d = warp(alpha_{t-1}') - alpha_t,   k = strength * exp(-e / SIGMA) * exp(-(d / TAU)^2)

where e is the per-pixel colour error of the warped previous frame against this one (max over RGB, box
filtered over 5 px). Where the flow is right (a static or smoothly moving picture) e is small and the blend
steadies the edge; where it is wrong (occlusion, new content, a sample from beyond the frame, a flash) e is
large and this frame's alpha stands. A large change of alpha over an unchanged picture is news, not
flicker (the network finding a person it missed, a person leaving), and it passes through: without that
term, a subject found on frame 3 of a clip was held back at a third of its alpha for two more frames
(validation clip edge_left_b: MAD 5.1 -> 6.1). k <= strength < 1, so the blend is an exponential memory: a chunk
warmed up on W frames agrees with a sequential run to strength**W of any start-up difference (6% after
the default 8 warm-up frames at 0.7), and a cut resets it.

It is output-only: the network's recurrence never sees the stabilised alpha. Measured on the validation
suite, docs/validation.md ("Temporal stabilisation").
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.engine.flow_grid import pad16
from cmn_vfx.job.names import DEFAULT_TEMPORAL
from cmn_vfx.model.dis_numpy import backward_flow

SIGMA = 0.02            # colour error (sRGB 0..1) at which the blend falls to 1/e of `strength`
TAU = 0.5               # change of alpha at which it falls to 1/e (Gaussian): a person found or lost is news
ERROR_BOX = 5           # px box over which the colour error is averaged (working size)
FLOW_PRESET = "ultrafast"


def stabiliser_flow(src: np.ndarray, prev_src: np.ndarray, preset: str = FLOW_PRESET) -> np.ndarray:
    """[h,w,2] backward flow t -> t-1 of two [h,w,3] 0..1 sRGB frames, computed on the frames edge-padded to a
    multiple of 16 (cmn_vfx.engine.flow_grid.pad16) as the ONNX step computes its own, which it hands over bit
    for bit."""
    h, w = src.shape[:2]
    return backward_flow(pad16(np.asarray(src, np.float32)), pad16(np.asarray(prev_src, np.float32)), preset)[:h, :w]


class TemporalStabiliser:
    """Per shot state: the last frame and its stabilised alpha. strength 0 returns alpha unchanged."""

    def __init__(self, strength: float = DEFAULT_TEMPORAL, sigma: float = SIGMA) -> None:
        if not 0.0 <= strength < 1.0:
            raise ValueError(f"temporal strength {strength} must be in [0, 1)")
        self.strength, self.sigma = float(strength), float(sigma)
        self._prev: tuple[np.ndarray, np.ndarray] | None = None     # the last frame's src [h,w,3], alpha [h,w]
        self._grid: np.ndarray | None = None

    def reset(self) -> None:
        """A new shot (a cut) or a fresh start: the next frame's alpha is taken as it is."""
        self._prev = None

    def __call__(self, alpha: np.ndarray, src: np.ndarray, flow: np.ndarray | None = None) -> np.ndarray:
        """alpha [h,w] float32 0..1, src [h,w,3] 0..1 sRGB (the network's input), flow [h,w,2] backward flow
        t -> t-1 if the caller has it (else computed) -> the stabilised alpha [h,w] float32."""
        alpha = np.ascontiguousarray(alpha, np.float32)
        if self.strength == 0.0:
            return alpha
        src = np.ascontiguousarray(src, np.float32)
        out = alpha
        if self._prev is not None and self._prev[1].shape == alpha.shape:
            prev_src, prev_alpha = self._prev
            where = self._where(prev_src, src, flow)
            inside = cv2.inRange(where, (0.0, 0.0), (alpha.shape[1] - 1.0, alpha.shape[0] - 1.0))
            # bilinear for the colour check; bicubic for the alpha (bilinear, applied frame after frame,
            # softens a moving edge a little more each time)
            error = cv2.absdiff(src, cv2.remap(prev_src, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
            error = cv2.max(cv2.max(error[..., 0], error[..., 1]), error[..., 2])
            k = cv2.exp(cv2.blur(error, (ERROR_BOX, ERROR_BOX)) * np.float32(-1.0 / self.sigma))
            k = cv2.multiply(k, inside, dtype=cv2.CV_32F, scale=1.0 / 255)     # 0 where the sample left the frame
            warped = cv2.remap(prev_alpha, where, None, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
            change = cv2.subtract(warped, alpha)
            k = cv2.multiply(k, cv2.exp(cv2.multiply(change, change, scale=-1.0 / (TAU * TAU))), scale=self.strength)
            out = np.clip(cv2.add(alpha, cv2.multiply(k, change)), 0.0, 1.0, dtype=np.float32)   # bicubic overshoot
        self._prev = (src, out)
        return out

    def _where(self, prev_src: np.ndarray, src: np.ndarray, flow: np.ndarray | None) -> np.ndarray:
        """[h,w,2] float32: where each pixel of this frame was in the last one (x + backward flow)."""
        if flow is None:
            flow = stabiliser_flow(src, prev_src)
        h, w = src.shape[:2]
        if self._grid is None or self._grid.shape[:2] != (h, w):
            xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            self._grid = np.dstack([xs, ys])
        return self._grid + flow
