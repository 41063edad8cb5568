"""subject: main or picks is resolved by a first job step on a worker, which the matte step depends on;
`cmn-farm submit` itself reads nothing but headers (no network, no prior, no pixels)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml
from farm_helpers import VENV_BIN, make_plate, write_spec

from cmn_vfx_farm import cli
from cmn_vfx_farm.backends import deadline_cloud
from cmn_vfx_farm.backends.deadline10 import read_info
from cmn_vfx_farm.template import job_parameters

FIRST, LAST = 1001, 2000
NEVER = ("torch", "cmn_vfx.model", "cmn_vfx.prior", "cmn_vfx.engine.matte", "cmn_vfx.cli")


@pytest.fixture(scope="module")
def long_spec(tmp_path_factory) -> str:
    """A 1,000-frame plate (one tiny EXR, hard-linked) and a spec that picks the main person."""
    root = tmp_path_factory.mktemp("long")
    plate = make_plate(str(root / "plate"), frames=[FIRST])
    for frame in range(FIRST + 1, LAST + 1):
        os.link(plate.replace("####", str(FIRST)), plate.replace("####", str(frame)))
    return write_spec(str(root / "shot.yaml"), plate=plate, output=str(root / "out"), chunk_size=10, subject="main")


class FakeDeadlineApi:
    @staticmethod
    def create_job_from_job_bundle(bundle, **kwargs):  # noqa: ARG004
        return "job-0123456789abcdef0123456789abcdef"


def subject_steps(backend: str, job_dir: str) -> list:
    """The job's steps/layers/jobs in order, as its backend's files describe them."""
    if backend == "local":
        steps = yaml.safe_load(open(os.path.join(job_dir, "template.yaml")))["steps"]
        return [(s["name"], [d["dependsOn"] for d in s.get("dependencies", [])]) for s in steps]
    if backend == "deadline-cloud":
        steps = yaml.safe_load(open(os.path.join(job_dir, "bundle", "template.yaml")))["steps"]
        return [(s["name"], [d["dependsOn"] for d in s.get("dependencies", [])]) for s in steps]
    if backend == "deadline10":
        folder = os.path.join(job_dir, "deadline10")
        return [read_info(os.path.join(folder, f))["Name"].split()[1] for f in ("subject_job_info.job", "job_info.job")]
    xml = ET.parse(os.path.join(job_dir, "opencue.xml")).getroot()
    return [layer.get("name") for layer in xml.iter("layer")] + [d.findtext("onlayer") for d in xml.iter("depend")]


@pytest.mark.parametrize("backend,args,expected", [
    ("local", ["--dry-run"], [("Subject", []), ("Matte", ["Subject"])]),
    ("deadline-cloud", ["--farm-id", "farm-1", "--queue-id", "queue-1"], [("Subject", []), ("Matte", ["Subject"])]),
    ("deadline10", ["--dry-run"], ["subject", "matte"]),
    ("opencue", ["--dry-run"], ["subject", "matte", "subject"]),
])
def test_submit_of_1000_frames_reads_only_headers(long_spec, backend, args, expected, monkeypatch, capsys, tmp_path):
    import cmn_vfx.io.image as image
    for name in NEVER:                                       # the network, the prior, cmn-matte's own pass
        monkeypatch.setitem(sys.modules, name, None)
    headers = []
    info = image.image_info
    monkeypatch.setattr(image, "image_info", lambda path: headers.append(path) or info(path))
    monkeypatch.setattr(image, "_read", lambda *a, **k: pytest.fail("submit decoded plate pixels"))
    monkeypatch.setattr(deadline_cloud, "_client", lambda: (FakeDeadlineApi, __import__(
        "deadline.client.config.config_file", fromlist=["x"])))
    monkeypatch.setenv("DEADLINE_CONFIG_FILE_PATH", str(tmp_path / "deadline.cfg"))
    assert cli.main(["submit", long_spec, "--backend", backend, "--json", *args]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == f"{FIRST}-{LAST}"
    assert len(set(headers)) == LAST - FIRST + 1 and len(headers) <= LAST - FIRST + 2     # each header once
    job_dir = os.path.join(os.path.dirname(long_spec), "out", "jobs")
    (job,) = [d for d in os.listdir(job_dir) if d.startswith("sh010-") and
              backend_folder(os.path.join(job_dir, d), backend)]
    assert subject_steps(backend, os.path.join(job_dir, job)) == expected
    assert not os.path.exists(os.path.join(os.path.dirname(long_spec), "out", ".cmn"))  # nothing resolved here


def backend_folder(job_dir: str, backend: str) -> bool:
    return os.path.exists(os.path.join(job_dir, {"local": "template.yaml", "deadline-cloud": "bundle",
                                                  "deadline10": "deadline10", "opencue": "opencue.xml"}[backend]))


def test_openjd_runs_the_subject_step_before_any_matte_task(tmp_path, plate):
    """`openjd run` with `echo` as cmn-matte: the subject pass runs once, first, on the spec as the worker maps it;
    the matte tasks follow on the same mapped spec (so they read the boxes the subject step stored in its OUT)."""
    from cmn_vfx.job.spec import ShotSpec
    from cmn_vfx_farm.plan import plan_shot
    from cmn_vfx_farm.template import job_template
    spec_path = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"), frames="1001-1008",
                           chunk_size=4, subject="main", model=str(tmp_path / "none.pt"))
    plan = plan_shot(ShotSpec.from_yaml(spec_path))
    template = str(tmp_path / "template.yaml")
    yaml.safe_dump(job_template(subject=True), open(template, "w"))
    params = job_parameters(plan, spec_path, cmn_matte="echo")
    got = subprocess.run([os.path.join(VENV_BIN, "openjd"), "run", template,
                          *[a for k, v in params.items() for a in ("-p", f"{k}={v}")]],
                         capture_output=True, text=True, timeout=300)
    assert got.returncode == 0, got.stdout[-2000:]
    ran = re.findall(r"^.*?\brun --spec (\S+) (--resolve-subject|--frames \S+) --no-progress$", got.stdout, re.M)
    assert [what for _, what in ran] == ["--resolve-subject", "--frames 1001-1004", "--frames 1005-1008"]
    specs = {os.path.basename(spec) for spec, _ in ran}
    assert specs == {"shot.mapped.yaml"}
