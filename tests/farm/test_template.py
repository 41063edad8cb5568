"""The OpenJD template: `openjd check` accepts it, and OpenJD's runner cuts the plan's chunks."""
from __future__ import annotations

import os
import re
import subprocess

from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.plan import plan_shot
from cmn_vfx_farm.template import TEMPLATE_PATH, job_parameters, job_steps, job_template, template_text

from farm_helpers import VENV_BIN


def openjd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(VENV_BIN, "openjd"), *args], capture_output=True, text=True, timeout=300)


def spec_template(spec: ShotSpec, folder: str) -> str:
    """The template a job of `spec` carries, as a file (the steps the spec asks for)."""
    path = os.path.join(folder, "template.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(template_text(**job_steps(spec)))
    return path


def test_openjd_check_accepts_template():
    got = openjd("check", TEMPLATE_PATH)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "passes validation" in got.stdout


def test_template_structure():
    doc = job_template()
    assert doc["specificationVersion"] == "jobtemplate-2023-09"
    assert doc["extensions"] == ["TASK_CHUNKING"]
    subject, step = doc["steps"]
    assert (subject["name"], step["name"], step["dependencies"]) == ("Subject", "Matte", [{"dependsOn": "Subject"}])
    assert subject["script"]["actions"]["onRun"]["args"][0] == "subject"
    (param,) = step["parameterSpace"]["taskParameterDefinitions"]
    assert param["type"] == "CHUNK[INT]"
    assert param["chunks"] == {"defaultTaskCount": "{{Param.ChunkSize}}", "rangeConstraint": "CONTIGUOUS"}
    on_run = step["script"]["actions"]["onRun"]
    assert on_run["command"] == "{{Param.CmnFarm}}"
    assert on_run["args"][:2] == ["session", "task"]
    assert on_run["args"][-2:] == ["--frames", "{{Task.Param.Frames}}"]
    (env,) = step["stepEnvironments"]
    assert env["script"]["actions"]["onEnter"]["args"][:2] == ["session", "start"]
    assert env["script"]["actions"]["onExit"]["args"][:2] == ["session", "stop"]
    paths = {p["name"] for p in doc["parameterDefinitions"] if p["type"] == "PATH"}
    assert paths == {"ShotSpec", "Plate", "Model", "OutputDir"}
    for args in (subject["script"]["actions"]["onRun"]["args"], on_run["args"],
                 env["script"]["actions"]["onEnter"]["args"]):   # every command that reads the spec maps it
        pairs = dict(zip(args[::2], args[1::2])) | dict(zip(args[1::2], args[2::2]))
        assert {pairs[f"--{k}"] for k in ("spec", "plate", "model", "output", "path-mapping-rules")} == {
            "{{Param.ShotSpec}}", "{{Param.Plate}}", "{{Param.Model}}", "{{Param.OutputDir}}",
            "{{Session.PathMappingRulesFile}}"}


def test_without_a_subject_the_template_has_one_step():
    (step,) = job_template(subject=False)["steps"]
    assert step["name"] == "Matte" and "dependencies" not in step


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
    got = openjd("run", spec_template(plan.spec, os.path.dirname(spec_path)), *args)
    assert got.returncode == 0, got.stdout[-2000:]
    assert "resident cmn-matte did not start" in got.stdout
    ran = re.findall(r"run --spec (\S+) --frames (\S+) --no-progress", got.stdout)
    assert [f for _, f in ran] == [c.text for c in plan.chunks]
    assert all(s.endswith("/shot.mapped.yaml") for s, _ in ran)     # the spec as this worker maps it
    assert [c.text for c in plan.chunks] == ["1001-1004", "1005-1008", "1009-1012"]


def test_openjd_runner_runs_a_scattered_resubmit(spec_path):
    """Issue 29 D5: `submit --frames 1003-1009x3,1011` (status's todo) reaches OpenJD as a range it reads,
    and its runner cuts one chunk per run of consecutive frames, as planned."""
    spec = ShotSpec.from_yaml(spec_path)
    spec.model = os.path.join(os.path.dirname(spec_path), "no_such_model.pt")   # no server: tasks echo
    spec.to_yaml(spec_path)
    plan = plan_shot(ShotSpec.from_yaml(spec_path), "1003-1009x3,1011")
    params = job_parameters(plan, spec_path, cmn_matte="echo")
    got = openjd("run", spec_template(plan.spec, os.path.dirname(spec_path)), *[a for k, v in params.items() for a in ("-p", f"{k}={v}")])
    assert got.returncode == 0, got.stdout[-2000:]
    ran = re.findall(r"run --spec \S+ --frames (\S+) --no-progress", got.stdout)
    assert ran == [c.text for c in plan.chunks] == ["1003-1003", "1006-1006", "1009-1009", "1011-1011"]
