"""AWS Deadline Cloud: write a job bundle and submit it with the `deadline` CLI.

The bundle (OUT/jobs/<job_id>/bundle/) is the same OpenJD template that runs
locally, plus
    parameter_values.yaml   parameterValues: [{name, value}, ...]
    asset_references.yaml   assetReferences: inputs (spec + plate frames + checkpoint file),
                            outputs (OUT/alpha, OUT/fg), referencedPaths
so job attachments carry the plate to workers without a shared file system.
When the `deadline` CLI or a default farm/queue is missing, the bundle is left
in place and the error says what to set up and how to submit it by hand.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from cmn_vfx.errors import CMNError
from cmn_vfx.io.atomic import write_yaml
from cmn_vfx.io.sequence import find_sequence
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Plan
from cmn_vfx_farm.template import job_parameters, parameter_values_document, template_text

SUBMIT_TIMEOUT_SECONDS = 600


def asset_references(plan: Plan, spec_path: str) -> dict:
    """The assetReferences document: which files go up, which folders come back."""
    seq = find_sequence(plan.spec.plate)
    inputs = [spec_path] + [seq.path(f) for f in plan.frames if f in set(seq.frames)]
    if os.path.isfile(plan.spec.model):
        inputs.append(os.path.abspath(plan.spec.model))
    return {"assetReferences": {
        "inputs": {"filenames": inputs, "directories": []},
        "outputs": {"directories": [os.path.join(plan.spec.output, "alpha"), os.path.join(plan.spec.output, "fg")]},
        "referencedPaths": [],
    }}


def write_bundle(plan: Plan, bundle_dir: str, spec_path: str, cmn_matte: str | None) -> str:
    """Write template.yaml, parameter_values.yaml and asset_references.yaml into `bundle_dir`."""
    os.makedirs(bundle_dir, exist_ok=True)
    with open(os.path.join(bundle_dir, "template.yaml"), "w", encoding="utf-8") as fh:
        fh.write(template_text())
    # On a farm the worker's own tools (on its PATH, or from a queue environment) run the task.
    params = job_parameters(plan, spec_path, cmn_matte or "cmn-matte", "cmn-farm")
    write_yaml(os.path.join(bundle_dir, "parameter_values.yaml"), parameter_values_document(params))
    write_yaml(os.path.join(bundle_dir, "asset_references.yaml"), asset_references(plan, spec_path))
    return bundle_dir


def missing_setup(deadline: str | None) -> str | None:
    """What stops a submission from this machine, or None when the CLI and a default queue exist."""
    if deadline is None:
        return "the `deadline` CLI is not installed (pip install deadline)"
    for key in ("defaults.farm_id", "defaults.queue_id"):
        got = subprocess.run([deadline, "config", "get", key], capture_output=True, text=True, timeout=60)
        if got.returncode != 0 or not got.stdout.strip():
            return f"no {key} is set (deadline config set {key} ID, or `deadline config gui`)"
    return None


def submit(plan: Plan, options: SubmitOptions) -> SubmitResult:
    job_id, job_dir, spec_path = new_job_dir(plan)
    bundle = write_bundle(plan, os.path.join(job_dir, "bundle"), spec_path, options.cmn_matte)
    result = SubmitResult(job_id, "deadline-cloud", plan, log=None, job_dir=job_dir)
    if options.dry_run:
        return result
    deadline = shutil.which("deadline")
    problem = missing_setup(deadline)
    if problem:
        raise CMNError(f"deadline-cloud: {problem}; the job bundle is in {bundle}: "
                       f"submit it later with `deadline bundle submit {bundle}`")
    got = subprocess.run([deadline, "bundle", "submit", "--yes", bundle], capture_output=True, text=True,
                         timeout=SUBMIT_TIMEOUT_SECONDS)
    found = re.search(r"\bjob-[0-9a-f]{32}\b", got.stdout + got.stderr)
    if got.returncode != 0 or not found:
        last = (got.stderr or got.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CMNError(f"deadline-cloud: `deadline bundle submit` failed ({last[0]}); "
                       f"the bundle is in {bundle}; check `deadline auth status` and resubmit it")
    result.job_id = found.group(0)
    return result
