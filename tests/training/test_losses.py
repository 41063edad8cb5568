"""cmn_vfx_training.losses: eq. 13-16 of the paper."""
import pytest
import torch

from cmn_vfx_training import losses


def _clip(b=2, t=3, h=32, w=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    pha = torch.rand(b, t, 1, h, w, generator=g)
    fgr = torch.rand(b, t, 3, h, w, generator=g)
    return pha, fgr


def test_identical_prediction_gives_zero_loss():
    pha, fgr = _clip()
    out = losses.matting_loss(pha, fgr, pha, fgr)
    assert set(out) == {"l1_alpha", "lap_alpha", "l1_fgr", "total"}
    assert all(float(v) == pytest.approx(0.0, abs=1e-7) for v in out.values())


def test_pyramid_has_five_levels_at_32px_and_ignores_constants():
    x = torch.rand(1, 1, 32, 32)
    pyr = losses.laplacian_pyramid(x)
    assert [p.shape[-1] for p in pyr] == [32, 16, 8, 4, 2]
    # A constant image has no band-pass content at any level.
    assert all(p.abs().max() < 1e-6 for p in losses.laplacian_pyramid(torch.full((1, 1, 32, 32), 0.7)))


def test_constant_offset_terms_are_hand_computable():
    pha, fgr = _clip(t=3)
    true_pha = pha.clamp(0.1, 0.9)
    pred = true_pha + 0.05
    out = losses.matting_loss(pred, fgr, true_pha, fgr)
    # L1 per frame = 0.05, summed over 3 frames; a constant offset lives only in the
    # coarsest low-pass, which the 5 band-pass levels do not contain, so L_lap = 0.
    assert float(out["l1_alpha"]) == pytest.approx(0.15, rel=1e-5)
    assert float(out["lap_alpha"]) == pytest.approx(0.0, abs=1e-5)
    assert float(out["total"]) == pytest.approx(0.15, rel=1e-4)


def test_fgr_loss_ignores_pixels_where_true_alpha_is_zero():
    pha, fgr = _clip(t=2)
    true_pha = torch.zeros_like(pha)
    true_pha[..., :16, :] = 0.5                     # top half visible
    pred_fgr = fgr.clone()
    pred_fgr[..., 16:, :] += 1.0                    # error only where alpha == 0
    assert float(losses.matting_loss(true_pha, pred_fgr, true_pha, fgr)["l1_fgr"]) == pytest.approx(0.0)
    pred_fgr[..., :16, :] += 0.2                    # error on half the pixels, 2 frames
    out = losses.matting_loss(true_pha, pred_fgr, true_pha, fgr)
    assert float(out["l1_fgr"]) == pytest.approx(0.2, rel=1e-4)       # 2 * 0.2 * 0.5
    assert float(out["total"]) == pytest.approx(0.02, rel=1e-4)       # 0.1 weight


def test_laplacian_level_weights_double():
    pred, true = torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 64)
    bands = [float((p - t).abs().mean()) for p, t in
             zip(losses.laplacian_pyramid(pred), losses.laplacian_pyramid(true))]
    assert float(losses.laplacian_loss(pred, true)) == pytest.approx(
        bands[0] + 2 * bands[1] + 4 * bands[2] + 8 * bands[3] + 16 * bands[4], rel=1e-5)
    assert float(losses.laplacian_loss(pred, true, levels=1)) == pytest.approx(bands[0], rel=1e-5)


def test_shape_mismatch_is_an_error():
    pha, fgr = _clip()
    with pytest.raises(ValueError):
        losses.matting_loss(pha, fgr, pha[..., :16], fgr)
