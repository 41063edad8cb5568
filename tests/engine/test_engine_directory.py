"""`cmn-matte run DIR` (every shot below a folder) and `--spec` (the farm task form)."""
from __future__ import annotations

import json
import os

from cmn_vfx.job.spec import ShotSpec
from engine_helpers import matte, write_plate


def test_directory_mode_two_shots(tmp_path, checkpoint, capsys):
    write_plate(str(tmp_path / "plates" / "a"), "shA", frames=[1001, 1002])
    write_plate(str(tmp_path / "plates" / "b"), "shB", frames=[2001, 2002, 2003])
    out = tmp_path / "plates" / "cmn"       # inside the tree: must not be picked up as a plate
    assert matte(str(tmp_path / "plates"), "--out", str(out), "--model", checkpoint, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["shot"], r["status"], r["written"]) for r in report["shots"]] == [("shA", "done", 2), ("shB", "done", 3)]
    assert sorted(os.listdir(out / "shA" / "alpha")) == ["shA.1001.exr", "shA.1002.exr"]
    assert sorted(os.listdir(out / "shB" / "fg")) == ["shB.2001.exr", "shB.2002.exr", "shB.2003.exr"]
    # a rerun finds the outputs finished and does not matte them as plates
    assert matte(str(tmp_path / "plates"), "--out", str(out), "--model", checkpoint, "--json") == 0
    rerun = json.loads(capsys.readouterr().out)["shots"]
    assert [(r["shot"], r["written"], r["skipped"]) for r in rerun] == [("shA", 0, 2), ("shB", 0, 3)]


def test_directory_mode_one_bad_shot_is_partial(tmp_path, checkpoint, capsys):
    write_plate(str(tmp_path / "plates" / "a"), "shA", frames=[1001, 1002])
    write_plate(str(tmp_path / "plates" / "b"), "shB", frames=[1001, 1003])   # a hole at 1002
    assert matte(str(tmp_path / "plates"), "--out", str(tmp_path / "out"), "--model", checkpoint) == 3
    err = capsys.readouterr().err
    assert "FAILED" in err and "1002" in err


def test_spec_with_frames_override(plate, checkpoint, tmp_path):
    spec_path = str(tmp_path / "shot.yaml")
    ShotSpec(plate=plate, output=str(tmp_path / "out"), frames="1001-1006", model=checkpoint,
             device="cpu").to_yaml(spec_path)
    assert matte("--spec", spec_path, "--frames", "1002-1003") == 0
    assert sorted(os.listdir(tmp_path / "out" / "alpha")) == ["sh010.1002.exr", "sh010.1003.exr"]


def test_a_folder_name_that_is_not_utf8_is_skipped_with_a_warning_and_the_rest_run(tmp_path, checkpoint, capsys):
    plates = tmp_path / "plates"
    write_plate(str(plates / "a"), "shA", frames=[1001, 1002])
    write_plate(str(plates / "b"), "shB", frames=[1001, 1002])
    os.rename(str(plates / "b"), os.path.join(os.fsencode(str(plates)), b"b\xffad"))  # OpenImageIO writes no such name
    assert matte(str(plates), "--out", str(tmp_path / "out"), "--model", checkpoint, "--json") == 0
    out = capsys.readouterr()
    assert [(r["shot"], r["written"]) for r in json.loads(out.out)["shots"]] == [("shA", 2)]
    assert "b\\xffad" in out.err and "not UTF-8" in out.err and "Traceback" not in out.err
