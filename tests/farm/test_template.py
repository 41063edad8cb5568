"""The OpenJD template: `openjd check` accepts it, and OpenJD's runner cuts the plan's chunks."""
from __future__ import annotations

import os
import re
import subprocess

from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.plan import plan_shot
from cmn_vfx_farm.template import TEMPLATE_PATH, job_parameters, job_template

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
    on_run = step["script"]["actions"]["onRun"]
    assert on_run["command"] == "{{Param.CmnFarm}}"
    assert on_run["args"][:2] == ["session", "task"]
    assert on_run["args"][-4:] == ["--spec", "{{Param.ShotSpec}}", "--frames", "{{Task.Param.Frames}}"]
    (env,) = step["stepEnvironments"]
    assert env["script"]["actions"]["onEnter"]["args"][:2] == ["session", "start"]
    assert env["script"]["actions"]["onExit"]["args"][:2] == ["session", "stop"]


def test_openjd_runner_cuts_the_planned_chunks(spec_path):
    """`openjd run` with `echo` as cmn-matte prints each task's command: one per planned chunk.

    The spec's model does not exist, so the session's resident server does not start
    and every task falls back to running `cmn-matte run ...` (here: echo) itself."""
    spec = ShotSpec.from_yaml(spec_path)
    spec.model = os.path.join(os.path.dirname(spec_path), "no_such_model.pt")
    spec.to_yaml(spec_path)
    plan = plan_shot(ShotSpec.from_yaml(spec_path), chunk_size=5)
    params = job_parameters(plan, spec_path, cmn_matte="echo")
    args = [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
    got = openjd("run", TEMPLATE_PATH, *args)
    assert got.returncode == 0, got.stdout[-2000:]
    assert "resident cmn-matte did not start" in got.stdout
    ran = re.findall(r"run --spec (\S+) --frames (\S+) --no-progress", got.stdout)
    assert ran == [(os.path.abspath(spec_path), c.text) for c in plan.chunks]
    assert [c.text for c in plan.chunks] == ["1001-1004", "1005-1008", "1009-1012"]


def test_openjd_runner_runs_a_scattered_resubmit(spec_path):
    """Issue 29 D5: `submit --frames 1003-1009x3,1011` (status's todo) reaches OpenJD as a range it reads,
    and its runner cuts one chunk per run of consecutive frames, as planned."""
    spec = ShotSpec.from_yaml(spec_path)
    spec.model = os.path.join(os.path.dirname(spec_path), "no_such_model.pt")   # no server: tasks echo
    spec.to_yaml(spec_path)
    plan = plan_shot(ShotSpec.from_yaml(spec_path), "1003-1009x3,1011")
    params = job_parameters(plan, spec_path, cmn_matte="echo")
    got = openjd("run", TEMPLATE_PATH, *[a for k, v in params.items() for a in ("-p", f"{k}={v}")])
    assert got.returncode == 0, got.stdout[-2000:]
    ran = re.findall(r"run --spec \S+ --frames (\S+) --no-progress", got.stdout)
    assert ran == [c.text for c in plan.chunks] == ["1003-1003", "1006-1006", "1009-1009", "1011-1011"]
