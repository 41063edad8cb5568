"""The Open Job Description job template for one shot, its parameter values, and its chunks.

The template (farm/templates/cmn_matte.yaml, jobtemplate-2023-09 with the TASK_CHUNKING
extension) has up to three steps:

    Teach    (keys: only) one task on a worker: `cmn-farm teach ...` teaches the shot's own
             model from the keyframes into OUT/.cmn/taught/<name>.pt (farm/worker/teach.py)
    Subject  (subject: main or picks only) one task on a worker: `cmn-farm subject ...`
             resolves the people over the whole shot into OUT/.cmn/<name>.subject.json;
             after Teach: it opens the network runtime with the model the Matte tasks run
             (the taught one: the base may lack the ONNX export `runtime: onnx` needs)
    Matte    depends on both; with keys it runs the taught model. Its CHUNK[INT] task parameter
             `Frames` ranges over the shot's frames in CONTIGUOUS chunks of `ChunkSize`; each task runs
             `cmn-matte run --spec SHOT.yaml --frames A-B` through `cmn-farm session task`
             (a resident cmn-matte per worker session, farm/worker/session.py)

Plate, model, output and the spec are PATH parameters and each command also gets
{{Session.PathMappingRulesFile}}, so a worker that sees the files under another root maps
them, and the paths inside the spec (farm/worker/pathmap.py). The same template runs locally
(`openjd run`) and on AWS Deadline Cloud. No targetRuntimeSeconds: adaptive chunk sizes would
make the chunks differ from `cmn-farm plan` and change which frames warm up where.

Chunks come from openjd's own StepParameterSpaceIterator over this template's Matte step
(`openjd_chunks`), so `cmn-farm plan` shows exactly what OpenJD runs.
"""
from __future__ import annotations

import os
import shutil
import sys
from typing import Any, Protocol

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.spec import ShotSpec

TEMPLATE_PATH = os.path.join(os.path.dirname(__file__), "templates", "cmn_matte.yaml")
STEP_NAME = "Matte"
SUBJECT_STEP = "Subject"
TEACH_STEP = "Teach"
KEYS_PARAMETER = "Keys"
TASK_PARAMETER = "Frames"
EXTENSIONS = ("TASK_CHUNKING",)


class Plan(Protocol):
    """What the parameters read of a cmn_vfx_farm.plan.Plan (the plan imports this module for its chunks)."""

    spec: ShotSpec
    name: str
    chunk_size: int

    @property
    def openjd_range(self) -> str: ...


def job_template(subject: bool = True, teach: bool = False) -> dict[str, Any]:
    """The template as a dict (a fresh copy each call): the Subject step unless not `subject`, the Teach step and
    the Keys parameter only with `teach`; a dropped step leaves the Matte step's dependencies."""
    import yaml
    with open(TEMPLATE_PATH, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    dropped = {name for name, kept in ((SUBJECT_STEP, subject), (TEACH_STEP, teach)) if not kept}
    doc["steps"] = [s for s in doc["steps"] if s["name"] not in dropped]
    for step in doc["steps"]:
        needs = [d for d in step.pop("dependencies", []) if d["dependsOn"] not in dropped]
        if needs:
            step["dependencies"] = needs
    if not teach:
        doc["parameterDefinitions"] = [p for p in doc["parameterDefinitions"] if p["name"] != KEYS_PARAMETER]
    return doc


def template_text(subject: bool = True, teach: bool = False) -> str:
    """The template a job carries: the file itself (comments kept) with every step, else the dict without some."""
    if subject and teach:
        with open(TEMPLATE_PATH, encoding="utf-8") as fh:
            return fh.read()
    import yaml
    left = " and ".join(name for name, kept in ((TEACH_STEP, teach), (SUBJECT_STEP, subject)) if not kept)
    return (f"# cmn-vfx shot template without the {left} step (no keys: / subject: all); see "
            "farm/templates/cmn_matte.yaml\n"
            + yaml.safe_dump(job_template(subject, teach), sort_keys=False, width=120))


def has_subject_step(spec: ShotSpec) -> bool:
    """True when the spec picks people (subject: main or picks): the job then resolves them in a first step."""
    from cmn_vfx.job.subject_grammar import ALL, parse_subject
    return parse_subject(None if spec.subject is None else str(spec.subject)) != ALL


def has_teach_step(spec: ShotSpec) -> bool:
    """True when the spec has keys: the job then teaches the shot's own model in a first step."""
    return spec.keys is not None


def job_steps(spec: ShotSpec) -> dict[str, bool]:
    """job_template's and template_text's arguments for the spec: which first steps its job has."""
    return {"subject": has_subject_step(spec), "teach": has_teach_step(spec)}


def local_tool(name: str) -> str:
    """`name` next to the running Python (a venv's bin/), else on PATH, else the bare name."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.path.isfile(candidate) else (shutil.which(name) or name)


def model_path(model: str) -> str:
    """The Model PATH parameter: the spec's checkpoint file, or '' for a bundled name (no path to map)."""
    return model if os.path.isabs(model) else ""


def job_parameters(plan: Plan, spec_path: str, cmn_matte: str | None = None,
                   cmn_farm: str | None = None) -> dict[str, str | int]:
    """Values for the template's job parameters (name -> value); tools default to this machine's.
    Keys (the keyframes' pattern) only when the spec has keys: the template has that parameter only then."""
    keys = {KEYS_PARAMETER: plan.spec.keys} if has_teach_step(plan.spec) else {}
    return {
        "ShotSpec": os.path.abspath(spec_path),
        "Plate": plan.spec.plate,
        "Model": model_path(plan.spec.model),
        "OutputDir": plan.spec.output,
        "ShotName": plan.name,
        "Frames": plan.openjd_range,
        "ChunkSize": plan.chunk_size,
        "CmnMatte": cmn_matte or local_tool("cmn-matte"),
        "CmnFarm": cmn_farm or local_tool("cmn-farm"),
        **keys,
    }


def parameter_values_document(params: dict[str, str | int]) -> dict[str, Any]:
    """The `parameterValues` document of a Deadline job bundle (`openjd run` takes the plain dict)."""
    return {"parameterValues": [{"name": k, "value": v} for k, v in params.items()]}


def openjd_job(template: dict[str, Any], params: dict[str, str | int]):
    """The job OpenJD builds from `template` and `params` (openjd.model's public decode and create_job):
    what a farm would build, so a template or a value it refuses is refused here, before a submission."""
    from openjd.model import (DecodeValidationError, ParameterValue, ParameterValueType, create_job,
                              decode_job_template)
    try:
        decoded = decode_job_template(template=template, supported_extensions=EXTENSIONS)
        types = {p.name: p.type.value for p in decoded.parameterDefinitions}
        values = {k: ParameterValue(type=ParameterValueType(types[k]), value=str(v)) for k, v in params.items()}
        return create_job(job_template=decoded, job_parameter_values=values)
    except (DecodeValidationError, ValueError, KeyError) as exc:
        raise BadInputError(f"the job template does not validate with these values ({exc}); "
                            "nothing submitted") from None


def openjd_chunks(frames: str, chunk_size: int) -> list[str]:
    """The Matte step's chunks ('A-B') for an OpenJD range expression, by openjd's StepParameterSpaceIterator."""
    from openjd.model import StepParameterSpaceIterator
    params = {"ShotSpec": "/s.yaml", "Plate": "/p.####.exr", "Model": "", "OutputDir": "/o", "ShotName": "s",
              "Frames": frames, "ChunkSize": chunk_size, "CmnMatte": "m", "CmnFarm": "f"}
    job = openjd_job(job_template(subject=False, teach=False), params)
    (step,) = [s for s in job.steps if s.name == STEP_NAME]
    return [str(task[TASK_PARAMETER].value) for task in StepParameterSpaceIterator(space=step.parameterSpace)]
