"""cmn_vfx.metrics against hand-computed cases."""
import math

import numpy as np
import pytest

from cmn_vfx import metrics


def _blob(h=32, w=32):
    yy, xx = np.mgrid[0:h, 0:w]
    return np.clip(1.2 - np.hypot(yy - h / 2, xx - w / 2) / 8, 0, 1).astype(np.float32)


def test_identical_inputs_give_zero_everywhere():
    a = _blob()
    acc = metrics.MetricAccumulator()
    for shift in range(3):
        frame = np.roll(a, shift, axis=1)
        acc.update(frame, frame, np.dstack([frame] * 3), np.dstack([frame] * 3))
    out = acc.result()
    assert out["frames"] == 3
    for name in metrics.ALL_METRICS:
        assert out[name] == pytest.approx(0.0, abs=1e-9), name


def test_constant_offset_mad_mse_sad():
    true = np.full((10, 20), 0.25)
    pred = true + 0.1
    assert metrics.mad(pred, true) == pytest.approx(100.0)       # 0.1 * 1e3
    assert metrics.mse(pred, true) == pytest.approx(10.0)        # 0.01 * 1e3
    assert metrics.sad(pred, true) == pytest.approx(0.02)        # 200 px * 0.1 / 1e3


def test_grad_of_a_step_edge_matches_closed_form():
    # A vertical step 0 -> 1 at column 16, against a flat prediction (gradient 0).
    h, w, edge, sigma = 8, 32, 16, 1.4
    true = np.zeros((h, w))
    true[:, edge:] = 1.0
    pred = np.zeros((h, w))
    # Independent closed form: the x filter is g(i) * g'(j) / norm, correlated with the
    # step; rows are constant so the y response is 0 and the row sum of g factors out.
    half = 4  # ceil(1.4 * sqrt(-2 ln(sqrt(2 pi) 1.4 0.01)))
    r = np.arange(-half, half + 1)
    g = np.exp(-r ** 2 / (2 * sigma ** 2))
    dg = -r * g
    norm = math.sqrt((np.outer(g, dg) ** 2).sum())
    total = 0.0
    for x in range(w):
        resp = sum(g.sum() * dg[j + half] for j in r if x + j >= edge) / norm  # replicate border
        total += h * resp ** 2
    assert metrics.gauss_filters(sigma)[0].shape == (9, 9)
    assert metrics.grad(pred, true) == pytest.approx(total / 1e3, rel=1e-6)
    assert total / 1e3 > 0.01


def test_conn_counts_a_detached_blob_and_ignores_small_values():
    true = np.zeros((32, 32))
    true[4:14, 4:14] = 1.0
    pred = true.copy()
    pred[20:23, 20:23] = 1.0     # 9 px outside the largest component: phi 1 -> 0
    assert metrics.conn(pred, true) == pytest.approx(9 / 1e3)
    pred[20:23, 20:23] = 0.1     # below theta = 0.15: no connectivity penalty
    assert metrics.conn(pred, true) == pytest.approx(0.0)


def test_dtssd_is_zero_when_temporal_differences_match():
    a0, a1 = _blob(), np.roll(_blob(), 2, axis=0)
    offset = 0.05
    assert metrics.dtssd(a1 + offset, a0 + offset, a1, a0) == pytest.approx(0.0, abs=1e-5)
    # A flicker of +0.1 on every pixel of frame t: sqrt(0.01) * 1e2 = 10
    assert metrics.dtssd(a1 + 0.1, a0, a1, a0) == pytest.approx(10.0)


def test_dtssd_sequence_mean_counts_first_frame_as_zero():
    acc = metrics.MetricAccumulator(metrics=("dtssd",))
    a = _blob()
    acc.update(a, a)
    acc.update(a + 0.1, a)
    assert acc.result()["dtssd"] == pytest.approx(5.0)  # (0 + 10) / 2, as RVM


def test_messddt_zero_for_a_constant_error_and_positive_for_flicker():
    a0 = _blob()
    a1 = np.roll(a0, 1, axis=1)
    err, num = metrics.messddt_terms(a1 * 0.9, a0 * 0.9, a1, a0)  # error follows the motion
    assert num == 32 * 32 + 1
    assert err / num * 1e4 < 5.0
    acc = metrics.MetricAccumulator(metrics=("messddt",))
    acc.update(a0, a0)
    acc.update(np.clip(a1 + 0.2, 0, 1), a1)
    assert acc.result()["messddt"] > 50.0


def test_fgr_mse_only_where_alpha_positive():
    pha = np.zeros((4, 4))
    pha[:2] = 0.5
    true = np.zeros((4, 4, 3))
    pred = true.copy()
    pred[2:] = 1.0                # error only where alpha == 0: ignored
    assert metrics.fgr_mse(pred, true, pha) == pytest.approx(0.0)
    pred[:2] = 0.1
    assert metrics.fgr_mse(pred, true, pha) == pytest.approx(10.0)
    assert metrics.fgr_mse(pred, true, np.zeros((4, 4))) is None


def test_accumulator_rejects_unknown_metric_and_size_mismatch():
    with pytest.raises(ValueError):
        metrics.MetricAccumulator(metrics=("nope",))
    with pytest.raises(ValueError):
        metrics.MetricAccumulator().update(np.zeros((4, 4)), np.zeros((4, 5)))
