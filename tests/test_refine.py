"""cmn_vfx.engine.refine (torch) against its numpy + cv2 twin, cmn_vfx.engine.numpy_filters, on CPU."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from cmn_vfx.engine.refine import area_resize, band_element, grow_mask, refine_edges, trimap
from cmn_vfx.engine.numpy_filters import refine_edges as numpy_refine_edges
from cmn_vfx.engine.numpy_filters import trimap_from_prior


def _nchw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x[..., None] if x.ndim == 2 else x).permute(2, 0, 1)[None]


def _frame(kind: str, h: int, w: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(src [H,W,3], pha [H,W]) float32 0..1: uniform noise, or a noisy soft disc on a gradient."""
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.random((h, w, 3), dtype=np.float32), rng.random((h, w), dtype=np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    disc = np.clip(1 - (np.hypot(xs - 0.45 * w, ys - 0.55 * h) - 0.3 * min(h, w)) / 3, 0, 1)
    src = np.stack([0.2 + 0.6 * disc, 0.3 + 0.2 * xs / w, 0.5 - 0.3 * disc], -1) + 0.05 * rng.random((h, w, 3))
    pha = np.clip(disc + 0.1 * rng.standard_normal((h, w)), 0, 1)
    return src.astype(np.float32), pha.astype(np.float32)


# (5, 7): box radius 8 wider than the frame; (576, 602) and (581, 603): coefficients at 1/2 size,
# a whole-block and a fractional area downscale.
@pytest.mark.parametrize("h,w", [(5, 7), (17, 23), (36, 64), (576, 602), (581, 603)])
@pytest.mark.parametrize("kind", ["random", "edge"])
def test_refine_edges_matches_numpy_refine_edges(kind, h, w):
    src, pha = _frame(kind, h, w, seed=h * w)
    want = numpy_refine_edges(pha, src)
    got = refine_edges(_nchw(pha), _nchw(src))[0, 0].numpy()
    known = (want == 0) | (want == 1)
    assert (~known).any() and (known.any() or kind == "random")
    np.testing.assert_array_equal(got[known], want[known])     # 0 / 1 outside the band, exactly
    assert np.abs(got - want).max() < 1e-4


@pytest.mark.parametrize("band", [1, 2, 3, 11, 40])
def test_trimap_equals_cv2_erosion(band):
    pha = np.random.default_rng(band).random((29, 37), dtype=np.float32)
    np.testing.assert_array_equal(trimap(_nchw(pha), band)[0, 0].numpy(), trimap_from_prior(pha, band))


@pytest.mark.parametrize("shape", [cv2.MORPH_ELLIPSE, cv2.MORPH_RECT, cv2.MORPH_CROSS])
@pytest.mark.parametrize("k", [1, 3, 7, 23])
def test_grow_mask_equals_cv2_dilate_on_random_masks(shape, k):
    element = cv2.getStructuringElement(shape, (k, k))
    rng = np.random.default_rng(k)
    for density in (0.02, 0.5, 0.98):
        mask = rng.random((2, 19, 31)) < density
        got = grow_mask(torch.from_numpy(mask)[None], element)[0].numpy()
        for c in range(2):
            np.testing.assert_array_equal(got[c], cv2.dilate(mask[c].astype(np.uint8), element) > 0)


def test_grow_mask_refuses_an_element_with_off_centre_rows():
    with pytest.raises(ValueError):
        grow_mask(torch.zeros(1, 1, 4, 4, dtype=torch.bool), np.array([[1, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8))


@pytest.mark.parametrize("src,dst", [((17, 23), (5, 7)), ((12, 9), (4, 3)), ((10, 31), (3, 10)), ((7, 7), (1, 1))])
def test_area_resize_equals_cv2_inter_area(src, dst):
    x = np.random.default_rng(0).random((*src, 3), dtype=np.float32)
    want = cv2.resize(x, dst[::-1], interpolation=cv2.INTER_AREA)
    got = area_resize(_nchw(x), dst)[0].permute(1, 2, 0).numpy()
    assert np.abs(got - want).max() < 1e-6

