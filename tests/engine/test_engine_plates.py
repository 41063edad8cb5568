"""Plates that are not scene-linear EXRs with unprefixed R, G, B: DPX (Cineon), PNG (sRGB), a layer."""
from __future__ import annotations

import os

import numpy as np
import OpenImageIO as oiio
import pytest

from cmn_vfx.color import cineon_to_linear, convert
from cmn_vfx.io.image import image_info, read_image, write_exr
from engine_helpers import DATA, DISPLAY, make_checkpoint, matte, plate_pixels, write_plate

LIN709 = "Linear Rec.709 (sRGB)"
SCENE_LINEAR = "ACEScg"             # the built-in config's scene_linear role


def _write(path: str, pixels: np.ndarray, fmt: str, bits: int | None = None) -> None:
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], 3, fmt)
    if bits:
        spec.attribute("oiio:BitsPerSample", bits)
    out = oiio.ImageOutput.create(path)
    assert out.open(path, spec) and out.write_image(pixels)
    out.close()


def _srgb_to_linear(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


@pytest.mark.parametrize("ext,fmt,bits,to_linear", [
    ("png", "uint8", None, _srgb_to_linear),
    ("dpx", "uint16", 10, cineon_to_linear),
])
def test_dpx_and_png_plates_get_a_scene_linear_premultiplied_fg(tmp_path, ext, fmt, bits, to_linear):
    ckpt = make_checkpoint(str(tmp_path / "opaque.pt"), alpha_bias=40.0)   # alpha == 1: fg == the linear plate
    os.makedirs(tmp_path / "plate")
    encoded = {}
    for f in (1001, 1002):
        levels = 255 if fmt == "uint8" else 1023
        pixels = np.round(np.clip(plate_pixels(f, DISPLAY) * 0.4, 0, 1) * levels) / levels
        encoded[f] = pixels.astype(np.float32)
        _write(str(tmp_path / "plate" / f"sh010.{f}.{ext}"), encoded[f], fmt, bits)
    assert matte(str(tmp_path / "plate" / f"sh010.####.{ext}"), "--out", str(tmp_path / "out"), "--model", ckpt,
                 "--refine", "none") == 0
    fg = read_image(str(tmp_path / "out" / "fg" / "sh010.1002.exr"))
    assert np.array_equal(fg.pixels[..., 3], np.ones_like(fg.pixels[..., 3]))
    # both encodings decode to linear Rec.709 primaries; the fg is in the scene_linear role's space
    want = convert(to_linear(encoded[1002]).astype(np.float32), LIN709, SCENE_LINEAR)
    np.testing.assert_allclose(fg.pixels[..., :3], want, rtol=2e-3, atol=1e-4)
    meta = image_info(str(tmp_path / "out" / "fg" / "sh010.1002.exr"))["metadata"]
    # OpenImageIO writes the colour interop name of the space ('lin_ap1_scene'); OCIO knows it as ACEScg
    assert meta["cmn:colorspace"] == SCENE_LINEAR
    assert meta["oiio:ColorSpace"] in (SCENE_LINEAR, "lin_ap1_scene"), meta["oiio:ColorSpace"]


def test_a_plate_whose_rgb_is_only_in_a_layer_runs_with_layer(checkpoint, tmp_path, capsys):
    plain = write_plate(str(tmp_path / "plain"), frames=[1001, 1002, 1003])
    os.makedirs(tmp_path / "layered")
    for f in (1001, 1002, 1003):
        pixels = np.concatenate([plate_pixels(f), np.full(plate_pixels(f).shape[:2] + (1,), 0.3, np.float32)], -1)
        write_exr(str(tmp_path / "layered" / f"sh010.{f}.exr"), pixels, ("plate.R", "plate.G", "plate.B", "depth.Z"),
                  DATA, DISPLAY)
    layered = str(tmp_path / "layered" / "sh010.####.exr")
    assert matte(layered, "--out", str(tmp_path / "none"), "--model", checkpoint) == 2
    assert "pick a layer that has them: plate" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    assert matte(layered, "--out", str(tmp_path / "a"), "--model", checkpoint, "--layer", "plate") == 0
    spec = tmp_path / "shot.yaml"
    spec.write_text(f"plate: {layered}\noutput: b\nlayer: plate\n")
    assert matte("--spec", str(spec), "--model", checkpoint) == 0
    assert matte(plain, "--out", str(tmp_path / "c"), "--model", checkpoint) == 0
    alphas = [read_image(str(tmp_path / d / "alpha" / "sh010.1003.exr")).pixels for d in "abc"]
    assert np.array_equal(alphas[0], alphas[2]) and np.array_equal(alphas[1], alphas[2])
