"""Thinkbox Deadline 10: job-info and plugin-info files for `deadlinecommand` (CommandLine plugin).

The matte job's tasks are chunks of frames: Deadline cuts `Frames` into tasks of `ChunkSize`
frames and each task runs
    cmn-matte run --spec SHOT.yaml --frames <STARTFRAME>-<ENDFRAME>
(fixed size, the last chunk shorter; OpenJD spreads frames evenly, so chunk edges may differ
from `cmn-farm plan`). Deadline chunks by position in the frame list, so a list with gaps could
give a task spanning a gap: such a list becomes one matte job per run of consecutive frames
(job_info_1001.job, job_info_1010.job, ...), submitted one after another (see below).

With `keys:` a teach job comes first (one task: cmn-farm teach --spec SHOT.yaml, farm/worker/teach.py)
and the subject and matte jobs run SHOT.matte.yaml, the spec with the taught model (beside SHOT.yaml).
With `subject: main` or picks a subject job (one task: cmn-matte run --spec SHOT.yaml
--resolve-subject) comes next and the matte job depends on it: all jobs go in one
`deadlinecommand -SubmitMultipleJobs -dependent -job ... -job ...`, which makes each job depend
on the one before (so the runs of a list with gaps also run in turn, each with its chunks in
parallel; and teach, subject, matte run in that order). Pool, group and priority go into every job-info file.
Files go to OUT/jobs/<job_id>/deadline10/; with `deadlinecommand` on PATH they are submitted,
else the error gives the command that submits them.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess

from cmn_vfx.errors import CMNError
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Plan, runs
from cmn_vfx_farm.template import has_subject_step, has_teach_step
from cmn_vfx_farm.taught import matte_spec

DEFAULT_PRIORITY = 50


def job_info(plan: Plan, spec_path: str, extra: dict | None = None, frames: str | None = None) -> dict[str, str]:
    """Keys of a matte job's job-info file (Deadline's names); `frames`: its run of frames (default: all)."""
    return {
        "Plugin": "CommandLine",
        "Name": f"CMN matte {plan.name}" + (f" {frames}" if frames else ""),
        "BatchName": plan.name,
        "Frames": frames or plan.frame_range,
        "ChunkSize": str(plan.chunk_size),
        **_placement(extra or {}),
        "OutputDirectory0": os.path.join(plan.spec.output, "alpha"),
        "OutputFilename0": os.path.basename(plan.layout.alpha_pattern),
        "OutputDirectory1": os.path.join(plan.spec.output, "fg"),
        "OutputFilename1": os.path.basename(plan.layout.fg_pattern),
        "EnvironmentKeyValue0": "PYTHONUNBUFFERED=1",
        "ExtraInfoKeyValue0": f"CmnShotSpec={spec_path}",
    }


def subject_job_info(plan: Plan, extra: dict | None = None, what: str = "subject") -> dict[str, str]:
    """A first job (`what`: subject, teach): one task over the whole shot before the matte job starts."""
    return {"Plugin": "CommandLine", "Name": f"CMN {what} {plan.name}", "BatchName": plan.name,
            "Frames": str(plan.frames[0]), "ChunkSize": "1", **_placement(extra or {}),
            "EnvironmentKeyValue0": "PYTHONUNBUFFERED=1"}


def _placement(extra: dict) -> dict[str, str]:
    keys = {"Priority": str(DEFAULT_PRIORITY if extra.get("priority") is None else extra["priority"])}
    for key in ("pool", "group"):
        if extra.get(key):
            keys[key.capitalize()] = extra[key]
    return keys


def plugin_info(spec_path: str, cmn_matte: str, task: str = "--frames <STARTFRAME>-<ENDFRAME>") -> dict[str, str]:
    """Keys of the CommandLine plugin-info file; <QUOTE> keeps paths with spaces whole."""
    return {
        "Executable": cmn_matte,
        "Arguments": f"run --spec <QUOTE>{spec_path}<QUOTE> {task} --no-progress",
        "Shell": "default",
        "ShellExecute": "False",
        "StartupDirectory": "",
    }


def write_info(path: str, keys: dict[str, str]) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(f"{k}={v}\n" for k, v in keys.items())
    return path


def read_info(path: str) -> dict[str, str]:
    """A job-info or plugin-info file back as a dict (what deadlinecommand reads)."""
    with open(path, encoding="utf-8") as fh:
        return dict(line.rstrip("\n").split("=", 1) for line in fh if "=" in line)


def write_job_files(plan: Plan, folder: str, spec_path: str, cmn_matte: str,
                    extra: dict | None = None) -> list[tuple[str, str]]:
    """(job-info, plugin-info) pairs in submission order: the subject job first when there is one, then a matte
    job (one per run of consecutive frames when the list has gaps)."""
    os.makedirs(folder, exist_ok=True)
    jobs = []
    if has_teach_step(plan.spec):
        teach = {"Executable": "cmn-farm", "Arguments": f"teach --spec <QUOTE>{spec_path}<QUOTE> --cmn-matte "
                 f"<QUOTE>{cmn_matte}<QUOTE>", "Shell": "default", "ShellExecute": "False", "StartupDirectory": ""}
        jobs.append((write_info(os.path.join(folder, "teach_job_info.job"), subject_job_info(plan, extra, "teach")),
                     write_info(os.path.join(folder, "teach_plugin_info.job"), teach)))
    # with keys the subject and matte jobs run the taught model (SHOT.matte.yaml)
    matte = matte_spec(spec_path, os.path.dirname(spec_path)) if has_teach_step(plan.spec) else spec_path
    if has_subject_step(plan.spec):
        jobs.append((write_info(os.path.join(folder, "subject_job_info.job"), subject_job_info(plan, extra)),
                     write_info(os.path.join(folder, "subject_plugin_info.job"),
                                plugin_info(matte, cmn_matte, "--resolve-subject"))))
    plugin = write_info(os.path.join(folder, "plugin_info.job"), plugin_info(matte, cmn_matte))
    frame_runs = runs(list(plan.frames))
    if len(frame_runs) == 1:
        return jobs + [(write_info(os.path.join(folder, "job_info.job"), job_info(plan, spec_path, extra)), plugin)]
    for run in frame_runs:
        text = f"{run[0]}-{run[-1]}"
        jobs.append((write_info(os.path.join(folder, f"job_info_{run[0]}.job"), job_info(plan, spec_path, extra, text)),
                     plugin))
    return jobs


def submit_argv(command: str, jobs: list[tuple[str, str]]) -> list[str]:
    """deadlinecommand's arguments: one job as is, several (subject, matte runs) as a chain of dependent jobs."""
    if len(jobs) == 1:
        return [command, *jobs[0]]
    return [command, "-SubmitMultipleJobs", "-dependent", *[a for pair in jobs for a in ("-job", *pair)]]


def submitted_ids(output: str) -> list[str]:
    """The JobID=... lines deadlinecommand prints, one per job, in order."""
    return [line.split("=", 1)[1].strip() for line in output.splitlines() if line.startswith("JobID=")]


def submit(plan: Plan, options: SubmitOptions) -> SubmitResult:
    job_id, job_dir, spec_path = new_job_dir(plan)
    folder = os.path.join(job_dir, "deadline10")
    jobs = write_job_files(plan, folder, spec_path, options.cmn_matte or "cmn-matte", options.extra)
    result = SubmitResult(job_id, "deadline10", plan, log=None, job_dir=job_dir)
    if options.dry_run:
        return result
    command = shutil.which("deadlinecommand")
    if command is None:
        raise CMNError(f"deadline10: `deadlinecommand` is not on PATH; the job files are in {folder}: "
                       f"submit them with `{shlex.join(submit_argv('deadlinecommand', jobs))}`")
    got = subprocess.run(submit_argv(command, jobs), capture_output=True, text=True, timeout=600)
    ids = submitted_ids(got.stdout)
    if got.returncode != 0 or len(ids) != len(jobs):
        last = (got.stderr or got.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CMNError(f"deadline10: deadlinecommand failed ({last[0]}); the job files are in {folder}")
    result.job_id = ids[-1]
    return result
