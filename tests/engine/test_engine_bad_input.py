"""Bad input: one line on stderr, exit 2, nothing half-written."""
from __future__ import annotations

import errno
import os

import pytest

from cmn_vfx.io.image import Box
from engine_helpers import matte, write_plate


def _err(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    return err[-1]


def test_output_not_writable(plate, checkpoint, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert matte(plate, "--out", str(blocker / "out"), "--model", checkpoint) == 2
    assert "not writable" in _err(capsys)


def test_missing_checkpoint(plate, tmp_path, capsys):
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", str(tmp_path / "nope.pt")) == 2
    assert "nope.pt" in _err(capsys)
    assert not (tmp_path / "out").exists()


def test_corrupt_checkpoint(plate, tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", str(bad)) == 2
    assert "bad.pt" in _err(capsys)


def test_incompatible_checkpoint(plate, tmp_path, capsys):
    import torch
    bad = tmp_path / "other.pt"
    torch.save({"format": "something-else", "model": {}}, bad)
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", str(bad)) == 2
    assert "other.pt" in _err(capsys)


def test_frames_outside_sequence(plate, checkpoint, tmp_path, capsys):
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint, "--frames", "995-1002") == 2
    assert "outside" in _err(capsys)
    assert not (tmp_path / "out").exists()


def test_plate_smaller_than_network_minimum(checkpoint, tmp_path, capsys):
    small = write_plate(str(tmp_path / "small"), frames=[1001, 1002], data=Box(0, 0, 40, 20),
                        display=Box(0, 0, 40, 20))
    assert matte(small, "--out", str(tmp_path / "out"), "--model", checkpoint) == 2
    assert "minimum" in _err(capsys)
    assert not (tmp_path / "out" / "alpha").exists()


def test_disk_full(plate, checkpoint, tmp_path, capsys, monkeypatch):
    import cmn_vfx.engine.writer as engine_writer

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(engine_writer, "write_exr", full)
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint) == 2
    assert "disk full" in _err(capsys)
    assert os.listdir(tmp_path / "out" / "alpha") == []


def test_unknown_colorspace(plate, checkpoint, tmp_path, capsys):
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint, "--colorspace", "ACEScgg") == 2
    assert "ACEScgg" in _err(capsys)


@pytest.mark.parametrize("argv", [["--out", "x"], []])
def test_missing_arguments(argv, capsys):
    assert matte(*argv) == 2


@pytest.mark.parametrize("case", ["loop", "dangling", "loop_inside", "long_out", "long_name"])
def test_an_output_path_the_system_cannot_hold_is_refused_before_anything(case, plate, checkpoint, tmp_path, capsys):
    out, extra = tmp_path / "out", []
    if case == "loop":
        os.symlink(str(out), str(out))
    elif case == "dangling":
        os.symlink(str(tmp_path / "nowhere"), str(out))
    elif case == "loop_inside":
        os.symlink(str(tmp_path / "loop"), str(tmp_path / "loop"))
        out = tmp_path / "loop" / "shots" / "out"
    elif case == "long_out":
        out = tmp_path.joinpath(*["d" * 200] * 25)                  # 5000 bytes, over PATH_MAX
    else:
        extra = ["--name", "n" * 240]                               # with '.1001.exr' and the temp mark: > 255
    before = sorted(os.listdir(tmp_path))
    assert matte(plate, "--out", str(out), "--model", checkpoint, *extra) == 2
    words = {"loop": "leads nowhere", "dangling": "leads nowhere", "loop_inside": "leads nowhere",
             "long_out": "shorter --out", "long_name": "shorter --name"}[case]
    assert words in _err(capsys)
    assert sorted(os.listdir(tmp_path)) == before                  # nothing made


def test_a_huge_frame_range_is_refused_before_it_is_expanded(plate, exported, tmp_path):
    """`--frames 1001-999999999` and a spec's `frames: 1001-99999999999`: exit 2 within 1 GiB of data (expanded,
    they took 24 GB and an OOM kill)."""
    import resource
    import subprocess
    import sys
    spec = tmp_path / "shot.yaml"
    spec.write_text(f"plate: {plate}\noutput: {tmp_path / 'spec'}\nmodel: {exported}\nframes: 1001-99999999999\n")
    code = ("from cmn_vfx.cli import matte_main\n"
            f"a = matte_main(['run', {plate!r}, '--out', {str(tmp_path / 'out')!r}, '--model', {exported!r}, "
            "'--frames', '1001-999999999', '--no-progress'])\n"
            f"b = matte_main(['run', '--spec', {str(spec)!r}, '--no-progress'])\n"
            "print(a, b)")
    limit = lambda: resource.setrlimit(resource.RLIMIT_DATA, (2**30, 2**30))  # noqa: E731
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, preexec_fn=limit,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert done.stdout.split() == ["2", "2"], done.stderr[-2000:]
    assert done.stderr.count("outside the sequence (1001-1006)") == 2
