"""End to end: names, frame numbers, channels, windows, metadata, and the premultiplied fg."""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import torch

from cmn_vfx.io.image import image_info, read_image
from engine_helpers import DATA, DISPLAY, FRAMES, make_checkpoint, matte


def test_outputs_names_windows_metadata(plate, checkpoint, tmp_path):
    out = tmp_path / "out"
    before = torch.get_num_threads()
    try:
        assert matte(plate, "--out", str(out), "--model", checkpoint, "--downsample", "0.5", "--threads", "2") == 0
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert matte(plate, "--out", str(tmp_path / "x"), "--model", checkpoint, "--threads", "0") == 2
    for sub, channels in (("alpha", ["A"]), ("fg", ["R", "G", "B", "A"])):
        assert sorted(os.listdir(out / sub)) == [f"sh010.{f}.exr" for f in FRAMES]
        info = image_info(str(out / sub / "sh010.1003.exr"))
        assert info["channels"] == channels
        assert info["pixel_type"] == "half"
        assert info["compression"] == "zip"
        assert info["data_window"] == DATA.__dict__
        assert info["display_window"] == DISPLAY.__dict__
        meta = info["metadata"]
        assert meta["cmn:source_frame"] == 1003
        assert meta["cmn:source"].endswith("plate/sh010.1003.exr")
        assert meta["cmn:checkpoint_sha256"] == hashlib.sha256(open(checkpoint, "rb").read()).hexdigest()
        assert meta["cmn:colorspace"] == "ACEScg"
        settings = json.loads(meta["cmn:settings"])
        assert settings["downsample"] == round(32 / 42, 6)  # 0.5 would make the 42-pixel side < 32: clamped up
        assert settings["fg_colour"] == "estimate"          # outputs of the fg decoder's time count as unfinished
        assert meta["cmn:version"]
    alpha = read_image(str(out / "alpha" / "sh010.1002.exr")).pixels
    fg = read_image(str(out / "fg" / "sh010.1002.exr")).pixels
    assert alpha.shape == (DATA.height, DATA.width, 1)
    assert 0.0 <= alpha.min() and alpha.max() <= 1.0
    np.testing.assert_array_equal(fg[..., 3], alpha[..., 0])


def test_fg_is_plate_where_alpha_is_one(plate, tmp_path):
    """A model with a large alpha bias gives alpha == 1 in places: fg there is the plate, bit for bit."""
    ckpt = make_checkpoint(str(tmp_path / "opaque.pt"), alpha_bias=9.0)
    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", ckpt, "--frames", "1001-1002", "--refine", "none") == 0
    src = read_image(plate.replace("####", "1002")).pixels
    fg = read_image(str(out / "fg" / "sh010.1002.exr")).pixels
    alpha = fg[..., 3]
    solid = alpha == 1.0
    band = (alpha > 0) & (alpha < 1)
    assert solid.sum() > 100 and band.sum() > 0          # both cases are exercised
    np.testing.assert_array_equal(fg[solid][:, :3], src[solid])
    assert fg[solid][:, 0].max() > 1.0                   # highlights above 1.0 survive
    assert np.all(fg[band][:, :3] <= src.max() + 1e-3)   # network fg in the band, premultiplied


def test_guided_refinement_snaps_the_matte_outside_a_thin_edge_band(plate, tmp_path):
    """--refine guided (the default): 0 / 1 away from the alpha's 0.5 contour, soft only near it."""
    ckpt = make_checkpoint(str(tmp_path / "soft.pt"), alpha_bias=0.0)
    raw, refined = tmp_path / "raw", tmp_path / "refined"
    assert matte(plate, "--out", str(raw), "--model", ckpt, "--frames", "1002", "--refine", "none") == 0
    assert matte(plate, "--out", str(refined), "--model", ckpt, "--frames", "1002") == 0
    a_raw = read_image(str(raw / "alpha" / "sh010.1002.exr")).pixels[..., 0]
    a_ref = read_image(str(refined / "alpha" / "sh010.1002.exr")).pixels[..., 0]
    soft = lambda a: float(((a > 0) & (a < 1)).mean())
    assert soft(a_raw) > 0.9           # a sigmoid never reaches 0 or 1
    assert soft(a_ref) < 0.5 * soft(a_raw)
    snapped = (a_ref == 0) | (a_ref == 1)
    assert np.all((a_ref[snapped] == 1) == (a_raw[snapped] > 0.5))  # the side of the 0.5 contour is kept
    meta = json.loads(image_info(str(refined / "alpha" / "sh010.1002.exr"))["metadata"]["cmn:settings"])
    assert meta["refine"] == "guided"


def test_prior_can_be_chosen_per_run_and_is_recorded(plate, tmp_path, capsys):
    ckpt = make_checkpoint(str(tmp_path / "prior.pt"), prior="person", prior_model="landscape")
    from cmn_vfx.prior import AUTO
    for name, flags in (("landscape", []), ("selfie", ["--prior", "selfie"]), (AUTO, ["--prior", "auto"])):
        out = tmp_path / name
        assert matte(plate, "--out", str(out), "--model", ckpt, "--frames", "1002", *flags) == 0
        meta = json.loads(image_info(str(out / "alpha" / "sh010.1002.exr"))["metadata"]["cmn:settings"])
        assert meta["prior"] == name
    spec = tmp_path / "shot.yaml"  # the farm's and Nuke's form: the spec's prior field
    spec.write_text(f"plate: {plate}\noutput: {tmp_path / 'spec'}\nmodel: {ckpt}\nframes: '1002'\nprior: selfie\n")
    assert matte("--spec", str(spec)) == 0
    meta = json.loads(image_info(str(tmp_path / "spec" / "alpha" / "sh010.1002.exr"))["metadata"]["cmn:settings"])
    assert meta["prior"] == "selfie"
    assert matte(plate, "--out", str(tmp_path / "x"), "--model", ckpt, "--prior", "nobody") == 2
    assert "unknown person prior" in capsys.readouterr().err
    no_prior = make_checkpoint(str(tmp_path / "noprior.pt"))
    assert matte(plate, "--out", str(tmp_path / "y"), "--model", no_prior, "--prior", "selfie") == 2
    assert "takes no person prior" in capsys.readouterr().err
