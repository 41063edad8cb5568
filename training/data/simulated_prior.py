"""Simulated person prior from ground-truth alpha.

A real person prior (a small segmenter such as MediaPipe Selfie) is coarse, blurry,
biased (too fat or too thin), noisy at the threshold, sometimes fires on other
things (false blobs) or misses a part, and wobbles from frame to frame. This
module fakes all of that from the true alpha so the network learns to use a prior
without trusting it blindly.
"""
from __future__ import annotations

import cv2
import numpy as np


def _field(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Smooth random field [h,w] ~ N(0,1) at ``cells`` cells across."""
    gh, gw = max(2, cells * h // max(w, 1)), max(2, cells)
    return cv2.resize(rng.normal(0, 1, (gh, gw)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)


def _blob(h: int, w: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)).astype(np.float32)


def simulate_prior(pha: np.ndarray, rng: np.random.Generator, fail: float = 0.05) -> np.ndarray:
    """pha: [T,H,W] float 0..1 ground truth -> prior [T,H,W] float32 0..1 (same size).

    One draw of the degradation per clip (coarse factor, bias, blobs), small
    per-frame changes on top (temporal jitter). With probability ``fail`` the
    prior is empty or badly wrong for the whole clip.
    """
    t, h, w = pha.shape
    # a segmenter sees a 256-ish input and thinks in 16..64 cells across, whatever the frame size
    cw = int(min(w, rng.uniform(16, 64)))
    ch = max(4, round(h * cw / w))
    factor = w / cw
    radius = int(rng.choice([-1, 0, 0, 1]))
    threshold = rng.uniform(0.3, 0.7)
    softness = rng.uniform(0.05, 0.2)
    noise_amp = rng.uniform(0.0, 0.2)
    noise = _field(rng, ch, cw, 6)
    blobs = np.zeros((ch, cw), np.float32)
    if rng.random() < 0.25:  # false positives: other people, furniture
        for _ in range(int(rng.integers(1, 4))):
            size = rng.uniform(1, max(1.5, cw / 6)), rng.uniform(1, max(1.5, ch / 3))
            blob = _blob(ch, cw, rng.uniform(0, cw), rng.uniform(0, ch), *size)
            blobs = np.maximum(blobs, rng.uniform(0.4, 1.0) * blob)
    holes = np.zeros((ch, cw), np.float32)
    if rng.random() < 0.2:  # a missed part (arm, hair)
        holes = rng.uniform(0.5, 1.0) * _blob(ch, cw, rng.uniform(0, cw), rng.uniform(0, ch),
                                             rng.uniform(1, max(1.5, cw / 6)), rng.uniform(1, max(1.5, ch / 6)))
    sigma = float(rng.uniform(0.25, 1.0)) * factor / 4
    mode = 'ok' if rng.random() >= fail else ('empty' if rng.random() < 0.5 else 'random')
    out = np.empty((t, h, w), np.float32)
    for i in range(t):
        coarse = cv2.resize(pha[i], (cw, ch), interpolation=cv2.INTER_AREA)
        if radius:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
            coarse = (cv2.dilate if radius > 0 else cv2.erode)(coarse, kernel)
        shift = rng.normal(0, 0.3, 2)  # temporal jitter, coarse pixels
        coarse = cv2.warpAffine(coarse, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), (cw, ch),
                                borderMode=cv2.BORDER_REPLICATE)
        jitter = noise + 0.3 * rng.normal(0, 1, (ch, cw)).astype(np.float32)
        logit = (coarse - threshold + noise_amp * jitter) / softness
        prob = 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))
        prob = np.maximum(prob, blobs * rng.uniform(0.9, 1.0)) * (1 - holes)
        if mode == 'empty':
            prob = np.zeros_like(prob)
        elif mode == 'random':
            prob = 1.0 / (1.0 + np.exp(-3 * noise))
        up = cv2.resize(prob.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        out[i] = cv2.GaussianBlur(up, (0, 0), sigma)
    return np.clip(out, 0, 1)
