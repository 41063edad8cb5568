"""Thinkbox Deadline 10: job-info and plugin-info files for `deadlinecommand`.

The CommandLine plugin runs, per task,
    cmn-matte run --spec SHOT.yaml --frames <STARTFRAME>-<ENDFRAME>
Deadline cuts `Frames` into tasks of `ChunkSize` frames itself (fixed size, the
last chunk shorter; OpenJD spreads frames evenly, so chunk edges may differ from
`cmn-farm plan`). Deadline chunks by position in the frame list, so a list with
gaps could give a task spanning a gap: such ranges are refused here.
Files go to OUT/jobs/<job_id>/deadline10/; with `deadlinecommand` on PATH they
are submitted, else the error says how to submit them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from cmn_vfx.errors import BadInputError, CMNError
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Plan


def job_info(plan: Plan, spec_path: str) -> dict[str, str]:
    """Keys of the job-info file (Deadline's names)."""
    return {
        "Plugin": "CommandLine",
        "Name": f"CMN matte {plan.name}",
        "BatchName": plan.name,
        "Frames": plan.frame_range,
        "ChunkSize": str(plan.chunk_size),
        "OutputDirectory0": os.path.join(plan.spec.output, "alpha"),
        "OutputFilename0": os.path.basename(plan.layout.alpha_pattern),
        "OutputDirectory1": os.path.join(plan.spec.output, "fg"),
        "OutputFilename1": os.path.basename(plan.layout.fg_pattern),
        "EnvironmentKeyValue0": "PYTHONUNBUFFERED=1",
        "ExtraInfoKeyValue0": f"CmnShotSpec={spec_path}",
    }


def plugin_info(spec_path: str, cmn_matte: str) -> dict[str, str]:
    """Keys of the CommandLine plugin-info file; <QUOTE> keeps paths with spaces whole."""
    return {
        "Executable": cmn_matte,
        "Arguments": f"run --spec <QUOTE>{spec_path}<QUOTE> --frames <STARTFRAME>-<ENDFRAME>",
        "Shell": "default",
        "ShellExecute": "False",
        "StartupDirectory": "",
    }


def write_info(path: str, keys: dict[str, str]) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(f"{k}={v}\n" for k, v in keys.items())
    return path


def write_job_files(plan: Plan, folder: str, spec_path: str, cmn_matte: str) -> tuple[str, str]:
    """job_info.job and plugin_info.job in `folder`; BadInputError for frame lists with gaps."""
    if len(plan.frames) != plan.frames[-1] - plan.frames[0] + 1:
        raise BadInputError(f"deadline10: frames {plan.frame_range} have gaps and Deadline could cut a task "
                            "across one; submit each consecutive range separately")
    os.makedirs(folder, exist_ok=True)
    return (write_info(os.path.join(folder, "job_info.job"), job_info(plan, spec_path)),
            write_info(os.path.join(folder, "plugin_info.job"), plugin_info(spec_path, cmn_matte)))


def submit(plan: Plan, options: SubmitOptions) -> SubmitResult:
    job_id, job_dir, spec_path = new_job_dir(plan)
    job_file, plugin_file = write_job_files(plan, os.path.join(job_dir, "deadline10"), spec_path,
                                            options.cmn_matte or "cmn-matte")
    result = SubmitResult(job_id, "deadline10", plan, log=None, job_dir=job_dir)
    if options.dry_run:
        return result
    command = shutil.which("deadlinecommand")
    if command is None:
        raise CMNError(f"deadline10: `deadlinecommand` is not on PATH; the job files are in {os.path.dirname(job_file)}: "
                       f"submit them with `deadlinecommand {job_file} {plugin_file}`")
    got = subprocess.run([command, job_file, plugin_file], capture_output=True, text=True, timeout=600)
    found = re.search(r"^JobID=(\S+)", got.stdout, re.MULTILINE)
    if got.returncode != 0 or not found:
        last = (got.stderr or got.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CMNError(f"deadline10: deadlinecommand failed ({last[0]}); the job files are in {os.path.dirname(job_file)}")
    result.job_id = found.group(1)
    return result
