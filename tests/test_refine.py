"""Edge refinement (cmn_vfx.engine.numpy_filters.refine_edges, every runtime's): the trimap's erosion, and the
guided filter solved only on the band's box giving the whole frame's values."""
from __future__ import annotations

import numpy as np
import pytest

from cmn_vfx.engine.filter_params import REFINE_EPS, band_element, guided_params
from cmn_vfx.engine.numpy_filters import fast_guided_filter, refine_edges, trimap_from_prior


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
# a whole-block and a fractional area downscale; (200, 300): a band far from the frame's edges.
@pytest.mark.parametrize("h,w", [(5, 7), (17, 23), (36, 64), (200, 300), (576, 602), (581, 603)])
@pytest.mark.parametrize("kind", ["random", "edge"])
def test_refine_edges_is_the_whole_frames_guided_filter_inside_the_band_and_0_or_1_outside(kind, h, w):
    src, pha = _frame(kind, h, w, seed=h * w)
    band, radius, s = guided_params(h, w)
    tri = trimap_from_prior(pha, band)
    want = np.clip(np.where(tri == 0.5, fast_guided_filter(src, pha, radius, REFINE_EPS, s), tri), 0, 1)
    got = refine_edges(pha, src)
    known = tri != 0.5
    assert (~known).any() and (known.any() or kind == "random")
    np.testing.assert_array_equal(got[known], tri[known])       # 0 / 1 outside the band, exactly
    assert got.dtype == np.float32 and np.abs(got - want).max() < 1e-5


def _eroded(mask: np.ndarray, element: np.ndarray) -> np.ndarray:
    """Erosion by brute force: a pixel stays where every pixel of the element around it that lies inside the
    frame is set (what lies outside counts as neither side)."""
    k = element.shape[0] // 2
    padded = np.pad(mask, k, constant_values=True)
    out = np.ones_like(mask)
    for dy, dx in zip(*np.nonzero(element)):
        out &= padded[dy:dy + mask.shape[0], dx:dx + mask.shape[1]]
    return out


@pytest.mark.parametrize("band", [1, 2, 3, 11, 40])
def test_trimap_is_the_erosion_of_each_side_by_the_band_ellipse(band):
    pha = np.random.default_rng(band).random((29, 37), dtype=np.float32)
    pha[:, :12] = 1.0                                       # a solid region, so some pixels survive erosion
    element = band_element(band)
    want = np.full(pha.shape, 0.5, np.float32)
    want[_eroded(pha > 0.5, element)] = 1.0
    want[_eroded(pha <= 0.5, element)] = 0.0
    np.testing.assert_array_equal(trimap_from_prior(pha, band), want)
