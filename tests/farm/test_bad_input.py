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
    assert sorted(result) == ["alpha", "backend", "fg", "frames", "job_id", "log"]
    out = os.path.join(os.path.dirname(spec_path), "out")
    assert result["alpha"] == os.path.join(out, "alpha", "sh010.####.exr")
    assert result["fg"] == os.path.join(out, "fg", "sh010.####.exr")
    assert (result["backend"], result["frames"]) == ("local", "1001-1012")
    assert result["log"] == os.path.join(out, "jobs", result["job_id"], "job.log")
    tasks = os.path.join(out, "jobs", result["job_id"], "params.json")
    assert json.load(open(tasks))["ChunkSize"] == 4
