"""cmn-eval on small EXR/PNG sequences written in tmp dirs."""
import json

import cv2
import numpy as np
import pytest

from cmn_vfx.commands import evaluate
from cmn_vfx.commands.evaluate import pick_alpha_channel
from cmn_vfx.errors import BadInputError
from cmn_vfx.io.image import Box, write_exr

FRAMES = (1001, 1002, 1003)


def _alpha(frame, h=32, w=40):
    yy, xx = np.mgrid[0:h, 0:w]
    return (0.1 + 0.7 * np.clip(1.2 - np.hypot(yy - 16, xx - 14 - 2 * (frame - 1001)) / 10, 0, 1)).astype(np.float32)


def _write(folder, name, frames, alpha_of, channels=("A",)):
    folder.mkdir(parents=True, exist_ok=True)
    for frame in frames:
        a = alpha_of(frame)
        h, w = a.shape
        pixels = np.dstack([a] * len(channels))
        write_exr(str(folder / f"{name}.{frame}.exr"), pixels, channels, Box(0, 0, w, h), Box(0, 0, w, h),
                  pixel_type="float")
    return str(folder / f"{name}.####.exr")


def test_constant_offset_gives_its_mad_and_zero_dtssd(tmp_path, capsys):
    gt = _write(tmp_path / "gt", "sh010", FRAMES, _alpha)
    pred = _write(tmp_path / "pred", "sh010", FRAMES, lambda f: _alpha(f) + 0.05, channels=("R", "G", "B", "A"))
    out = tmp_path / "scores" / "eval.json"
    assert evaluate.main([pred, gt, "--json", str(out), "--metrics", "mad", "mse", "sad", "dtssd"]) == 0
    table = capsys.readouterr().out
    assert "MAD (x1e3)" in table and "50.0000" in table
    report = json.loads(out.read_text())
    assert report["frames"] == "1001-1003"
    assert report["metrics"]["mad"] == pytest.approx(50.0, rel=1e-5)
    assert report["metrics"]["mse"] == pytest.approx(2.5, rel=1e-4)            # 0.05^2 * 1e3
    assert report["metrics"]["sad"] == pytest.approx(32 * 40 * 0.05 / 1e3, rel=1e-5)
    assert report["metrics"]["dtssd"] == pytest.approx(0.0, abs=1e-3)          # offset is constant in time
    assert [p["frame"] for p in report["per_frame"]] == list(FRAMES)


def test_frames_option_layered_alpha_and_8bit_png(tmp_path, capsys):
    gt_dir = tmp_path / "gt"
    gt_dir.mkdir()
    for frame in FRAMES:  # 8-bit single-channel PNG ground truth, scaled 0..1 on read
        cv2.imwrite(str(gt_dir / f"m.{frame}.png"), np.round(_alpha(frame) * 255).astype(np.uint8))
    pred = _write(tmp_path / "pred", "m", FRAMES,
                  lambda f: np.round(_alpha(f) * 255) / 255 + 0.1, channels=("matte.A",))
    out = tmp_path / "e.json"
    assert evaluate.main([pred, str(gt_dir), "--frames", "1002-1003", "--json", str(out),
                          "--metrics", "mad", "grad"]) == 0
    report = json.loads(out.read_text())
    assert report["frames"] == "1002-1003"
    assert report["metrics"]["mad"] == pytest.approx(100.0, rel=1e-4)
    assert report["metrics"]["grad"] < 1e-3  # same shape, min-max normalised: same gradients


def test_missing_prediction_frames_and_ambiguous_channels_are_user_errors(tmp_path, capsys):
    gt = _write(tmp_path / "gt", "s", FRAMES, _alpha)
    pred = _write(tmp_path / "pred", "s", FRAMES[:2], _alpha)
    assert evaluate.main([pred, gt]) == 2
    assert "1003" in capsys.readouterr().err
    rgb = _write(tmp_path / "rgb", "s", FRAMES, _alpha, channels=("R", "G", "B"))
    assert evaluate.main([rgb, gt]) == 2
    assert "--channel" in capsys.readouterr().err
    assert evaluate.main([rgb, gt, "--channel", "G", "--metrics", "mad"]) == 2  # gt has no G
    assert pick_alpha_channel(("Y",), "x.png") == "Y"
    with pytest.raises(BadInputError):
        pick_alpha_channel(("a.A", "b.A"), "x.exr")
