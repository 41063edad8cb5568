"""Augmentations keep I = aF + (1-a)B where they claim to, and change what they claim to."""
import numpy as np
import pytest

from cmn_vfx_training import augment
from cmn_vfx_training.augment import AugmentConfig
from cmn_vfx_training.data.simulated_prior import simulate_prior

OFF = dict(crop=0, flip=0.0, jitter=0.0, gamma=0.0, jpeg=0.0, h264=0.0, blend='srgb')


def _layers(t=3, h=40, w=48, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    pha = np.clip((xx - w / 3) / 8, 0, 1)[None].repeat(t, 0)            # a soft vertical edge
    fgr = np.stack([np.stack([xx / w, yy / h, 0.3 + 0 * xx], -1)] * t)  # smooth colours
    bgr = rng.uniform(0, 1, (t, h, w, 3)).astype(np.float32)
    flow = np.stack([np.full((t, h, w), 2.0), np.full((t, h, w), -1.0)], -1).astype(np.float32)
    return {'fgr': fgr.astype(np.float32), 'pha': pha.astype(np.float32), 'bgr': bgr, 'flow': flow}


def _composite_error(s):
    return float(np.abs(s['src'] - (s['pha'][..., None] * s['fgr'] + (1 - s['pha'][..., None]) * s['bgr'])).max())


def _run(seed=0, **cfg):
    layers = _layers()
    return layers, augment.augment_sample(layers, AugmentConfig(**dict(OFF, **cfg)), np.random.default_rng(seed))


def test_no_augmentation_is_the_plain_composite():
    layers, s = _run()
    assert _composite_error(s) < 1e-6
    assert np.array_equal(s['pha'], layers['pha']) and np.array_equal(s['fgr'], layers['fgr'])


def test_jpeg_changes_src_only():
    layers, s = _run(jpeg=1.0, jpeg_quality=(70, 70))
    assert np.array_equal(s['pha'], layers['pha']) and np.array_equal(s['fgr'], layers['fgr'])
    assert _composite_error(s) > 0.01
    mean_err = float(np.abs(s['src'] - augment.composite(s['fgr'], s['pha'], s['bgr'])).mean())
    assert 0.005 < mean_err < 0.15  # noise on a noisy background, but still the same picture


def test_h264_changes_src_only():
    layers, s = _run(h264=1.0, h264_crf=(35, 35))
    assert s['src'].shape == layers['bgr'].shape
    assert np.array_equal(s['pha'], layers['pha'])
    mean_err = float(np.abs(s['src'] - augment.composite(s['fgr'], s['pha'], s['bgr'])).mean())
    assert 0.005 < mean_err < 0.2


def test_h264_handles_odd_sizes():
    src = np.random.default_rng(0).uniform(0, 1, (2, 33, 47, 3)).astype(np.float32)
    assert augment.h264_noise(src, 20).shape == (2, 33, 47, 3)


def test_flip_flips_everything_and_negates_flow_x():
    layers, s = _run(flip=1.0)
    assert np.array_equal(s['pha'], layers['pha'][:, :, ::-1])
    assert np.array_equal(s['bgr'], layers['bgr'][:, :, ::-1])
    assert np.allclose(s['flow'][..., 0], -2.0) and np.allclose(s['flow'][..., 1], -1.0)
    assert _composite_error(s) < 1e-6


def test_gamma_changes_alpha_only_and_keeps_the_composite():
    layers, s = _run(gamma=1.0, gamma_range=(2.0, 2.0))
    assert np.allclose(s['pha'], layers['pha'] ** 2, atol=1e-6)
    assert np.array_equal(s['fgr'], layers['fgr']) and np.array_equal(s['bgr'], layers['bgr'])
    assert _composite_error(s) < 1e-6
    assert float(np.abs(s['pha'] - layers['pha']).max()) > 0.2


def test_colour_jitter_changes_fgr_only_and_keeps_the_composite():
    layers, s = _run(jitter=1.0, brightness=(1.1, 1.1), contrast=(0.9, 0.9), hue=(0.05, 0.05),
                     saturation=(1.2, 1.2))
    assert np.array_equal(s['pha'], layers['pha']) and np.array_equal(s['bgr'], layers['bgr'])
    assert float(np.abs(s['fgr'] - layers['fgr']).mean()) > 0.01
    assert _composite_error(s) < 1e-6


def test_hue_is_read_as_a_fraction_of_a_turn():
    red = np.zeros((1, 2, 2, 3), np.float32)
    red[..., 0] = 1.0
    out = augment.jitter_colour(red, 1.0, 1.0, 1.0 / 3.0, 1.0)  # +1/3 turn: red -> green
    assert np.allclose(out[0, 0, 0], (0, 1, 0), atol=1e-4)


def test_crop_cuts_every_layer_at_the_same_place():
    layers, s = _run(crop=16)
    assert s['pha'].shape == (3, 16, 16) and s['flow'].shape == (3, 16, 16, 2)
    # locate the crop in the background (random noise is unique) and compare alpha there
    bg = layers['bgr'][0]
    hits = [(y, x) for y in range(25) for x in range(33) if np.array_equal(bg[y:y + 16, x:x + 16], s['bgr'][0])]
    assert len(hits) == 1
    y, x = hits[0]
    assert np.array_equal(s['pha'], layers['pha'][:, y:y + 16, x:x + 16])
    assert _composite_error(s) < 1e-6


def test_simulated_prior_is_coarse_but_close_and_jitters_in_time():
    pha = np.zeros((3, 96, 128), np.float32)
    pha[:, 30:, 40:90] = 1.0
    ious, diffs = [], []
    for seed in range(12):
        prior = simulate_prior(pha, np.random.default_rng(seed), fail=0.0)
        assert prior.shape == pha.shape and prior.min() >= 0.0 and prior.max() <= 1.0
        inter = ((prior > 0.5) & (pha > 0.5)).sum()
        ious.append(inter / max(1, ((prior > 0.5) | (pha > 0.5)).sum()))
        diffs.append(float(np.abs(prior[1] - prior[0]).mean()))
    assert np.median(ious) > 0.6                 # it is a prior of the person
    assert np.median(ious) < 0.99                # but not the truth
    assert min(diffs) > 0.0                      # frames differ (temporal jitter)


def test_linear_blend_is_how_a_camera_sees_a_soft_edge():
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    np.testing.assert_allclose(augment.srgb_encode(augment.srgb_decode(x)), x, atol=1e-6)
    assert abs(float(augment.srgb_decode(np.float32(0.5))) - 0.2140) < 1e-4  # IEC 61966-2-1
    # dark hair (0.05) half over a bright sky (0.8): linear light is much brighter than the
    # average of the encoded values, i.e. a real soft edge looks more like the background
    fgr, bgr, pha = np.full((1, 1, 1, 3), 0.05, np.float32), np.full((1, 1, 1, 3), 0.8, np.float32), np.full((1, 1, 1), 0.5, np.float32)
    linear, encoded = augment.blend(fgr, pha, bgr, 'linear'), augment.blend(fgr, pha, bgr, 'srgb')
    assert float(encoded[0, 0, 0, 0]) == pytest.approx(0.425)
    assert float(linear[0, 0, 0, 0]) == pytest.approx(0.5873, abs=1e-3)
    layers, s = _run(blend='linear')
    np.testing.assert_allclose(s['src'], augment.blend(s['fgr'], s['pha'], s['bgr'], 'linear'), atol=1e-6)
    for a in (0.0, 1.0):  # solid pixels are the layer itself whichever the blend
        p = np.full_like(pha, a)
        np.testing.assert_allclose(augment.blend(fgr, p, bgr), fgr if a else bgr, atol=1e-6)
