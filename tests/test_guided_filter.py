"""Guided upsampling and the box means under it (cmn_vfx.engine.numpy_filters), against brute force."""
from __future__ import annotations

import numpy as np
import pytest

from cmn_vfx.engine.numpy_filters import box_clip, box_reflect, guided_upsample


def _window_means(padded: np.ndarray, r: int, shape: tuple[int, ...]) -> np.ndarray:
    k = 2 * r + 1
    return np.mean([padded[dy:dy + shape[0], dx:dx + shape[1]] for dy in range(k) for dx in range(k)], 0)


@pytest.mark.parametrize("radius", [1, 4, 12, 30])   # 30: wider than the 9 x 13 image, reflected again
def test_box_reflect_is_the_mean_over_the_image_mirrored_about_its_edge_pixel(radius):
    x = np.random.default_rng(radius).random((9, 13, 3), dtype=np.float32)
    padded = np.pad(x.astype(np.float64), ((radius, radius), (radius, radius), (0, 0)), mode="symmetric")
    assert np.abs(box_reflect(x, radius) - _window_means(padded, radius, x.shape)).max() < 1e-6


@pytest.mark.parametrize("r", [1, 2, 5, 9])
def test_box_clip_is_the_mean_over_the_window_inside_the_image(r):
    x = np.random.default_rng(r).random((7, 11, 2), dtype=np.float32)
    want = np.array([[x[max(y - r, 0):y + r + 1, max(c - r, 0):c + r + 1].mean((0, 1)) for c in range(11)]
                     for y in range(7)])
    np.testing.assert_allclose(box_clip(x, r), want, atol=1e-6)
    np.testing.assert_allclose(box_clip(x[..., 0], r), want[..., 0], atol=1e-6)


@pytest.mark.parametrize("lr,hr", [((36, 64), (45, 70)), ((18, 32), (135, 240)), ((5, 3), (17, 9))])
def test_guided_upsample_carries_an_alpha_linear_in_the_guide_to_the_full_size_guide(lr, hr):
    """alpha = 0.6 luma + 0.2 at the working size: its fit is that line in every window, so the full-size alpha is
    the line applied to the full-size luma (short of it by eps / (var + eps) in the slope), whatever the luma."""
    rng = np.random.default_rng(lr[0])
    guide, guide_hr = rng.random(lr, dtype=np.float32), rng.random(hr, dtype=np.float32)
    got = guided_upsample(0.6 * guide + 0.2, guide, guide_hr)
    assert got.shape == hr and got.dtype == np.float32
    assert np.abs(got - (0.6 * guide_hr + 0.2)).max() < 5e-3
    assert 0.0 <= got.min() and got.max() <= 1.0
