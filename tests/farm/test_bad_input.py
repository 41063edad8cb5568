"""Bad input stops cmn-farm with exit 2 and one clear line before anything is written or submitted."""
from __future__ import annotations

import json
import os

import pytest
from farm_helpers import cmn_farm, write_spec


@pytest.mark.parametrize("fields,args,message", [
    ({"plate": "WRONG"}, (), "matches no files"),
    ({"frames": ""}, (), "is empty"),
    ({"chunk_size": 0}, (), "chunk_size 0"),
    ({}, ("--chunk-size", "0"), "chunk size 0"),
    ({}, ("--backend", "tractor"), "backend 'tractor' is unknown"),
    ({}, ("--workers", "0"), "--workers 0"),
    ({"prior": "selfy"}, (), "unknown person prior 'selfy'"),
])
def test_bad_input_exits_2_and_submits_nothing(tmp_path, plate, fields, args, message):
    values = {"plate": plate, "output": str(tmp_path / "out"), "frames": "1001-1012", "chunk_size": 4}
    values.update(fields)
    if values["plate"] == "WRONG":
        values["plate"] = plate.replace("sh010.####", "sh020.####")
    spec = write_spec(str(tmp_path / "shot.yaml"), **values)
    got = cmn_farm("submit", spec, "--json", *args)
    assert got.returncode == 2, got.stderr
    assert message in got.stderr and got.stderr.count("\n") == 1
    assert got.stdout == ""
    assert not os.path.exists(tmp_path / "out")


def test_dry_run_prints_the_submit_contract(spec_path):
    got = cmn_farm("submit", spec_path, "--dry-run", "--json", "--workers", "2")
    assert got.returncode == 0, got.stderr
    result = json.loads(got.stdout)
    assert sorted(result) == ["alpha", "backend", "fg", "frames", "job_id", "log", "status"]
    assert result["status"] == f"cmn-farm status {spec_path}"
    out = os.path.join(os.path.dirname(spec_path), "out")
    assert result["alpha"] == os.path.join(out, "alpha", "sh010.####.exr")
    assert result["fg"] == os.path.join(out, "fg", "sh010.####.exr")
    assert (result["backend"], result["frames"]) == ("local", "1001-1012")
    assert result["log"] == os.path.join(out, "jobs", result["job_id"], "job.log")
    tasks = os.path.join(out, "jobs", result["job_id"], "params.json")
    assert json.load(open(tasks))["ChunkSize"] == 4


@pytest.mark.parametrize("model,content,message", [
    ("nosuch.pt", None, "no such checkpoint file"),
    ("notes.pt", b"not a checkpoint\n", "not a torch checkpoint"),
    ("export.onnx", b"", "the file is empty"),
])
def test_a_bad_model_is_refused_at_submit(tmp_path, plate, model, content, message):
    """Issue 29 D7: the model is resolved and looked at before a job exists (no torch), not by every task."""
    if content is not None:
        (tmp_path / model).write_bytes(content)
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"), model=model)
    got = cmn_farm("submit", spec, "--json")
    assert got.returncode == 2, got.stderr
    assert message in got.stderr and str(tmp_path / model) in got.stderr and got.stderr.count("\n") == 1
    assert not os.path.exists(tmp_path / "out")


def test_a_plate_header_that_changes_mid_shot_is_refused_at_submit(tmp_path):
    """Issue 29 D14: submit checks every header the tasks read (as `cmn-matte run` does), here a frame of
    another size in the middle of the plate, before a job exists; a range that avoids it is accepted."""
    import numpy as np
    from farm_helpers import make_plate
    from cmn_vfx.io.image import Box, write_exr
    plate = make_plate(str(tmp_path / "plate"), frames=range(1001, 1009))
    path = plate.replace("####", "1005")
    write_exr(path, np.zeros((16, 24, 3), np.float32), ("R", "G", "B"), Box(0, 0, 24, 16), Box(0, 0, 24, 16))
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"))
    got = cmn_farm("submit", spec, "--dry-run", "--json")
    assert got.returncode == 2, got.stderr
    assert path in got.stderr and got.stderr.count("\n") == 1
    assert not os.path.exists(tmp_path / "out")
    assert cmn_farm("submit", spec, "--frames", "1001-1004", "--dry-run", "--json").returncode == 0
