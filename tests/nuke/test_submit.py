"""cmn-farm argv, its JSON answer, validation messages, the spec file and settings."""
import json
import os
import shlex

import pytest

from nuke_paths import fake_executable

from cmn_vfx.job.names import PRIORS as PRIOR_NAMES
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_nuke.cmn_nuke import submit


def good_fields(plate_path, tmp_path, **kw):
    return {"plate": plate_path, "frames": "1001-1005", "name": "sh010", "colorspace": "ACES - ACEScg",
            "output": str(tmp_path / "sh010" / "cmn"), "model": "default", "chunk_size": 2, "warmup": 3,
            "downsample": "0.5", "backend": "local", **kw}


@pytest.fixture
def farm(tmp_path):
    return [fake_executable(tmp_path / "bin" / "cmn-farm", "echo '{\"job_id\": \"x\"}'")]


def test_good_fields_validate(plate, tmp_path, farm):
    assert submit.validate(good_fields(plate, tmp_path), farm) == []


@pytest.mark.parametrize("change, message", [
    ({"plate": ""}, "shot spec: 'plate' is empty"),
    ({"plate": "[getenv SHOT]/sh010.####.exr"}, "TCL expression"),
    ({"frames": "1005-1001"}, "shot spec: frame range '1005-1001': '1005-1001' runs backwards"),
    ({"frames": "1001-1009"}, "Frames: frame 1009 of the plate is missing"),
    ({"frames": "1001-1005x2"}, None),                          # the spec's grammar: 1001, 1003, 1005
    ({"output": "relative/dir"}, "Output folder: 'relative/dir' is not an absolute path"),
    ({"model": ""}, "Model: empty"),
    ({"model": "/nowhere/model.pt"}, "Model: checkpoint /nowhere/model.pt does not exist"),
    ({"chunk_size": 0}, "shot spec: chunk_size 0 must be a whole number >= 1"),
    ({"warmup": -2}, "shot spec: warmup -2 must be"),
    ({"downsample": "2"}, "shot spec: downsample 2.0 is out of range; use auto or 0 < r <= 1"),
    ({"downsample": "half"}, "shot spec: downsample 'half' is not a number"),
    ({"backend": "tractor"}, "Backend: 'tractor' is unknown"),
    ({"prior": "union_portrait"}, "shot spec: unknown person prior 'union_portrait'; use one of: auto, selfie,"),
    ({"temporal": 1.0}, "shot spec: temporal 1.0 must be a number 0 <= s < 1"),
    ({"temporal": "strong"}, "shot spec: temporal 'strong' must be"),
])
def test_each_bad_field_gives_one_message(plate, tmp_path, farm, change, message):
    errors = submit.validate(good_fields(plate, tmp_path, **change), farm)
    assert (errors == []) if message is None else (len(errors) == 1 and message in errors[0]), errors


@pytest.mark.parametrize("change", [{"downsample": "2"}, {"chunk_size": 0}, {"frames": "1005-1001"},
                                    {"subject": "everyone"}, {"temporal": "strong"}, {"prior": "union_portrait"},
                                    {"downsample": "half", "warmup": -1, "temporal": 1.5}])
def test_a_bad_spec_field_reads_the_same_in_nuke_as_on_the_command_line(plate, tmp_path, farm, change, capsys):
    farm_cli = pytest.importorskip("cmn_vfx_farm.cli")
    fields = good_fields(plate, tmp_path, **change)
    shown = submit.validate(fields, farm)
    path = submit.write_spec(submit.spec_dict(fields), str(tmp_path / "bad.shot.yaml"))
    assert farm_cli.main(["plan", path]) == 2
    printed = capsys.readouterr().err.strip()
    assert printed.startswith(f"cmn-farm: error: shot spec {path}: "), printed
    assert [line.split("shot spec: ", 1)[1] for line in shown] == \
        [line.split(f"shot spec {path}: ", 1)[1] for line in printed.splitlines()]


def test_missing_farm_command_is_reported(plate, tmp_path):
    errors = submit.validate(good_fields(plate, tmp_path), ["cmn-farm-nowhere"], environ={"PATH": str(tmp_path)})
    assert errors == ["Farm: command 'cmn-farm-nowhere' not found; set CMN_FARM to the path of cmn-farm "
                      "(or 'cmn_farm' in the settings file)."]


def test_farm_command_precedence():
    assert submit.farm_command({"cmn_farm": ""}, environ={}) == ["cmn-farm"]
    assert submit.farm_command({"cmn_farm": "/opt/cmn/bin/cmn-farm"}, environ={}) == ["/opt/cmn/bin/cmn-farm"]
    assert submit.farm_command({"cmn_farm": "/x"}, environ={"CMN_FARM": "/py -m farm"}) == ["/py", "-m", "farm"]


def test_farm_env_drops_nukes_python():
    env = submit.farm_env({"PATH": "/bin", "PYTHONHOME": "/nuke", "PYTHONPATH": "/nuke/lib", "OCIO": "/c.ocio"})
    assert env == {"PATH": "/bin", "OCIO": "/c.ocio"}


@pytest.mark.parametrize("backend, argv_tail", [
    ("local", ["submit", "/o/sh010.shot.yaml", "--backend", "local", "--json"]),   # attached: progress, Cancel
    ("deadline-cloud", ["submit", "/o/sh010.shot.yaml", "--backend", "deadline-cloud", "--json"]),
])
def test_submit_argv(backend, argv_tail):
    assert submit.submit_argv(["cmn-farm"], "/o/sh010.shot.yaml", backend) == ["cmn-farm", *argv_tail]


def test_parse_result_skips_log_lines():
    answer = {"job_id": "42", "backend": "local", "alpha": "/o/alpha/a.####.exr", "fg": "/o/fg/a.####.exr",
              "frames": "1-5", "log": None}
    assert submit.parse_result("planning 3 tasks\n" + json.dumps(answer) + "\n") == answer


@pytest.mark.parametrize("stdout, message", [
    ("", "printed no JSON result (no output)"),
    ('{"job_id": "1"}', "answered without backend, alpha, fg, frames"),
])
def test_parse_result_errors(stdout, message):
    with pytest.raises(submit.SubmitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        submit.parse_result(stdout)


def test_written_spec_loads_as_a_shotspec(plate, tmp_path):
    spec = submit.spec_dict(good_fields(plate, tmp_path))
    path = submit.write_spec(spec, submit.spec_file(spec))
    assert path == str(tmp_path / "sh010" / "cmn" / "sh010.shot.yaml")
    loaded = ShotSpec.from_yaml(path)
    assert loaded == ShotSpec(plate=plate, output=str(tmp_path / "sh010" / "cmn"), frames="1001-1005",
                              name="sh010", colorspace="ACES - ACEScg", downsample=0.5, warmup=3, chunk_size=2)


def test_panel_knows_the_same_priors_as_cmn_vfx():
    assert submit.PRIORS == PRIOR_NAMES


@pytest.mark.parametrize("prior, expected", [(None, None), ("", None), ("union_landscape", "union_landscape")])
def test_spec_carries_the_prior(plate, tmp_path, farm, prior, expected):
    fields = good_fields(plate, tmp_path, prior=prior)
    assert submit.validate(fields, farm) == []
    path = submit.write_spec(submit.spec_dict(fields), str(tmp_path / "sh010.shot.yaml"))
    assert ShotSpec.from_yaml(path).prior == expected


def test_finish_reports_the_farms_one_line_error():
    with pytest.raises(submit.SubmitError, match="^cmn-farm submit failed: cmn-farm: error: no such model$"):
        submit.finish(2, "", "  sh010: 0/5 frames\ncmn-farm: error: no such model\n", ["cmn-farm"], "/o/s.yaml")
    with pytest.raises(submit.SubmitError, match="^cmn-farm submit failed: exit code 3$"):
        submit.finish(3, "", "", ["cmn-farm"], "/o/s.yaml")


def test_finish_adds_the_spec_and_a_status_command_a_shell_splits_back():
    answer = {"job_id": "42", "backend": "deadline-cloud", "alpha": "/o/alpha/a.####.exr", "fg": "/o/fg/a.####.exr",
              "frames": "1-5", "log": None}
    spec = "/shows/my show/sh010.shot.yaml"
    result = submit.finish(0, json.dumps(answer) + "\n", "submitting\n", ["/py", "-m", "farm"], spec)
    assert result == {**answer, "spec": spec, "status": result["status"]}
    assert shlex.split(result["status"]) == ["/py", "-m", "farm", "status", spec]   # built: this cmn-farm printed none
    own = {**answer, "status": "cmn-farm status '/shows/my show/sh010.shot.yaml'"}
    assert submit.finish(0, json.dumps(own), "", ["/py", "-m", "farm"], spec)["status"] == own["status"]


@pytest.mark.parametrize("line, shown", [("  sh010: 3/5 frames, 1 worker(s) running\n", "sh010: 3/5 frames, 1 worker(s) running"),
                                         ("\n", None), ('{"job_id": "1"}\n', None)])
def test_progress_line(line, shown):
    assert submit.progress_line(line) == shown


def test_settings_round_trip_and_job_memory(tmp_path):
    path = str(tmp_path / "nuke" / "cmn.json")
    assert submit.load_settings(path) == {**submit.DEFAULTS, "jobs": {}}
    settings = submit.load_settings(path)
    settings["chunk_size"] = 25
    for idx in range(submit.MAX_JOBS_REMEMBERED + 3):
        submit.remember_job(settings, f"/p/{idx}.####.exr", {"job_id": str(idx)})
    submit.save_settings(path, settings)
    loaded = submit.load_settings(path)
    assert loaded["chunk_size"] == 25
    assert len(loaded["jobs"]) == submit.MAX_JOBS_REMEMBERED
    assert loaded["jobs"][f"/p/{submit.MAX_JOBS_REMEMBERED + 2}.####.exr"] == {"job_id": str(submit.MAX_JOBS_REMEMBERED + 2)}
    assert "/p/0.####.exr" not in loaded["jobs"]
    assert os.listdir(os.path.dirname(path)) == ["cmn.json"]   # no temp file left


def test_broken_settings_file_gives_defaults(tmp_path):
    path = tmp_path / "cmn.json"
    path.write_text("{not json")
    assert submit.load_settings(str(path))["backend"] == "local"


def test_settings_path_env():
    assert submit.settings_path({"CMN_NUKE_SETTINGS": "/x/s.json"}) == "/x/s.json"
    assert submit.settings_path({}).endswith(os.path.join(".nuke", "cmn_vfx.json"))


@pytest.mark.parametrize("subject, message", [
    ("everyone", "shot spec: subject 'everyone': give all, main, or picks like 1210,540@1001"),
    ("10,20,5,40@1001", "shot spec: subject '10,20,5,40@1001': a box is x0,y0,x1,y1 with x0 <= x1 and y0 <= y1"),
    ("1210,540@1001;300,500@1010", "Subject: pick 300,500@1010 is on frame 1010, outside the frames 1001-1005"),
])
def test_bad_subject_gives_one_message(plate, tmp_path, farm, subject, message):
    errors = submit.validate(good_fields(plate, tmp_path, subject=subject), farm)
    assert len(errors) == 1 and message in errors[0], errors


@pytest.mark.parametrize("subject, expected", [
    (None, None), ("", None), ("all", None), (" ALL ", None), ("main", "main"), ("Main", "main"),
    (" 1210 , 540 @1001", "1210,540@1001"), ("1210,540@1001; 900,200,1400,1080@1002", "1210,540@1001;900,200,1400,1080@1002"),
])
def test_spec_carries_the_subject_only_when_not_all(plate, tmp_path, farm, subject, expected):
    fields = good_fields(plate, tmp_path, subject=subject)
    assert submit.validate(fields, farm) == []
    spec = submit.spec_dict(fields)
    assert spec.get("subject") == expected and ("subject" in spec) == (expected is not None)


@pytest.mark.parametrize("temporal, written", [(None, None), (0.7, None), (0.0, 0.0), (0.85, 0.85)])
def test_spec_carries_the_temporal_steadiness_only_when_not_the_default(plate, tmp_path, farm, temporal, written):
    """The engine's default (cmn_vfx.job.names.DEFAULT_TEMPORAL) is the panel's; a spec asks only for another."""
    from cmn_vfx.job.names import DEFAULT_TEMPORAL
    assert submit.DEFAULT_TEMPORAL == DEFAULT_TEMPORAL
    fields = good_fields(plate, tmp_path, **({} if temporal is None else {"temporal": temporal}))
    assert submit.validate(fields, farm) == []
    spec = submit.spec_dict(fields)
    assert spec.get("temporal") == written
    path = submit.write_spec(spec, str(tmp_path / "sh010.shot.yaml"))
    assert ShotSpec.from_yaml(path).temporal == (DEFAULT_TEMPORAL if written is None else written)
