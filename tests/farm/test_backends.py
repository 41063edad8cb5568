"""Submit backends: the Deadline Cloud bundle (golden files, openjd's validation, the client API), Deadline 10's
job files, OpenCue through the real pyoutline, and what each leaves when its submitter is missing."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml
from farm_helpers import VENV_BIN, cmn_farm, make_plate, write_spec

from cmn_vfx.errors import BadInputError, CMNError
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.backends import SubmitOptions, get_backend
from cmn_vfx_farm.backends import deadline_cloud
from cmn_vfx_farm.backends.deadline10 import read_info, submit_argv, submitted_ids, write_job_files
from cmn_vfx_farm.backends.deadline_cloud import validate_bundle, write_bundle
from cmn_vfx_farm.plan import plan_shot
from cmn_vfx_farm.template import template_text

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
ROOT = "/ROOT"


@pytest.fixture
def fixed_plan(tmp_path):
    """A plan under tmp_path; file texts are compared with tmp_path replaced by /ROOT."""
    plate = make_plate(str(tmp_path / "plate"), frames=range(1001, 1005))
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"),
                      frames="1001-1004", chunk_size=2)
    return plan_shot(ShotSpec.from_yaml(spec))


def subject_plan(plan):
    plan.spec.subject = "main"
    return plan


def normalised(path: str, root) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read().replace(str(root), ROOT)


def golden(name: str) -> str:
    with open(os.path.join(GOLDEN, name), encoding="utf-8") as fh:
        return fh.read()


def test_deadline_cloud_bundle_matches_golden(fixed_plan, tmp_path):
    bundle = write_bundle(fixed_plan, str(tmp_path / "bundle"), str(tmp_path / "job" / "shot.yaml"), None)
    assert sorted(os.listdir(bundle)) == ["asset_references.yaml", "parameter_values.yaml", "template.yaml"]
    steps = yaml.safe_load(open(os.path.join(bundle, "template.yaml")))["steps"]
    assert [s["name"] for s in steps] == ["Matte"]                     # subject: all needs no Subject step
    for name in ("parameter_values.yaml", "asset_references.yaml"):
        assert normalised(os.path.join(bundle, name), tmp_path) == golden(f"deadline_cloud_{name}"), name
    refs = yaml.safe_load(golden("deadline_cloud_asset_references.yaml"))["assetReferences"]
    assert len(refs["inputs"]["filenames"]) == 1 + 4      # the spec + the four plate frames
    assert refs["outputs"]["directories"] == [ROOT + "/out"]   # alpha/, fg/ and the subject's .cmn/ come back


def test_a_subject_bundle_carries_the_template_without_teach_and_passes_openjd_check(fixed_plan, tmp_path):
    import subprocess
    bundle = write_bundle(subject_plan(fixed_plan), str(tmp_path / "bundle"), str(tmp_path / "shot.yaml"), None)
    assert normalised(os.path.join(bundle, "template.yaml"), tmp_path) == template_text(subject=True, teach=False)
    got = subprocess.run([os.path.join(VENV_BIN, "openjd"), "check", os.path.join(bundle, "template.yaml")],
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stdout + got.stderr
    job = validate_bundle(bundle)                          # openjd.model's own job, built from the bundle's files
    assert [s.name for s in job.steps] == ["Subject", "Matte"]
    assert [d.dependsOn for d in job.steps[1].dependencies] == ["Subject"]


def test_a_bundle_openjd_refuses_is_refused_at_submit(fixed_plan, tmp_path):
    bundle = write_bundle(fixed_plan, str(tmp_path / "bundle"), str(tmp_path / "shot.yaml"), None)
    values = os.path.join(bundle, "parameter_values.yaml")
    doc = yaml.safe_load(open(values))
    for p in doc["parameterValues"]:
        if p["name"] == "ChunkSize":
            p["value"] = 0                                 # below the template's minValue
    yaml.safe_dump(doc, open(values, "w"))
    with pytest.raises(BadInputError, match="does not validate"):
        validate_bundle(bundle)


class FakeDeadlineApi:
    """deadline.client.api's create_job_from_job_bundle, recording what it was given."""
    calls: list = []

    @classmethod
    def create_job_from_job_bundle(cls, bundle, **kwargs):
        cls.calls.append((bundle, kwargs))
        return "job-0123456789abcdef0123456789abcdef"


def test_deadline_cloud_submits_through_the_client_api(fixed_plan, tmp_path, monkeypatch):
    from deadline.client.config import config_file
    monkeypatch.setenv("DEADLINE_CONFIG_FILE_PATH", str(tmp_path / "deadline.cfg"))
    monkeypatch.setattr(deadline_cloud, "_client", lambda: (FakeDeadlineApi, config_file))
    FakeDeadlineApi.calls = []
    with pytest.raises(BadInputError, match="--queue-id"):          # no default queue: refused, nothing written
        deadline_cloud.submit(fixed_plan, SubmitOptions(extra={"farm_id": "farm-1"}))
    assert not os.path.exists(os.path.join(fixed_plan.spec.output, "jobs"))
    options = SubmitOptions(extra={"farm_id": "farm-1", "queue_id": "queue-2", "storage_profile_id": "sp-3",
                                   "job_attachments": "VIRTUAL", "priority": 70})
    result = deadline_cloud.submit(fixed_plan, options)
    assert result.job_id == "job-0123456789abcdef0123456789abcdef"
    ((bundle, kwargs),) = FakeDeadlineApi.calls
    assert bundle == os.path.join(result.job_dir, "bundle")
    config = kwargs["config"]
    assert [config_file.get_setting(k, config=config) for k in
            ("defaults.farm_id", "defaults.queue_id", "settings.storage_profile_id")] == ["farm-1", "queue-2", "sp-3"]
    assert (kwargs["job_attachments_file_system"], kwargs["priority"]) == ("VIRTUAL", 70)
    assert not os.path.exists(tmp_path / "deadline.cfg")             # the user's config file is not changed


def test_deadline10_files(fixed_plan, tmp_path):
    spec = str(tmp_path / "job dir" / "shot.yaml")
    ((job, plugin),) = write_job_files(fixed_plan, str(tmp_path / "d10"), spec, "/opt/cmn/bin/cmn-matte")
    assert normalised(job, tmp_path) == golden("deadline10_job_info.job")
    assert normalised(plugin, tmp_path) == golden("deadline10_plugin_info.job")
    args = read_info(plugin)["Arguments"].replace("<QUOTE>", '"').replace("<STARTFRAME>-<ENDFRAME>", "1001-1002")
    assert shlex.split(args) == ["run", "--spec", spec, "--frames", "1001-1002", "--no-progress"]


def test_deadline10_subject_job_comes_first_and_the_matte_job_depends_on_it(fixed_plan, tmp_path):
    extra = {"pool": "gpu", "group": "cmn", "priority": 80}
    jobs = write_job_files(subject_plan(fixed_plan), str(tmp_path / "d10"), "/jobs/shot.yaml", "cmn-matte", extra)
    (subject_job, subject_plugin), (job, _) = jobs
    assert read_info(subject_job)["Frames"] == "1001" and read_info(subject_job)["ChunkSize"] == "1"
    assert "--resolve-subject" in read_info(subject_plugin)["Arguments"]
    for info in (read_info(subject_job), read_info(job)):
        assert (info["Pool"], info["Group"], info["Priority"]) == ("gpu", "cmn", "80")
    assert read_info(job)["ChunkSize"] == "2"                       # tasks are chunks of frames
    assert submit_argv("deadlinecommand", jobs) == ["deadlinecommand", "-SubmitMultipleJobs", "-dependent",
                                                    "-job", subject_job, subject_plugin, "-job", *jobs[1]]
    assert submitted_ids("Submitting...\nJobID=aaa\nResult=Success\nJobID=bbb\n") == ["aaa", "bbb"]


@pytest.fixture
def gappy_plan(tmp_path):
    """A resubmit of two runs of frames with a gap between them (what `status` lists)."""
    plate = make_plate(str(tmp_path / "plate"), frames=[1001, 1002, 1003, 1006, 1007])
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"), chunk_size=2,
                      frames="1001-1003,1006-1007", missing="error")
    return plan_shot(ShotSpec.from_yaml(spec))


def test_deadline10_cuts_a_list_with_gaps_into_one_job_per_run(gappy_plan, tmp_path):
    """Deadline chunks by position in a job's frame list, so no job may hold a gap (a task would span it)."""
    jobs = write_job_files(gappy_plan, str(tmp_path / "d10"), "/jobs/shot.yaml", "cmn-matte")
    assert [read_info(job)["Frames"] for job, _ in jobs] == ["1001-1003", "1006-1007"]
    assert submit_argv("deadlinecommand", jobs)[1:3] == ["-SubmitMultipleJobs", "-dependent"]


def test_opencue_cuts_a_list_with_gaps_into_one_layer_per_run(gappy_plan, tmp_path):
    from cmn_vfx_farm.backends.opencue import build_outline, serialize
    _, xml = serialize(build_outline(subject_plan(gappy_plan), "/jobs/shot.yaml", "cmn-matte"), str(tmp_path / "s"))
    layers = {layer.get("name"): layer.findtext("range") for layer in ET.fromstring(xml).iter("layer")}
    assert layers == {"subject": "1001", "matte_1001": "1001-1003", "matte_1006": "1006-1007"}


@pytest.mark.parametrize("backend,tool,left", [("deadline-cloud", "deadline", "bundle"),
                                               ("deadline10", "deadlinecommand", "deadline10")])
def test_missing_submitter_leaves_the_files(fixed_plan, backend, tool, left, monkeypatch):
    if shutil.which(tool) and backend == "deadline10":
        pytest.skip(f"{tool} is installed here")
    monkeypatch.setattr(deadline_cloud, "_client", lambda: (None, None))     # as without the deadline package
    with pytest.raises(CMNError, match=f"{tool}.*(not installed|not on PATH)"):
        get_backend(backend)(fixed_plan, SubmitOptions())
    (job,) = os.listdir(os.path.join(fixed_plan.spec.output, "jobs"))
    folder = os.path.join(fixed_plan.spec.output, "jobs", job)
    assert sorted(os.listdir(folder)) == sorted([left, "shot.yaml"])
    frozen = ShotSpec.from_yaml(os.path.join(folder, "shot.yaml"))
    assert frozen.to_dict() == fixed_plan.spec.to_dict()


def test_opencue_without_pyoutline_writes_nothing(fixed_plan, monkeypatch):
    monkeypatch.setitem(sys.modules, "outline", None)        # as on a machine without pyoutline
    with pytest.raises(CMNError, match="pyoutline"):
        get_backend("opencue")(fixed_plan, SubmitOptions())
    assert not os.path.exists(os.path.join(fixed_plan.spec.output, "jobs"))


def test_opencue_dry_run_with_the_real_pyoutline(tmp_path):
    """The job XML pyoutline writes parses; a spec path with a space stays one argument; show, facility,
    service and priority are the options'; the matte layer depends on the subject layer."""
    import outline  # noqa: F401  (the farm extra installs it: this test must run, not skip)
    root = tmp_path / "shot dir"
    plate = make_plate(str(root / "plate"), frames=range(1001, 1009))
    spec = write_spec(str(root / "shot.yaml"), plate=plate, output=str(root / "out"), frames="1001-1008",
                      chunk_size=3, subject="main")
    got = cmn_farm("submit", spec, "--backend", "opencue", "--dry-run", "--json", "--show", "abc",
                   "--facility", "cloud", "--service", "cmngpu", "--priority", "40")
    assert got.returncode == 0, got.stderr
    job_dir = os.path.join(root, "out", "jobs", json.loads(got.stdout)["job_id"])
    root_el = ET.parse(os.path.join(job_dir, "opencue.xml")).getroot()
    assert (root_el.findtext("show"), root_el.findtext("facility"), root_el.findtext("shot")) == ("abc", "cloud", "sh010")
    assert root_el.find("job").findtext("priority") == "40"
    layers = {layer.get("name"): layer for layer in root_el.iter("layer")}
    assert list(layers) == ["subject", "matte"]
    matte = shlex.split(layers["matte"].findtext("cmd"))
    assert matte[matte.index("--spec") + 1] == os.path.join(job_dir, "shot.yaml")     # one argument, space kept
    assert matte[matte.index("--frames") + 1] == "#FRAME_START#-#FRAME_END#"
    assert (layers["matte"].findtext("range"), layers["matte"].findtext("chunk")) == ("1001-1008", "3")
    assert "--resolve-subject" in shlex.split(layers["subject"].findtext("cmd"))
    assert {layer.findtext("services/service") for layer in layers.values()} == {"cmngpu"}
    (depend,) = root_el.iter("depend")
    assert (depend.get("type"), depend.findtext("deplayer"), depend.findtext("onlayer")) == \
        ("LAYER_ON_LAYER", "matte", "subject")
