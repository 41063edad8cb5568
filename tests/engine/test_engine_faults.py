"""Faults (issue 15): damaged or stale outputs are redone, bad input is refused before anything is written."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from cmn_vfx.io.image import Box, read_image, write_exr
from engine_helpers import DATA, DISPLAY, FRAMES, make_checkpoint, matte, plate_pixels, write_plate


def _report(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_a_truncated_output_frame_is_redone(plate, checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--json") == 0
    capsys.readouterr()
    alpha = out / "alpha" / "sh010.1004.exr"
    whole = read_image(str(alpha))
    alpha.write_bytes(alpha.read_bytes()[: alpha.stat().st_size // 2])   # the header survives, the pixels do not
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--json") == 0
    report = _report(capsys)
    assert (report["written"], report["skipped"]) == (1, len(FRAMES) - 1)
    redone = read_image(str(alpha))                              # bit-identical (the warm-up reaches 1001)
    assert np.array_equal(redone.pixels, whole.pixels)
    assert redone.metadata["cmn:settings"] == whole.metadata["cmn:settings"]


def test_engine_and_farm_status_share_one_finished_rule(plate, checkpoint, tmp_path):
    from cmn_vfx.job.spec import ShotSpec
    from cmn_vfx_farm.plan import plan_shot
    from cmn_vfx_farm.status import shot_status
    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint) == 0
    fg = out / "fg" / "sh010.1002.exr"
    fg.write_bytes(fg.read_bytes()[:-40])
    status = shot_status(plan_shot(ShotSpec(plate=plate, output=str(out))))
    assert (status.failed, status.todo_range) == ([1002], "1002")
    assert "truncated or corrupt" in status.reasons[1002]


@pytest.mark.parametrize("name", ["../../escaped", "a/b", "", "..", ".hidden"])
def test_a_name_that_is_not_a_plain_file_name_is_refused(plate, checkpoint, tmp_path, capsys, name):
    out = tmp_path / "deep" / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--name", name) == 2
    assert "not a plain file name" in capsys.readouterr().err
    assert not (tmp_path / "deep").exists() and not (tmp_path / "escaped").exists()


def _random_bytes(path) -> None:
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())


def _other_window(path) -> None:
    data = Box(0, 0, 60, 30)
    write_exr(str(path), plate_pixels(1004, data), ("R", "G", "B"), data, DISPLAY)


def _no_rgb(path) -> None:
    write_exr(str(path), plate_pixels(1004)[..., :1], ("Y",), DATA, DISPLAY)


@pytest.mark.parametrize("damage,words", [(_random_bytes, "cannot read the file"), (_other_window, "data window"),
                                          (_no_rgb, "no R, G, B channels")])
def test_a_bad_header_mid_range_is_refused_before_the_first_write(plate, checkpoint, tmp_path, capsys, damage, words):
    damage(tmp_path / "plate" / "sh010.1004.exr")
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "sh010.1004.exr" in err[-1] and words in err[-1]
    assert not (tmp_path / "out").exists()                       # nothing written, no empty folders


def test_truncated_plate_pixels_with_a_fine_header_stop_the_run_at_that_frame(plate, checkpoint, tmp_path, capsys):
    frame = tmp_path / "plate" / "sh010.1004.exr"
    frame.write_bytes(frame.read_bytes()[:-200])
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint) == 3
    assert "wrote 3 frames (1001-1003)" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path / "out" / "alpha")) == [f"sh010.{f}.exr" for f in (1001, 1002, 1003)]


def test_plate_values_beyond_half_max_stay_finite_and_are_counted_once(tmp_path, capsys):
    ckpt = make_checkpoint(str(tmp_path / "opaque.pt"), alpha_bias=40.0)   # alpha == 1 everywhere
    plate = write_plate(str(tmp_path / "plate"), frames=[1001, 1002])
    for f in (1001, 1002):
        pixels = plate_pixels(f)
        pixels[:4, :5] = 1e6                                                  # 20 pixels x 3 channels
        write_exr(str(tmp_path / "plate" / f"sh010.{f}.exr"), pixels, ("R", "G", "B"), DATA, DISPLAY,
                  pixel_type="float")
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", ckpt, "--refine", "none") == 0
    fg = read_image(str(tmp_path / "out" / "fg" / "sh010.1001.exr")).pixels
    assert np.isfinite(fg).all() and fg[:4, :5, :3].min() == fg.max() == 65504.0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "65504" in line]
    assert len(warnings) == 1 and "120 fg values" in warnings[0]               # 2 frames x 60, one line


def test_a_checkpoint_with_nan_weights_is_refused_at_load(plate, checkpoint, tmp_path, capsys):
    ckpt = torch.load(checkpoint, weights_only=True)
    name = sorted(k for k, v in ckpt["model"].items() if v.is_floating_point())[3]
    ckpt["model"][name].view(-1)[0] = float("nan")
    torch.save(ckpt, tmp_path / "diverged.pt")
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", str(tmp_path / "diverged.pt")) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "diverged.pt" in err and repr(name) in err and "NaN/Inf" in err
    assert not (tmp_path / "out").exists()


def test_a_plate_frame_rerendered_in_place_is_redone_and_counted(plate, checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint) == 0
    before = read_image(str(out / "fg" / "sh010.1003.exr"))
    write_exr(str(tmp_path / "plate" / "sh010.1003.exr"), plate_pixels(1003) * 0.5, ("R", "G", "B"), DATA, DISPLAY)
    capsys.readouterr()
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--json") == 0
    report = _report(capsys)
    assert (report["written"], report["changed_plate"]) == (1, 1)
    after = read_image(str(out / "fg" / "sh010.1003.exr"))
    assert after.metadata["cmn:source_id"] != before.metadata["cmn:source_id"]
    assert np.abs(after.pixels - before.pixels).max() > 0.1
    assert matte(plate, "--out", str(out), "--model", checkpoint) == 0
    assert "wrote 0 frames, skipped 6 finished" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "info"])
def test_a_path_that_is_not_utf8_is_one_line_exit_2(plate, checkpoint, tmp_path, command):
    bad = os.path.join(os.fsencode(str(tmp_path)), b"bad\xffname")
    os.rename(os.path.dirname(plate), bad)
    argv = [sys.executable, "-m", "cmn_vfx.cli", command, os.path.join(bad, b"sh010.####.exr")]
    if command == "run":
        argv += ["--out", str(tmp_path / "out"), "--model", checkpoint, "--device", "cpu", "--no-progress"]
    got = subprocess.run(argv, capture_output=True, timeout=300)
    err = got.stderr.decode(errors="replace").strip().splitlines()
    assert (got.returncode, len(err)) == (2, 1), err
    assert "not UTF-8" in err[0] and "bad\\xffname" in err[0]
    assert not (tmp_path / "out").exists()


def test_temp_files_of_dead_processes_are_cleaned_by_a_rerun(plate, checkpoint, tmp_path):
    from cmn_vfx.io.atomic import _host
    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1001-1002") == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    names = {"dead": f".sh010.1003.exr.tmp-{_host()}-{int(dead.stdout)}-abc123",
             "alive": f".sh010.1004.exr.tmp-{_host()}-{os.getpid()}-abc123",
             "other_host": f".sh010.1005.exr.tmp-othernode-{int(dead.stdout)}-abc123"}
    for name in names.values():
        (out / "alpha" / name).write_bytes(b"")
    assert matte(plate, "--out", str(out), "--model", checkpoint) == 0
    left = set(os.listdir(out / "alpha"))
    assert names["dead"] not in left and {names["alive"], names["other_host"]} <= left


def test_refusals_leave_no_empty_folders(plate, checkpoint, tmp_path):
    frame = tmp_path / "plate" / "sh010.1001.exr"
    frame.write_bytes(frame.read_bytes()[:-200])                 # found while decoding the first frame
    assert matte(plate, "--out", str(tmp_path / "a" / "out"), "--model", checkpoint) == 2
    assert matte(plate, "--out", str(tmp_path / "b" / "out"), "--model", checkpoint, "--colorspace", "nope") == 2
    assert sorted(os.listdir(tmp_path)) == ["plate"]


def test_precision_on_a_cpu_says_it_runs_fp32(plate, checkpoint, tmp_path, capsys):
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint, "--frames", "1001",
                 "--precision", "fp16") == 0
    err = capsys.readouterr().err.splitlines()
    assert "warning: --precision fp16 needs a GPU; running fp32 on the cpu" in err
    assert any("wrote 1 frame," in line for line in err)         # and the grammar: 1 frame, not 1 frames


def test_pinned_threads_pin_the_runtime_and_are_not_in_the_key(plate, checkpoint, tmp_path, capsys):
    """--threads (the spec's threads) pins the network's CPU threads. Like the device and the runtime it is not
    in cmn:settings: thread counts agree to float32 rounding (alpha within one half-float step), as nodes with
    other core counts running unpinned always did, so a farm node's other count keeps the finished frames."""
    out = tmp_path / "out"
    try:
        assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1001-1002", "--threads", "1",
                     "--json") == 0
        meta = read_image(str(out / "alpha" / "sh010.1001.exr")).metadata
        assert "threads" not in json.loads(meta["cmn:settings"]) and torch.get_num_threads() == 1
        capsys.readouterr()
        assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1001-1002", "--threads", "2",
                     "--json") == 0
        assert _report(capsys)["skipped"] == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)          # engine_helpers' setting for the rest of the suite
    spec = tmp_path / "shot.yaml"
    spec.write_text(f"plate: {plate}\noutput: {tmp_path / 'spec'}\nmodel: {checkpoint}\nframes: '1001'\nthreads: 3\n")
    from cmn_vfx.job.spec import ShotSpec
    assert ShotSpec.from_yaml(str(spec)).threads == 3
    try:
        assert matte("--spec", str(spec)) == 0
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(1)
