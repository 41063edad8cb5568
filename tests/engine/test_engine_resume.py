"""Resume, warm-up against a sequential pass, and interrupted runs."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from cmn_vfx.io.image import read_image
from engine_helpers import FRAMES, matte, write_plate


def _pixels(out, sub: str, frame: int) -> np.ndarray:
    return read_image(str(out / sub / f"sh010.{frame}.exr")).pixels


def test_resume_skips_finished_frames_and_matches(plate, checkpoint, tmp_path):
    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint) == 0
    first = {f: _pixels(out, "alpha", f) for f in FRAMES}
    mtimes = {(sub, p): os.stat(out / sub / p).st_mtime_ns for sub in ("alpha", "fg") for p in os.listdir(out / sub)}
    os.remove(out / "alpha" / "sh010.1004.exr")
    os.remove(out / "fg" / "sh010.1004.exr")
    assert matte(plate, "--out", str(out), "--model", checkpoint) == 0
    unchanged = [key for key, mtime in mtimes.items() if os.stat(out / key[0] / key[1]).st_mtime_ns == mtime]
    assert len(unchanged) == 10 and all("1004" not in name for _, name in unchanged)
    # 1004 was warmed up from 1001 (warm-up 8 reaches the shot start): identical to the first pass
    np.testing.assert_array_equal(_pixels(out, "alpha", 1004), first[1004])


def test_changed_settings_are_not_skipped(plate, checkpoint, tmp_path):
    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1001") == 0
    before = os.stat(out / "alpha" / "sh010.1001.exr").st_mtime_ns
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1001", "--downsample", "0.9") == 0
    assert os.stat(out / "alpha" / "sh010.1001.exr").st_mtime_ns != before


def test_retuned_refinement_is_not_skipped(plate, checkpoint, tmp_path, monkeypatch):
    """cmn:settings records the refinement's parameters (cmn_vfx.engine.filter_params), so retuning one
    reruns the frame instead of resuming past pixels made with the old value."""
    from cmn_vfx.engine import filter_params

    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1001") == 0
    before = os.stat(out / "alpha" / "sh010.1001.exr").st_mtime_ns
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1001") == 0
    assert os.stat(out / "alpha" / "sh010.1001.exr").st_mtime_ns == before  # same settings: resumed
    monkeypatch.setattr(filter_params, "REFINE_EPS", filter_params.REFINE_EPS * 2)
    assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1001") == 0
    assert os.stat(out / "alpha" / "sh010.1001.exr").st_mtime_ns != before


def test_chunk_with_warmup_equals_sequential(plate, checkpoint, tmp_path):
    seq_out, chunk_out, cold_out = tmp_path / "seq", tmp_path / "chunk", tmp_path / "cold"
    assert matte(plate, "--out", str(seq_out), "--model", checkpoint, "--frames", "1001-1006") == 0
    assert matte(plate, "--out", str(chunk_out), "--model", checkpoint, "--frames", "1004-1006", "--warmup", "3") == 0
    assert matte(plate, "--out", str(cold_out), "--model", checkpoint, "--frames", "1004-1006", "--warmup", "0") == 0
    assert sorted(os.listdir(chunk_out / "alpha")) == ["sh010.1004.exr", "sh010.1005.exr", "sh010.1006.exr"]
    for f in (1004, 1005, 1006):
        for sub in ("alpha", "fg"):
            np.testing.assert_array_equal(_pixels(chunk_out, sub, f), _pixels(seq_out, sub, f))
    # without warm-up the chunk start differs: the recurrent state matters
    assert np.abs(_pixels(cold_out, "alpha", 1004) - _pixels(seq_out, "alpha", 1004)).max() > 0


def test_explicit_cut_resets_state(plate, checkpoint, tmp_path):
    """With a cut at 1004, frames from 1004 on do not depend on 1001-1003."""
    full, alone = tmp_path / "full", tmp_path / "alone"
    assert matte(plate, "--out", str(full), "--model", checkpoint, "--cuts", "1004") == 0
    assert matte(plate, "--out", str(alone), "--model", checkpoint, "--frames", "1004-1006", "--warmup", "0",
                 "--cuts", "1004") == 0
    np.testing.assert_array_equal(_pixels(full, "alpha", 1005), _pixels(alone, "alpha", 1005))


def test_auto_cut_detected(tmp_path, checkpoint, capsys):
    plate = write_plate(str(tmp_path / "plate"), scene_of=lambda f: int(f >= 1004))
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint, "--json") == 0
    import json
    assert json.loads(capsys.readouterr().out)["cuts"] == [1004]


@pytest.mark.parametrize("exc, code", [(KeyboardInterrupt, 130), (RuntimeError, 3)])
def test_interrupted_write_leaves_no_partial_file(plate, checkpoint, tmp_path, monkeypatch, exc, code):
    """The 5th rename (frame 1003's fg) fails after its temp file was written: nothing half-done remains."""
    import cmn_vfx.io.atomic as atomic
    real = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 5:
            assert os.path.getsize(src) > 0       # the temp file holds data, as in a kill mid-write
            raise exc("simulated kill")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    out = tmp_path / "out"
    assert matte(plate, "--out", str(out), "--model", checkpoint) == code
    monkeypatch.setattr(atomic.os, "replace", real)
    names = {sub: sorted(os.listdir(out / sub)) for sub in ("alpha", "fg")}
    assert names == {"alpha": ["sh010.1001.exr", "sh010.1002.exr"], "fg": ["sh010.1001.exr", "sh010.1002.exr"]}
    assert matte(plate, "--out", str(out), "--model", checkpoint) == 0
    assert len(os.listdir(out / "alpha")) == len(os.listdir(out / "fg")) == 6


def test_missing_is_in_the_key_only_of_shots_with_holes(tmp_path, checkpoint, capsys):
    """A batch run again with another --missing redoes the shot with a hole, not the whole one."""
    write_plate(str(tmp_path / "plates" / "a"), "shA", frames=[1001, 1002, 1003])
    write_plate(str(tmp_path / "plates" / "b"), "shB", frames=[1001, 1003])          # a hole at 1002
    out = str(tmp_path / "out")
    assert matte(str(tmp_path / "plates"), "--out", out, "--model", checkpoint, "--missing", "hold", "--json") == 0
    capsys.readouterr()
    assert matte(str(tmp_path / "plates"), "--out", out, "--model", checkpoint, "--missing", "black", "--json") == 0
    rows = {r["shot"]: (r["written"], r["skipped"]) for r in json.loads(capsys.readouterr().out)["shots"]}
    assert rows == {"shA": (0, 3), "shB": (3, 0)}
