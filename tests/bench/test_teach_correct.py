"""bench/teach_eval --method correct (bench/harness/teach_correct.py): an untrained correction net gives the
automatic alpha back exactly, and a few seconds of training on a tiny clip's keys fill a hole the automatic
matte has on every frame."""
from __future__ import annotations

import time

import numpy as np

import bench.validation_clips as V
from bench.harness.metrics import backward_flows
from bench.harness.teach_correct import CorrectSettings, apply_correction, teach_correction
from bench.teach_eval import correct_row

T, H, W = 6, 48, 64


def _tiny_clip() -> tuple[V.Rendered, list[np.ndarray]]:
    """A red square moving right over a grey-blue ramp; the automatic alpha has a grey hole in the square."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(0.2, 0.6, W, dtype=np.float32)[None, :, None] * np.array([0.8, 0.9, 1.0], np.float32)
    src, truth, auto = [], [], []
    for t in range(T):
        bg = np.broadcast_to(ramp, (H, W, 3)) + rng.normal(0, 0.01, (H, W, 3)).astype(np.float32)
        pha = np.zeros((H, W), np.float32)
        pha[12:36, 10 + 3 * t:34 + 3 * t] = 1.0
        src.append(np.clip(bg * (1 - pha[..., None]) + np.array([0.9, 0.2, 0.1], np.float32) * pha[..., None], 0, 1))
        truth.append(pha)
        holed = pha.copy()
        holed[18:30, 16 + 3 * t:28 + 3 * t] = 0.3
        auto.append(holed)
    return V.Rendered(src, [], [], truth), auto


def test_an_untrained_correction_returns_the_automatic_alpha_exactly():
    clip, auto = _tiny_clip()
    net, report = teach_correction(clip.src, auto, clip.truth, [0, T - 1], CorrectSettings(iterations=0))
    assert report["iterations"] == 0
    out = apply_correction(net, clip.src, auto)
    assert all(np.array_equal(o, a) for o, a in zip(out, auto))       # bit for bit: the last conv starts at zero


def test_the_mode_fills_the_automatic_hole_in_a_few_seconds():
    clip, auto = _tiny_clip()
    keys = [0, T // 2, T - 1]
    start = time.monotonic()
    row = correct_row(clip, auto, keys, backward_flows(clip.src),
                      CorrectSettings(minutes=0.5, iterations=60, crop=32, lr=5e-3))
    assert time.monotonic() - start < 20
    assert row["teach"]["iterations"] == 60
    assert row["ratio"] < 0.2, row                  # the hole (error 0.7 on 144 px a frame: MAD 32.8) goes
    assert row["taught"]["inner"] < 30 and row["taught"]["outer"] < 5, row      # inner was 311
