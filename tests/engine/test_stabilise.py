"""Temporal stabilisation (cmn_vfx.engine.stabilise): steadies edges where the picture holds still or moves
with the flow, and lets this frame's alpha through where the picture or the alpha really changed."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from cmn_vfx.engine.stabilise import TemporalStabiliser, stabiliser_flow

H, W = 96, 160


def texture(seed: int = 0) -> np.ndarray:
    """A smooth random picture [H+40, W+40, 3] in 0..1 that DIS can track."""
    noise = np.random.default_rng(seed).random((H + 40, W + 40, 3)).astype(np.float32)
    picture = cv2.GaussianBlur(noise, (0, 0), 2.0)
    return np.clip((picture - picture.mean()) * 6 + 0.5, 0, 1)


def shifted(image: np.ndarray, dx: float) -> np.ndarray:
    """The H x W window of `image` moved right by dx px (sub-pixel, bilinear)."""
    m = np.float32([[1, 0, dx], [0, 1, 0]])
    return cv2.warpAffine(image, m, (image.shape[1], image.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)[20:20 + H, 20:20 + W]


def edge(x0: float) -> np.ndarray:
    """A soft vertical matte edge at x0: 1 left of it, 0 right."""
    xs = np.arange(W, dtype=np.float32)[None, :].repeat(H, 0)
    return np.clip(x0 - xs + 0.5, 0, 1)


def noisy(alpha: np.ndarray, rng, amount: float = 0.15) -> np.ndarray:
    """Edge flicker: noise in the band around the edge, as the network's frame-to-frame jitter."""
    band = cv2.dilate(((alpha > 0.02) & (alpha < 0.98)).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    return np.clip(alpha + band * rng.normal(0, amount, alpha.shape).astype(np.float32), 0, 1)


def run(stab: TemporalStabiliser, alphas, frames):
    return [stab(a, f) for a, f in zip(alphas, frames)]


def flicker(alphas) -> float:
    return float(np.mean([np.abs(a - b).mean() for a, b in zip(alphas[1:], alphas[:-1])]))


def test_a_still_shot_flickers_less_and_keeps_its_matte():
    picture, rng = texture(), np.random.default_rng(1)
    frames = [shifted(picture, 0)] * 12
    truth = edge(80)
    alphas = [noisy(truth, rng) for _ in frames]
    out = run(TemporalStabiliser(0.7), alphas, frames)
    assert flicker(out[2:]) < 0.5 * flicker(alphas[2:])
    error_in = np.mean([np.abs(a - truth).mean() for a in alphas[4:]])
    error_out = np.mean([np.abs(a - truth).mean() for a in out[4:]])
    assert error_out < error_in                       # averaging the jitter brings it closer to the truth


def test_a_moving_shot_follows_the_motion_without_lag():
    """Picture and matte move 3 px a frame: the blend warps the last alpha with the flow, so the edge stays
    where this frame's alpha puts it (no trail), and the jitter along the motion drops."""
    picture, rng = texture(2), np.random.default_rng(3)
    frames = [shifted(picture, 3 * t) for t in range(12)]
    truths = [edge(60 + 3 * t) for t in range(12)]
    alphas = [noisy(t, rng) for t in truths]
    out = run(TemporalStabiliser(0.7), alphas, frames)
    for t in range(4, 12):                           # the 0.5 crossing on the middle row stays within 1 px
        row = out[t][H // 2]
        assert abs(np.interp(0.5, row[::-1], np.arange(W)[::-1]) - (60 + 3 * t)) < 1.0

    def along_motion(al):                            # |a_t(x) - a_{t-1}(x - 3)|: flicker with the motion taken out
        return np.mean([np.abs(al[t][:, 3:] - al[t - 1][:, :-3]).mean() for t in range(5, 12)])

    assert along_motion(out) < 0.8 * along_motion(alphas)
    error_in = np.mean([np.abs(a - t).mean() for a, t in zip(alphas[4:], truths[4:])])
    error_out = np.mean([np.abs(a - t).mean() for a, t in zip(out[4:], truths[4:])])
    assert error_out < 1.05 * error_in                # warping the last alpha does not smear the edge
    clean = run(TemporalStabiliser(0.7), truths, frames)
    assert max(np.abs(a - t).mean() for a, t in zip(clean, truths)) < 2e-3


def test_a_new_picture_takes_this_frames_alpha():
    """After a change of picture the flow means nothing: the colour check lets this frame's alpha stand."""
    stab = TemporalStabiliser(0.7)
    stab(edge(40), shifted(texture(4), 0))
    alpha = edge(100)
    out = stab(alpha, shifted(texture(5), 0))
    assert np.abs(out - alpha).max() < 1e-3


def test_a_person_found_over_a_still_picture_comes_through_at_once():
    """A large change of alpha over an unchanged picture is news (the network found someone), not flicker."""
    frame = shifted(texture(6), 0)
    stab = TemporalStabiliser(0.7)
    stab(np.zeros((H, W), np.float32), frame)
    found = np.zeros((H, W), np.float32)
    found[20:70, 40:90] = 1
    out = stab(found, frame)
    assert out[25:65, 45:85].min() > 0.98


def test_samples_from_beyond_the_frame_are_not_blended():
    """Content entering at the left edge has no past: its alpha is this frame's."""
    picture = texture(7)
    stab = TemporalStabiliser(0.7)
    stab(np.zeros((H, W), np.float32), shifted(picture, 0))
    alpha = np.full((H, W), 0.5, np.float32)
    frame = shifted(picture, 6)                      # moved right: columns 0..5 come from beyond the frame
    flow = stabiliser_flow(frame, shifted(picture, 0))
    out = stab(alpha, frame, flow)
    outside = (np.arange(W)[None, :] + flow[..., 0]) < 0
    assert outside.any()
    np.testing.assert_array_equal(out[outside], alpha[outside])


def test_strength_zero_is_off_and_reset_forgets():
    frame, rng = shifted(texture(8), 0), np.random.default_rng(9)
    a, b = noisy(edge(80), rng), noisy(edge(80), rng)
    off = TemporalStabiliser(0.0)
    off(a, frame)
    np.testing.assert_array_equal(off(b, frame), b)
    on = TemporalStabiliser(0.7)
    on(a, frame)
    assert np.abs(on(b, frame) - b).max() > 0.01
    on.reset()
    np.testing.assert_array_equal(on(b, frame), b)


@pytest.mark.parametrize("strength", [-0.1, 1.0, 1.5])
def test_strength_out_of_range_is_refused(strength):
    with pytest.raises(ValueError):
        TemporalStabiliser(strength)


def test_the_onnx_network_hands_over_the_flow_the_stabiliser_would_compute():
    """The ONNX runtime's own DIS flow (same preset, same padded frames) is reused bit for bit, so both runtimes
    stabilise alike and the flow is computed once a frame."""
    from cmn_vfx.engine.runtime import open_backend
    from engine_helpers import engine_spec
    backend = open_backend(engine_spec(device="cpu", runtime="onnx", threads=1))
    picture = texture(10)
    size = (100, 75)                                  # not a multiple of 16: the padding must agree too
    a, b = (cv2.resize(shifted(picture, dx), size) for dx in (0, 3))
    prior = np.full(a.shape[:2], 0.5, np.float32)
    _, _, state = backend.step(a, None, None, prior)
    assert backend.flow is None                       # a fresh start computes no flow
    backend.step(b, a, state, prior)
    np.testing.assert_array_equal(backend.flow, stabiliser_flow(b, a))


# ---------------------------------------------------------------- in the engine (the shipped model, sample shot)
def _run(workdir, seq, frames, **config):
    from cmn_vfx.engine import MatteEngine
    from cmn_vfx.io.image import read_image
    from cmn_vfx.io.sequence import format_frame_range
    from cmn_vfx.job.layout import OutputLayout
    from engine_helpers import engine_spec
    spec = engine_spec(device="cpu", runtime="onnx", threads=2, frames=format_frame_range(frames), **config)
    MatteEngine(spec).run(spec, seq, workdir, seq.name, progress=False)
    layout = OutputLayout(workdir, seq.name, seq.padding)
    images = [read_image(layout.alpha_path(f)) for f in frames]
    return np.stack([i.pixels[..., 0] for i in images]), images[0].metadata["cmn:settings"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.sample_shot import build_sample_shot
    paths = build_sample_shot(str(tmp_path_factory.mktemp("shot")), frames=12, size=(320, 180))
    return find_sequence(paths["plate"])


def test_the_engine_stabilises_by_default_and_records_it(tmp_path, sample):
    import json
    frames = list(sample.frames)[:6]
    on, settings_on = _run(str(tmp_path / "on"), sample, frames)
    off, settings_off = _run(str(tmp_path / "off"), sample, frames, temporal=0.0)
    assert json.loads(settings_on)["temporal"] == 0.7 and json.loads(settings_off)["temporal"] == 0.0
    assert json.loads(settings_on)["stabiliser"][:2] == [0.02, 0.5]      # SIGMA, TAU: the engine's constants
    np.testing.assert_array_equal(on[0], off[0])             # the first frame has no past
    per_frame = np.abs(on - off).mean(axis=(1, 2))
    assert per_frame[1:].max() > 1e-4 and per_frame.max() < 5e-3


def test_a_farm_chunk_warmed_up_on_8_frames_matches_the_sequential_run(tmp_path, sample):
    """The stabiliser's memory fades as strength**frames, and warm-up frames run through it: a chunk's first
    frame agrees with a sequential pass (issue 14's seam bar: under 2e-3 at W = 8)."""
    frames = list(sample.frames)
    whole, _ = _run(str(tmp_path / "whole"), sample, frames)
    chunk, _ = _run(str(tmp_path / "chunk"), sample, frames[9:], warmup=8)
    assert np.abs(chunk - whole[9:]).mean(axis=(1, 2)).max() < 2e-3


def test_an_out_of_range_strength_is_refused_by_the_engine_and_the_spec():
    from cmn_vfx.engine import MatteEngine
    from cmn_vfx.errors import BadInputError
    from cmn_vfx.job.spec import ShotSpec
    with pytest.raises(BadInputError, match="temporal"):
        MatteEngine(ShotSpec(plate="p.####.exr", output="out", device="cpu", temporal=1.0))
    with pytest.raises(BadInputError, match="temporal"):
        ShotSpec(plate="p.####.exr", output="out", temporal=-0.5).validate()
    assert ShotSpec(plate="p.####.exr", output="out", temporal=0).validate().temporal == 0
