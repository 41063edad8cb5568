"""The fg colour where alpha is fractional: estimated from the frame and alpha (cmn_vfx.engine.foreground),
and the engine's choice between that and the network's fg decoder."""
import numpy as np
import pytest

from cmn_vfx.engine.foreground import estimate_foreground


def _scene(h=144, w=256):
    """A composite with a known foreground: a red-to-yellow person over a blue-green gradient, soft hair edge."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    fg = np.stack([0.9 + 0 * xs, 0.2 + 0.6 * ys / h, 0.1 + 0 * xs], -1)
    bg = np.stack([0.1 + 0 * xs, 0.3 + 0.4 * xs / w, 0.8 - 0.3 * ys / h], -1)
    edge = w / 2 + 12 * np.sin(ys / 9)
    alpha = np.clip((edge - xs) / 14 + 0.5, 0, 1).astype(np.float32)          # 14 px of fractional alpha
    image = (alpha[..., None] * fg + (1 - alpha[..., None]) * bg).astype(np.float32)
    return image, alpha, fg.astype(np.float32)


def test_the_estimate_recovers_the_foreground_in_the_band():
    image, alpha, fg = _scene()
    band = (alpha > 0.05) & (alpha < 0.95)
    estimate = estimate_foreground(image, alpha)
    assert estimate.shape == image.shape and estimate.dtype == np.float32
    a = alpha[band][:, None]
    error = np.abs(estimate[band] - fg[band]).mean()
    as_is = np.abs(image[band] - fg[band]).mean()       # what taking the plate's colour there would give
    assert error < 0.4 * as_is, (error, as_is)          # measured 0.084 against 0.250
    assert np.abs(a * (estimate[band] - fg[band])).mean() < 0.04      # premultiplied, as written: 0.031
    recomposed = alpha[..., None] * estimate + (1 - alpha[..., None]) * image   # stays within 0..1
    assert 0.0 <= recomposed.min() and recomposed.max() <= 1.0


def test_the_estimate_is_clipped_and_takes_a_solid_matte():
    image, _, _ = _scene(32, 48)
    for alpha in (np.zeros((32, 48), np.float32), np.ones((32, 48), np.float32)):
        out = estimate_foreground(image, alpha)
        assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(estimate_foreground(image, np.ones((32, 48), np.float32)), image, atol=1e-3)


def test_an_unknown_fg_colour_is_refused():
    from cmn_vfx.engine import MatteEngine
    from cmn_vfx.errors import BadInputError
    from engine_helpers import engine_spec
    with pytest.raises(BadInputError, match="fg_colour 'decoder' is unknown; use one of estimate, network"):
        MatteEngine(engine_spec(device="cpu", fg_colour="decoder"))


def test_network_fg_colour_needs_the_torch_runtime():
    from cmn_vfx.engine.runtime import choose_runtime
    from engine_helpers import engine_spec
    from cmn_vfx.errors import BadInputError
    assert choose_runtime(engine_spec(device="cpu", fg_colour="network"))[0] == "torch"
    with pytest.raises(BadInputError, match="fg decoder"):
        choose_runtime(engine_spec(device="cpu", runtime="onnx", fg_colour="network"))
    with pytest.raises(BadInputError, match="fg decoder"):
        choose_runtime(engine_spec(device="cpu", runtime="openvino", fg_colour="network"))
    assert choose_runtime(engine_spec(device="cpu"))[0] == "openvino"      # the default: estimate, bundled export


def test_the_writer_estimates_the_band_colour_when_no_network_colour_is_given():
    from cmn_vfx.engine.writer import FrameWriter
    from cmn_vfx.io.image import Box, Image
    from cmn_vfx.job.layout import OutputLayout
    image, alpha, _ = _scene(72, 128)
    plate = Image(image ** 2.2, ("R", "G", "B"), Box(0, 0, 128, 72), Box(0, 0, 128, 72))
    writer = FrameWriter(OutputLayout("/nonexistent", "s", 4), "lin_rec709", "{}", "m", "0")
    small = (image[::2, ::2].copy(), alpha[::2, ::2].copy())
    lazily = writer.foreground(plate, alpha, None, small)
    given = writer.foreground(plate, alpha, estimate_foreground(*small))
    np.testing.assert_array_equal(lazily, given)
    band = (alpha > 0) & (alpha < 1)
    assert not np.array_equal(lazily[band], writer.foreground(plate, alpha, small[0])[band])   # it is used


def test_the_writers_fg_is_the_whole_frame_composition_in_half_computed_in_alphas_box():
    """The writer multiplies only inside alpha's bounding box; the RGBA it writes is the whole-frame
    premultiplied_fg rounded to half, to the bit, and all zero for a frame with no alpha."""
    from cmn_vfx.engine.output_pixels import premultiplied_fg, quantise_alpha, transition_band
    from cmn_vfx.engine.writer import FrameWriter
    from cmn_vfx.io.image import Box, Image, to_half
    from cmn_vfx.job.layout import OutputLayout
    image, alpha, _ = _scene(72, 128)
    alpha = quantise_alpha(np.where(np.arange(128)[None, :] < 90, alpha, 0.0))   # nothing right of column 90
    linear = (image ** 2.2).astype(np.float32)
    plate = Image(None, ("R", "G", "B"), Box(0, 0, 128, 72), Box(0, 0, 128, 72), half=to_half(linear))
    writer = FrameWriter(OutputLayout("/nonexistent", "s", 4), "lin_rec709", "{}", "m", "0")
    colour = np.random.default_rng(5).uniform(0, 1, (72, 128, 3)).astype(np.float32)   # a network colour, sRGB
    alpha[:3], alpha[:, :2] = 0.0, 0.0                      # the box starts at row 3, column 2
    alpha[5:9, 3:6] = 0.5                                    # band pixels on rows above the edge's too
    rgba = writer.foreground(plate, alpha, colour)
    band = transition_band(alpha)
    from cmn_vfx.color import from_network
    want = premultiplied_fg(to_half(linear).astype(np.float32), alpha,
                            from_network(np.clip(colour[band], 0, 1)[:, None, :], "lin_rec709")[:, 0, :], band)
    assert rgba.dtype == np.float16 and np.array_equal(rgba.view(np.uint16), to_half(want).view(np.uint16))
    assert not rgba[:, 90:].any() and rgba[..., 3].any()
    empty = writer.foreground(plate, np.zeros((72, 128), np.float32), colour)
    assert empty.shape == (72, 128, 4) and not empty.any()


def test_an_estimate_in_a_box_equals_the_whole_frames_there():
    image, alpha, _ = _scene()
    box = (40, 90, 100, 170)
    whole = estimate_foreground(image, alpha)
    boxed = estimate_foreground(image, alpha, box=box)
    y0, y1, x0, x1 = box
    np.testing.assert_allclose(boxed[y0:y1, x0:x1], whole[y0:y1, x0:x1], atol=1e-5)
    assert np.array_equal(boxed[:10, :10], image[:10, :10])          # far outside: the image as is


def test_the_working_box_covers_every_bilinear_sample_of_the_band():
    from cmn_vfx.engine.writer import _working_box
    rng = np.random.default_rng(0)
    for _ in range(20):
        mask = np.zeros((1080, 1920), bool)
        y, x = rng.integers(0, 1000), rng.integers(0, 1800)
        mask[y:y + rng.integers(1, 80), x:x + rng.integers(1, 120)] = True
        ys, xs = np.nonzero(mask)
        y0, y1, x0, x1 = _working_box((ys.min(), ys.max() + 1, xs.min(), xs.max() + 1), mask.shape, (288, 512))
        sy, sx = (ys + 0.5) * 288 / 1080 - 0.5, (xs + 0.5) * 512 / 1920 - 0.5     # cv2.resize's sample points
        assert y0 <= max(np.floor(sy).min(), 0) and np.minimum(np.floor(sy) + 1, 287).max() < y1
        assert x0 <= max(np.floor(sx).min(), 0) and np.minimum(np.floor(sx) + 1, 511).max() < x1
