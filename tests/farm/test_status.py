"""cmn-farm status: done / missing / failed per frame, from the outputs and their metadata."""
from __future__ import annotations

import json
import os

import numpy as np
from farm_helpers import cmn_farm

from cmn_vfx.job.finished import source_id
from cmn_vfx.io.image import Box, write_exr
from cmn_vfx.io.sequence import find_sequence
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.plan import plan_shot
from cmn_vfx_farm.status import shot_status

BOX = Box(0, 0, 8, 4)
GOOD = {"cmn:settings": '{"warmup":8}', "cmn:checkpoint_sha256": "abc"}


def plate_path(plan, frame: int) -> str:
    return find_sequence(plan.spec.plate).path(frame)


def write_output(plan, kind: str, frame: int, meta=GOOD, channels=None) -> str:
    """An output as the engine writes it: `meta` plus the plate frame's identity (cmn:source_id)."""
    channels = channels or (("A",) if kind == "alpha" else ("R", "G", "B", "A"))
    path = plan.layout.path(kind, frame)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    meta = {"cmn:source_id": source_id(plate_path(plan, frame)), **meta}
    write_exr(path, np.full((4, 8, len(channels)), 0.5, np.float32), channels, BOX, BOX, meta)
    return path


def test_done_missing_failed(spec_path):
    plan = plan_shot(ShotSpec.from_yaml(spec_path))
    for frame in range(1001, 1008):
        for kind in ("alpha", "fg"):
            write_output(plan, kind, frame)
    write_output(plan, "alpha", 1008)                                    # fg missing -> missing
    os.remove(plan.layout.path("fg", 1003))                              # -> missing
    with open(plan.layout.path("alpha", 1004), "r+b") as fh:             # truncated -> failed
        fh.truncate(200)
    write_output(plan, "fg", 1005, meta={**GOOD, "cmn:settings": '{"warmup":2}'})  # other settings -> failed
    write_output(plan, "alpha", 1006, channels=("Y",))                   # wrong channel -> failed

    status = shot_status(plan)
    assert status.done == [1001, 1002, 1007]
    assert status.missing == [1003, 1008, 1009, 1010, 1011, 1012]
    assert status.failed == [1004, 1005, 1006]
    assert status.todo_range == "1003-1006,1008-1012"
    assert "lacks channel(s) A" in status.reasons[1006]
    assert "different settings" in status.reasons[1005]


def test_expected_settings_override_majority(spec_path):
    plan = plan_shot(ShotSpec.from_yaml(spec_path), frames="1001-1002")
    for frame in (1001, 1002):
        for kind in ("alpha", "fg"):
            write_output(plan, kind, frame)
    assert shot_status(plan).done == [1001, 1002]
    other = shot_status(plan, expected={**GOOD, "cmn:checkpoint_sha256": "def"})
    assert other.failed == [1001, 1002] and "cmn:checkpoint_sha256" in other.reasons[1001]


def test_a_plate_frame_rerendered_in_place_makes_its_frame_failed(spec_path):
    plan = plan_shot(ShotSpec.from_yaml(spec_path), frames="1001-1003")
    for frame in (1001, 1002, 1003):
        for kind in ("alpha", "fg"):
            write_output(plan, kind, frame)
    st = os.stat(plate_path(plan, 1002))
    os.utime(plate_path(plan, 1002), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))   # re-rendered
    status = shot_status(plan)
    assert (status.done, status.failed, status.todo_range) == ([1001, 1003], [1002], "1002")
    assert status.reasons[1002] == "its plate frame changed since it was written"


def test_status_cli_json_and_exit_code(spec_path):
    plan = plan_shot(ShotSpec.from_yaml(spec_path))
    for kind in ("alpha", "fg"):
        write_output(plan, kind, 1001)
    got = cmn_farm("status", spec_path, "--json")
    assert got.returncode == 1, got.stderr
    report = json.loads(got.stdout)
    assert (report["done"], report["missing"], report["todo"]) == ("1001", "1002-1012", "1002-1012")


def test_quick_status_reads_headers_only(spec_path):
    """--quick trusts a file whose pixels were cut off after an intact header; the full check does not."""
    plan = plan_shot(ShotSpec.from_yaml(spec_path), frames="1001-1002")
    for frame in (1001, 1002):
        for kind in ("alpha", "fg"):
            write_output(plan, kind, frame)
    path = plan.layout.path("alpha", 1002)
    with open(path, "r+b") as fh:
        fh.truncate(os.path.getsize(path) - 8)                           # the last pixel chunk cut short
    assert shot_status(plan).failed == [1002]
    assert shot_status(plan, quick=True).done == [1001, 1002]
    got = cmn_farm("status", spec_path, "--frames", "1001-1002", "--quick", "--json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["done"] == "1001-1002"


def test_a_filled_hole_is_reported_until_written(tmp_path):
    """Issue 29 D4: with missing: hold the hole is an output frame; 7 of 8 written is not complete."""
    import shlex
    from farm_helpers import make_plate, write_spec
    plate = make_plate(str(tmp_path / "plate"), frames=[1001, 1002, 1003, 1004, 1006, 1007, 1008])
    os.makedirs(tmp_path / "my shots")
    spec_path = write_spec(str(tmp_path / "my shots" / "shot.yaml"), plate=plate, output=str(tmp_path / "out"),
                           missing="hold")
    plan = plan_shot(ShotSpec.from_yaml(spec_path))
    for frame in (1001, 1002, 1003, 1004, 1006, 1007, 1008):
        for kind in ("alpha", "fg"):
            write_output(plan, kind, frame)
    status = shot_status(plan)
    assert (status.done, status.missing, status.complete) == ([1001, 1002, 1003, 1004, 1006, 1007, 1008], [1005], False)
    got = cmn_farm("status", spec_path)                     # Issue 29 D5: the real spec, quoted for the shell
    assert got.returncode == 1, got.stderr
    assert got.stdout.splitlines()[0] == "sh010: 7/8 done, 1 missing, 0 failed"
    line = next(x for x in got.stdout.splitlines() if "resubmit:" in x).split("resubmit: ", 1)[1]
    assert shlex.split(line) == ["cmn-farm", "submit", spec_path, "--frames", "1005"]
