"""The Open Job Description job template for one shot, and its parameter values.

The template (farm/templates/cmn_matte.yaml, jobtemplate-2023-09 with the
TASK_CHUNKING extension) has one step whose CHUNK[INT] task parameter `Frames`
ranges over the shot's frames in CONTIGUOUS chunks of `ChunkSize`; each task runs

    cmn-matte run --spec {{Param.ShotSpec}} --frames {{Task.Param.Frames}}

handed to a resident cmn-matte that the step environment starts once per worker
session (farm/session.py), or run as its own process when there is none. The same file runs locally (`openjd run`) and on AWS Deadline Cloud. No
targetRuntimeSeconds: adaptive chunk sizes would make the chunks differ from
`cmn-farm plan` and change which frames warm up where.
"""
from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from cmn_vfx_farm.plan import Plan

TEMPLATE_PATH = os.path.join(os.path.dirname(__file__), "templates", "cmn_matte.yaml")
STEP_NAME = "Matte"
TASK_PARAMETER = "Frames"


def job_template() -> dict[str, Any]:
    """The template as a dict (a fresh copy each call)."""
    import yaml
    with open(TEMPLATE_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def template_text() -> str:
    """The template file's text, comments included (what job bundles carry)."""
    with open(TEMPLATE_PATH, encoding="utf-8") as fh:
        return fh.read()


def local_tool(name: str) -> str:
    """`name` next to the running Python (a venv's bin/), else on PATH, else the bare name."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.path.isfile(candidate) else (shutil.which(name) or name)


def job_parameters(plan: Plan, spec_path: str, cmn_matte: str | None = None,
                   cmn_farm: str | None = None) -> dict[str, str | int]:
    """Values for the template's job parameters (name -> value); tools default to this machine's."""
    return {
        "ShotSpec": os.path.abspath(spec_path),
        "OutputDir": plan.spec.output,
        "ShotName": plan.name,
        "Frames": plan.openjd_range,
        "ChunkSize": plan.chunk_size,
        "CmnMatte": cmn_matte or local_tool("cmn-matte"),
        "CmnFarm": cmn_farm or local_tool("cmn-farm"),
    }


def parameter_values_document(params: dict[str, str | int]) -> dict[str, Any]:
    """The `parameterValues` document of a Deadline job bundle (`openjd run` takes the plain dict)."""
    return {"parameterValues": [{"name": k, "value": v} for k, v in params.items()]}
