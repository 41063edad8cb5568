"""Images: EXR round trips (windows, layers, half/float, metadata, compressions), DPX, PNG, bad files."""
from __future__ import annotations

import os

import numpy as np
import OpenImageIO as oiio
import pytest

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.image import (Box, check_same_geometry, image_info, read_image, read_rgb, rgb_names,
                              write_exr)

from io_plates import DISPLAY, OVERSCAN

RNG = np.random.default_rng(7)


def noise(box: Box, channels: int, scale: float = 4.0) -> np.ndarray:
    return (RNG.random((box.height, box.width, channels)) * scale - 0.5).astype(np.float32)


@pytest.mark.parametrize("pixel_type", ["half", "float"])
def test_exr_round_trip_overscan_negative_origin(tmp_path, pixel_type):
    path = str(tmp_path / "a.1001.exr")
    src = noise(OVERSCAN, 4)
    write_exr(path, src, ["R", "G", "B", "A"], OVERSCAN, DISPLAY, pixel_type=pixel_type)
    img = read_image(path)
    expected = src.astype(np.float16).astype(np.float32) if pixel_type == "half" else src
    assert np.array_equal(img.pixels, expected)
    assert (img.data_window, img.display_window) == (OVERSCAN, DISPLAY)
    assert (img.channels, img.pixel_type, img.metadata["compression"]) == (("R", "G", "B", "A"), pixel_type, "zip")


def test_layers_are_picked_by_name_not_position(tmp_path):
    path = str(tmp_path / "layers.exr")
    names = ["plate.B", "plate.G", "plate.R", "A", "B", "G", "R", "depth.Z"]
    box = Box(0, 0, 5, 3)
    src = np.stack([np.full((3, 5), i + 1, np.float32) for i in range(len(names))], axis=-1)
    write_exr(path, src, names, box, box, pixel_type="float")
    plate = read_rgb(path, layer="plate")
    assert plate.channels == ("plate.R", "plate.G", "plate.B")
    assert plate.pixels[0, 0].tolist() == [3.0, 2.0, 1.0]
    assert read_rgb(path).pixels[0, 0].tolist() == [7.0, 6.0, 5.0]
    assert read_image(path, ["depth.Z", "A"]).pixels[0, 0].tolist() == [8.0, 4.0]
    layers = {k: sorted(v) for k, v in image_info(path)["layers"].items()}   # OIIO reorders channels on read
    assert layers == {"plate": sorted(names[:3]), "rgba": sorted(names[3:7]), "depth": ["depth.Z"]}
    assert rgb_names(["r", "g", "b"]) == ("r", "g", "b")
    with pytest.raises(BadInputError, match=r"no channel plate\.A \(it has "):
        read_image(path, ["plate.A"])


def test_metadata_survives_read_and_rewrite(tmp_path):
    first, second = str(tmp_path / "a.exr"), str(tmp_path / "b.exr")
    meta = {"smpte:TimeCode": (0x01020304, 0), "FramesPerSecond": (24, 1), "cmn:source": "sh010.1001.exr",
            "worldToCamera": tuple(float(i) for i in range(16)), "cmn:frame": 1001, "oiio:ColorSpace": "ACEScg"}
    write_exr(first, noise(DISPLAY, 3), ["R", "G", "B"], DISPLAY, DISPLAY, meta)
    img = read_image(first)
    write_exr(second, img.pixels, img.channels, img.data_window, img.display_window, img.metadata)
    again = read_image(second).metadata
    for key in ("smpte:TimeCode", "FramesPerSecond", "cmn:source", "worldToCamera", "cmn:frame"):
        assert again[key] == meta[key], key
    assert again["oiio:ColorSpace"] == img.metadata["oiio:ColorSpace"]


def test_piz_is_lossless_and_dwaa_keeps_alpha_lossless(tmp_path):
    box = Box(0, 0, 64, 64)
    src = noise(box, 4, scale=1.0)
    half = src.astype(np.float16).astype(np.float32)
    write_exr(str(tmp_path / "p.exr"), src, ["R", "G", "B", "A"], box, box, compression="piz")
    assert np.array_equal(read_image(str(tmp_path / "p.exr")).pixels, half)
    write_exr(str(tmp_path / "d.exr"), src, ["R", "G", "B", "A"], box, box, compression="dwaa")
    dwaa = read_image(str(tmp_path / "d.exr"))
    assert dwaa.metadata["compression"].startswith("dwaa")
    assert not np.array_equal(dwaa.pixels[..., :3], half[..., :3])      # RGB really went lossy
    assert np.array_equal(dwaa.pixels[..., 3], half[..., 3])            # alpha did not


def test_lossy_alpha_compression_is_refused(tmp_path):
    path = str(tmp_path / "a.exr")
    with pytest.raises(BadInputError, match="b44 would quantise alpha"):
        write_exr(path, noise(DISPLAY, 1), ["A"], DISPLAY, DISPLAY, compression="b44")
    with pytest.raises(BadInputError, match="compression 'jpeg' is unknown"):
        write_exr(path, noise(DISPLAY, 1), ["A"], DISPLAY, DISPLAY, compression="jpeg")
    assert os.listdir(tmp_path) == []


def write_with_oiio(path: str, pixels: np.ndarray, fmt: str, bits: int | None = None) -> None:
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], fmt)
    if bits:
        spec.attribute("oiio:BitsPerSample", bits)
    out = oiio.ImageOutput.create(path)
    assert out.open(path, spec) and out.write_image(pixels)
    out.close()


def test_dpx_10bit_round_trip_within_one_code(tmp_path):
    path = str(tmp_path / "scan.1001.dpx")
    codes = RNG.integers(0, 1024, size=(4, 6, 3))
    write_with_oiio(path, (codes / 1023.0).astype(np.float32), "uint16", bits=10)
    img = read_rgb(path)
    assert img.pixel_type == "uint10"
    assert np.abs(img.pixels - codes / 1023.0).max() <= 1.0 / 1023.0


def test_png_8bit_reads_normalised(tmp_path):
    path = str(tmp_path / "still.0001.png")
    values = np.array([[[0, 128, 255]]], np.uint8)
    write_with_oiio(path, values, "uint8")
    img = read_rgb(path)
    assert img.pixel_type == "uint8"
    assert np.allclose(img.pixels[0, 0], [0, 128 / 255, 1.0], atol=1e-6)


def test_nonfinite_pixels_are_replaced_counted_and_warned(tmp_path, capsys):
    import warnings
    path = str(tmp_path / "nan.exr")
    src = np.ones((DISPLAY.height, DISPLAY.width, 3), np.float32)
    src[0, 0, 0], src[1, 1, 2] = np.nan, np.inf
    write_exr(path, src, ["R", "G", "B"], DISPLAY, DISPLAY, pixel_type="float")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        img = read_rgb(path)
    # one line on stderr, no Python warning (which printed a second copy with a source line)
    assert capsys.readouterr().err.splitlines() == [
        f"warning: {path}: 2 NaN/Inf pixel values replaced with 0; check the render or comp that made it"]
    assert caught == []
    assert img.metadata["cmn:nonfinite"] == 2
    assert (img.pixels[0, 0, 0], img.pixels[1, 1, 2], float(img.pixels.sum())) == (0.0, 0.0, src.size - 2.0)


def test_no_rgb_channels_lists_what_the_file_has(tmp_path):
    path = str(tmp_path / "matte.exr")
    write_exr(path, noise(DISPLAY, 2), ["A", "depth.Z"], DISPLAY, DISPLAY)
    with pytest.raises(BadInputError, match=r"matte\.exr: the file has no R, G, B channels \(it has A, depth\.Z\)"):
        read_rgb(path)
    write_exr(path, noise(DISPLAY, 3), ["bg.R", "bg.G", "bg.B"], DISPLAY, DISPLAY)
    with pytest.raises(BadInputError, match="pick a layer that has them: bg"):
        read_rgb(path)


def test_truncated_and_garbage_files(tmp_path):
    good = str(tmp_path / "good.exr")
    write_exr(good, noise(Box(0, 0, 64, 64), 3), ["R", "G", "B"], Box(0, 0, 64, 64), Box(0, 0, 64, 64))
    data = open(good, "rb").read()
    truncated, garbage = str(tmp_path / "trunc.exr"), str(tmp_path / "garbage.exr")
    open(truncated, "wb").write(data[: len(data) // 2])
    open(garbage, "wb").write(b"not an image at all")
    with pytest.raises(BadInputError, match=r"trunc\.exr: the file is truncated or corrupt.*re-render"):
        read_rgb(truncated)
    with pytest.raises(BadInputError, match=r"garbage\.exr: cannot read the file.*corrupt"):
        read_rgb(garbage)


def test_geometry_check_names_the_odd_frame(tmp_path):
    a, b = str(tmp_path / "a.exr"), str(tmp_path / "b.exr")
    write_exr(a, noise(OVERSCAN, 3), ["R", "G", "B"], OVERSCAN, DISPLAY)
    write_exr(b, noise(DISPLAY, 3), ["R", "G", "B"], DISPLAY, DISPLAY)
    check_same_geometry(read_image(a), image_info(a), a)
    with pytest.raises(BadInputError, match=r"b\.exr: data window 6x4\+0\+0 differs from 10x6\+-2\+-1"):
        check_same_geometry(read_image(a), image_info(b), b)


def _raw_half_write(path: str, pixels: np.ndarray) -> None:
    """The write before numpy did the float -> half conversion: OpenEXR's own."""
    h, w, c = pixels.shape
    out = oiio.ImageOutput.create("openexr")
    assert out.open(path, oiio.ImageSpec(w, h, c, "half"))
    out.write_image(np.ascontiguousarray(pixels, np.float32))
    out.close()


def test_half_is_rounded_as_openexr_rounds_it_bit_for_bit(tmp_path):
    box = Box(0, 0, 64, 48)
    values = np.concatenate([RNG.normal(0, 1, (16, 64, 3)), RNG.uniform(-1e-6, 1e-6, (16, 64, 3)),
                             RNG.uniform(-7e4, 7e4, (16, 64, 3))]).astype(np.float32)
    values[0, :6, 0] = [np.inf, -np.inf, np.nan, 65504, 65519.99, 65520]   # the last two: ties at the top
    write_exr(str(tmp_path / "ours.exr"), values, ["R", "G", "B"], box, box)
    _raw_half_write(str(tmp_path / "openexr.exr"), values)

    def bits(name):
        inp = oiio.ImageInput.open(str(tmp_path / name))
        try:
            return np.asarray(inp.read_image(0, 0, 0, 3, "half")).view(np.uint16)
        finally:
            inp.close()
    assert np.array_equal(bits("ours.exr"), bits("openexr.exr"))


def test_keep_half_gives_the_stored_halves_beside_the_same_float_pixels(tmp_path):
    path = str(tmp_path / "a.exr")
    src = noise(OVERSCAN, 4)
    src[0, 0, 1] = np.inf
    write_exr(path, src, ["R", "G", "B", "A"], OVERSCAN, DISPLAY)
    plain, kept = read_rgb(path), read_rgb(path, keep_half=True)
    assert plain.half is None
    assert np.array_equal(kept.pixels, plain.pixels) and kept.pixels.dtype == np.float32
    assert kept.half.dtype == np.float16 and kept.half.shape == kept.pixels.shape
    assert np.isinf(kept.half[0, 0, 1]) and kept.pixels[0, 0, 1] == 0       # as stored / as the engine uses it
    assert np.array_equal(kept.half[1:].astype(np.float32), kept.pixels[1:])
    float_path = str(tmp_path / "f.exr")
    write_exr(float_path, src, ["R", "G", "B", "A"], OVERSCAN, DISPLAY, pixel_type="float")
    assert read_rgb(float_path, keep_half=True).half is None               # float plates: no table lookups


def test_a_plate_read_without_floats_makes_the_same_pixels_when_asked(tmp_path, capsys):
    """floats=False (the engine's reader): no float pixels until Image.floats(), then the same values as a
    plain read, NaN/Inf set to 0 and counted (and warned about) at the read, like read_rgb's."""
    path = str(tmp_path / "a.exr")
    src = noise(OVERSCAN, 4)
    src[0, 0, 1], src[2, 3, 0] = np.inf, np.nan
    write_exr(path, src, ["R", "G", "B", "A"], OVERSCAN, DISPLAY)
    plain = read_rgb(path)
    capsys.readouterr()
    lazy = read_rgb(path, keep_half=True, floats=False)
    assert "2 NaN/Inf pixel values replaced" in capsys.readouterr().err
    assert lazy.pixels is None and lazy.metadata["cmn:nonfinite"] == plain.metadata["cmn:nonfinite"] == 2
    assert np.array_equal(lazy.floats(), plain.pixels) and lazy.floats().dtype == np.float32
    assert plain.floats() is plain.pixels
    box = (1, 3, 2, 7)                                       # rows 1-2, columns 2-6 (the writer's alpha box)
    assert np.array_equal(lazy.floats(box), plain.pixels[1:3, 2:7]) and np.array_equal(plain.floats(box), lazy.floats(box))
    float_path = str(tmp_path / "f.exr")                     # float plates keep their float pixels
    write_exr(float_path, src, ["R", "G", "B", "A"], OVERSCAN, DISPLAY, pixel_type="float")
    assert np.array_equal(read_rgb(float_path, keep_half=True, floats=False).pixels, read_rgb(float_path).pixels)
    png = str(tmp_path / "a.png")                             # integer plates: from their codes, to the bit
    out = oiio.ImageOutput.create(png)
    assert out.open(png, oiio.ImageSpec(5, 4, 3, "uint8")) and out.write_image(RNG.random((4, 5, 3)).astype(np.float32))
    out.close()
    lazy_png = read_rgb(png, keep_half=True, floats=False)
    assert lazy_png.pixels is None and np.array_equal(lazy_png.floats(), read_rgb(png).pixels)


@pytest.mark.parametrize("shape", [(9, 13, 1), (9, 13, 2), (9, 13, 4), (9, 13, 7), (9, 13), (0, 13, 4)])
def test_half_conversions_of_any_channel_count_match_numpy_bit_for_bit(shape):
    from cmn_vfx.io.image import to_float, to_half
    values = (RNG.standard_normal(shape) * 3e4).astype(np.float32)       # beyond the half range too
    with np.errstate(over="ignore"):
        want = values.astype(np.float16)
    half = to_half(values)
    assert half.shape == shape and half.dtype == np.float16
    assert np.array_equal(half.view(np.uint16), want.view(np.uint16))
    back = to_float(half)
    assert back.dtype == np.float32 and np.array_equal(back, want.astype(np.float32))


@pytest.mark.parametrize("ext,fmt,bits,levels", [("dpx", "uint16", 10, 1023), ("tif", "uint16", None, 65535),
                                                  ("png", "uint8", None, 255)])
def test_keep_half_gives_integer_plates_codes_and_openimageios_own_floats(tmp_path, ext, fmt, bits, levels):
    """Every code of the format: Image.codes as stored (OpenImageIO's 16-bit scaling for 10-bit DPX), and
    pixels equal to OpenImageIO's own float read, bit for bit (code * (1 / 65535) in float32, not code / 65535)."""
    path = str(tmp_path / f"a.{ext}")
    ramp = (np.arange(levels + 1, dtype=np.float64) / levels)
    side = int(np.ceil(np.sqrt(ramp.size)))
    pixels = np.resize(ramp, side * side).reshape(side, side)
    pixels = np.stack([pixels, pixels[::-1], pixels.T], -1).astype(np.float32)
    spec = oiio.ImageSpec(side, side, 3, fmt)
    if bits:
        spec.attribute("oiio:BitsPerSample", bits)
    out = oiio.ImageOutput.create(path)
    assert out.open(path, spec) and out.write_image(pixels)
    out.close()
    inp = oiio.ImageInput.open(path)
    theirs = np.asarray(inp.read_image(0, 0, 0, 3, "float"))
    inp.close()
    kept = read_rgb(path, keep_half=True)
    assert kept.half is None and kept.codes.dtype == np.dtype(fmt)
    assert np.unique(kept.codes).size == levels + 1
    assert np.array_equal(kept.pixels, theirs) and np.array_equal(read_rgb(path).pixels, theirs)
