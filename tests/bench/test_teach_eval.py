"""bench/teach_eval's edge check: the regions of a true alpha and the MAD over each."""
from __future__ import annotations

import numpy as np

from bench.teach_eval import EDGE_PX, region_mads, regions


def _square() -> np.ndarray:
    truth = np.zeros((40, 60), np.float32)
    truth[10:30, 20:40] = 1.0
    return truth


def test_the_edge_band_is_edge_px_either_side_of_the_contour():
    masks = regions(_square())
    assert not (masks["edge"] & masks["inner"]).any() and not (masks["edge"] & masks["outer"]).any()
    assert (masks["edge"] | masks["inner"] | masks["outer"]).all()
    row = masks["edge"][20]                       # across the square's middle: x 20..39 is the person
    assert row[20 - EDGE_PX:20 + EDGE_PX].all() and not row[20 - EDGE_PX - 1] and not row[20 + EDGE_PX]
    assert masks["inner"].sum() == (20 - 2 * EDGE_PX) ** 2
    assert not regions(np.zeros((8, 8), np.float32))["edge"].any()       # no person, no contour


def test_a_softened_edge_shows_in_the_edge_band_alone():
    truth = _square()
    soft = truth.copy()
    soft[9:31, 19:41] = np.maximum(soft[9:31, 19:41], 0.5)         # a 0.5 halo 1 px outside
    soft[10:30, 20:40][[0, -1], :] = 0.5                           # and 1 px inside at top and bottom
    mads = region_mads([soft], [truth], [0])
    band = regions(truth)["edge"].sum()
    assert mads["inner"] == 0 and mads["outer"] == 0
    assert abs(mads["edge"] - 1e3 * float(np.abs(soft - truth).sum()) / band) < 0.01
