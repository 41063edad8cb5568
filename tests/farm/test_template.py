"""The OpenJD template: `openjd check` accepts it, and OpenJD's runner cuts the plan's chunks."""
from __future__ import annotations

import os
import re
import subprocess

from cmn_vfx.shot import ShotSpec
from farm.plan import plan_shot
from farm.template import TEMPLATE_PATH, job_parameters, job_template

from farm_helpers import VENV_BIN


def openjd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(VENV_BIN, "openjd"), *args], capture_output=True, text=True, timeout=300)


def test_openjd_check_accepts_template():
    got = openjd("check", TEMPLATE_PATH)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "passes validation" in got.stdout


def test_template_structure():
    doc = job_template()
    assert doc["specificationVersion"] == "jobtemplate-2023-09"
    assert doc["extensions"] == ["TASK_CHUNKING"]
    (step,) = doc["steps"]
    (param,) = step["parameterSpace"]["taskParameterDefinitions"]
    assert param["type"] == "CHUNK[INT]"
    assert param["chunks"] == {"defaultTaskCount": "{{Param.ChunkSize}}", "rangeConstraint": "CONTIGUOUS"}
    assert step["script"]["actions"]["onRun"]["args"] == [
        "run", "--spec", "{{Param.ShotSpec}}", "--frames", "{{Task.Param.Frames}}"]
    assert [e["name"] for e in step["stepEnvironments"]] == ["CmnMatteSession"]


def test_openjd_runner_cuts_the_planned_chunks(spec_path):
    """`openjd run` with `echo` as cmn-matte prints each task's command: one per planned chunk."""
    plan = plan_shot(ShotSpec.from_yaml(spec_path), chunk_size=5)
    params = job_parameters(plan, spec_path, cmn_matte="echo")
    args = [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
    got = openjd("run", TEMPLATE_PATH, *args)
    assert got.returncode == 0, got.stdout[-2000:]
    ran = re.findall(r"run --spec (\S+) --frames (\S+)", got.stdout)
    assert ran == [(os.path.abspath(spec_path), c.text) for c in plan.chunks]
    assert [c.text for c in plan.chunks] == ["1001-1004", "1005-1008", "1009-1012"]
