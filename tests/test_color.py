"""Colour: Cineon and sRGB known values, OCIO round trips, guesses, unknown names."""
from __future__ import annotations

import numpy as np
import pytest

from cmn_vfx import color
from cmn_vfx.color import (CINEON, check_colorspace, cineon_to_linear, from_network, guess_colorspace,
                           linear_to_cineon, network_space, to_network)
from cmn_vfx.errors import BadInputError


def px(*values) -> np.ndarray:
    return np.array([[list(values)]], np.float32)


def test_cineon_known_values():
    codes = np.array([95, 685, 470, 1023], np.float32) / 1023.0
    lin = cineon_to_linear(codes)
    assert lin[0] == pytest.approx(0.0, abs=1e-6)
    assert lin[1] == pytest.approx(1.0, abs=1e-6)
    assert lin[2] == pytest.approx(0.18, abs=5e-3)         # Kodak 18% grey sits at code ~470
    assert lin[3] == pytest.approx(13.52, abs=0.01)        # highlights above white survive
    assert np.allclose(linear_to_cineon(lin) * 1023.0, [95, 685, 470, 1023], atol=1e-2)


def test_srgb_known_values():
    assert to_network(px(0.214, 0.214, 0.214), "Linear Rec.709 (sRGB)")[0, 0] == pytest.approx([0.5] * 3, abs=1e-3)
    assert from_network(px(0.5, 0.5, 0.5), "lin_rec709")[0, 0] == pytest.approx([0.214] * 3, abs=1e-3)


def test_srgb_files_pass_through():
    rgb = np.random.default_rng(1).random((3, 4, 3)).astype(np.float32)
    assert np.allclose(to_network(rgb, network_space()), rgb, atol=1e-6)
    assert np.allclose(from_network(rgb, guess_colorspace("a.png", {})), rgb, atol=1e-6)


def test_dpx_cineon_to_network_and_back():
    code = px(685 / 1023, 95 / 1023, 445 / 1023)
    net = to_network(code, CINEON)
    assert net[0, 0, :2] == pytest.approx([1.0, 0.0], abs=1e-4)
    assert np.allclose(from_network(net, CINEON), code, atol=1e-4)


def test_acescg_round_trip_and_clip():
    lin = px(0.18, 0.05, 0.3)
    assert np.allclose(from_network(to_network(lin, "ACEScg"), "ACEScg"), lin, atol=2e-4)
    assert to_network(px(8.0, 8.0, 8.0), "ACEScg").max() == 1.0


@pytest.mark.parametrize("path,metadata,expected", [
    ("a.exr", {}, "ACEScg"),
    ("a.exr", {"oiio:ColorSpace": "lin_rec709_scene"}, "Linear Rec.709 (sRGB)"),
    ("a.exr", {"oiio:ColorSpace": "studio-made-up"}, "ACEScg"),
    ("a.dpx", {"dpx:Transfer": "Printing density"}, CINEON),
    ("a.dpx", {"dpx:Transfer": "ITU-R 709-4"}, "sRGB Encoded Rec.709 (sRGB)"),
    ("a.jpg", {}, "sRGB Encoded Rec.709 (sRGB)"),
    ("a.tif", {"tiff:SampleFormat": 3}, "ACEScg"),
])
def test_guess_colorspace(path, metadata, expected):
    assert guess_colorspace(path, metadata) == expected


def test_check_colorspace_canonical_and_suggestions():
    assert check_colorspace("scene_linear") == "ACEScg"
    assert check_colorspace("CINEON") == CINEON
    with pytest.raises(BadInputError, match=r"colourspace 'acescgg' is unknown.*did you mean 'ACEScg'"):
        check_colorspace("acescgg")


def test_ocio_env_overrides_the_builtin(monkeypatch, tmp_path):
    monkeypatch.setenv("OCIO", str(tmp_path / "missing.ocio"))
    with pytest.raises(BadInputError, match="missing.ocio: cannot load it.*unset it"):
        color.default_config()
    monkeypatch.setenv("OCIO", color.BUILTIN_CONFIG)
    assert color.default_config().getCanonicalName("scene_linear") == "ACEScg"


@pytest.mark.parametrize("space", ["lin_rec709", CINEON, "Gamma 2.2 Rec.709 - Texture"])
def test_the_half_table_gives_exactly_what_ocio_gives(space):
    rng = np.random.default_rng(3)
    half = np.concatenate([rng.uniform(-0.2, 3.0, (40, 64, 3)),
                           rng.choice(np.float32([0, 1e-5, 0.18, 1.0, 16.0, 6e4]), (8, 64, 3))]).astype(np.float16)
    half[0, :3, 0] = [np.inf, -np.inf, np.nan]
    pixels = half.astype(np.float32)
    pixels[~np.isfinite(pixels)] = 0.0                  # as read_rgb leaves them
    fast = color.to_network_half(half, space)
    assert fast is not None and fast.dtype == np.float32
    with np.errstate(over="ignore"):               # Cineon far above white overflows, then clips
        assert np.array_equal(fast, to_network(pixels, space))


@pytest.mark.parametrize("space", ["lin_rec709", CINEON, "Gamma 2.2 Rec.709 - Texture"])
@pytest.mark.parametrize("dtype,levels", [(np.uint16, 65535), (np.uint8, 255)])
def test_the_code_table_gives_exactly_what_ocio_gives_an_integer_plate(space, dtype, levels):
    """A 10-bit DPX (16-bit codes), a 16-bit TIFF or an 8-bit PNG: every code, through the table and
    through to_network on the floats read_rgb makes of them (code * (1 / levels))."""
    codes = np.arange(levels + 1, dtype=np.int64)
    codes = np.stack([codes, codes[::-1], np.roll(codes, 7)], -1).astype(dtype)[None]
    pixels = codes.astype(np.float32) * np.float32(1.0 / levels)
    fast = color.to_network_codes(codes, space)
    assert fast is not None and fast.dtype == np.float32
    with np.errstate(over="ignore"):
        assert np.array_equal(fast, to_network(pixels, space))


def test_integer_plates_in_the_networks_space_or_a_gamut_go_through_ocio():
    codes = np.zeros((2, 2, 3), np.uint16)
    assert color.to_network_codes(codes, color.network_space()) is None     # OCIO only clips them
    assert color.to_network_codes(codes, "ACEScg") is None                   # a gamut matrix mixes channels
    assert color.to_network_codes(codes.astype(np.int32), "lin_rec709") is None


@pytest.mark.parametrize("space", ["ACEScg", "ACEScct", "Linear P3-D65"])
def test_spaces_whose_channels_mix_go_through_a_matrix_and_tables_within_2e4_of_ocio(space):
    assert color.half_table(check_colorspace(space)) is None       # a gamut matrix: no per-channel table
    assert color.matrix_path(check_colorspace(space)) is not None
    rng = np.random.default_rng(4)
    half = np.concatenate([rng.uniform(-0.1, 3.0, (40, 64, 3)),
                           rng.choice(np.float32([0, 1e-5, 0.18, 1.0, 16.0, 6e4]), (8, 64, 3))]).astype(np.float16)
    half[0, :3, 0] = [np.inf, -np.inf, np.nan]
    pixels = half.astype(np.float32)
    pixels[~np.isfinite(pixels)] = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        want = to_network(pixels, space)
    got = color.to_network_half(half, space)
    assert got.dtype == np.float32 and got.shape == want.shape and np.isfinite(got).all()
    finite = np.isfinite(want)             # OCIO itself gives NaN for ACEScct code 6e4 (its linear overflows)
    assert finite.mean() > 0.95
    assert np.abs(got - want)[finite].max() < 3e-4                 # the matrix's output rounded to half
    assert np.abs(got - want)[finite].mean() < 3e-5


def test_the_separability_probe_catches_a_mixing_conversion(monkeypatch):
    color.half_table.cache_clear()
    real = color.to_network

    def mixing(rgb, space):        # as lin_rec709, but green leaks into red: a table per channel cannot hold it
        out = real(rgb, space)
        out[..., 0] = np.clip(out[..., 0] + 0.01 * out[..., 1], 0, 1)
        return out
    monkeypatch.setattr(color, "to_network", mixing)
    try:
        assert color.half_table("lin_rec709") is None
    finally:
        color.half_table.cache_clear()
