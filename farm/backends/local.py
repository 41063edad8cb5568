"""Run a shot's job on this machine through Open Job Description's own runner.

Each worker is one `openjd run` session (python -m openjd) over the job template
with an explicit list of chunks (--tasks), exactly as a farm worker would run
them: the step environment is entered once per session, then the chunks run one
after another. Chunk i goes to worker i % N, so N workers stay busy to the end.

Progress is read from the outputs (frames with both files on disk), so it is the
same whether the tasks are ours or a rerun. A chunk that failed (its session
stops there) is rerun up to `retries` times: tasks are idempotent, finished
frames are skipped. With --detach the runner is started as its own process
(`python -m cmn_vfx_farm.backends.local JOB_DIR`) and submit returns at once.

    OUT/jobs/<job_id>/  shot.yaml  template.yaml  params.json  job.json
                        tasks-<k>.json  worker-<k>.log  job.log
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import TextIO

from cmn_vfx.errors import CMNError, PartialFailure
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Chunk, Plan, plan_shot
from cmn_vfx_farm.status import outputs_present, shot_status
from cmn_vfx_farm.template import TASK_PARAMETER, job_parameters, template_text

POLL_SECONDS = 0.5


def submit(plan: Plan, options: SubmitOptions) -> SubmitResult:
    """Write the job folder and run it (or start it detached)."""
    if options.workers < 1:
        raise CMNError(f"--workers {options.workers} must be >= 1")
    job_id, job_dir, spec_path = new_job_dir(plan)
    with open(os.path.join(job_dir, "template.yaml"), "w", encoding="utf-8") as fh:
        fh.write(template_text())
    _write_json(os.path.join(job_dir, "params.json"), job_parameters(plan, spec_path, options.cmn_matte))
    _write_json(os.path.join(job_dir, "job.json"), {"job_id": job_id, "frames": plan.frame_range,
                                                    "chunk_size": plan.chunk_size, "workers": options.workers,
                                                    "retries": int(options.extra.get("retries", 1))})
    log = os.path.join(job_dir, "job.log")
    result = SubmitResult(job_id, "local", plan, log=log, job_dir=job_dir)
    if options.dry_run:
        return result
    if options.detach:
        with open(log, "ab") as out:
            subprocess.Popen([sys.executable, "-m", "cmn_vfx_farm.backends.local", job_dir], stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return result
    run_job(job_dir, progress=sys.stderr)
    return result


def run_job(job_dir: str, progress: TextIO | None = None) -> None:
    """Run the job in `job_dir` to the end; PartialFailure names the frames still missing."""
    with open(os.path.join(job_dir, "job.json"), encoding="utf-8") as fh:
        job = json.load(fh)
    plan = plan_shot(ShotSpec.from_yaml(os.path.join(job_dir, "shot.yaml")), job["frames"], job["chunk_size"])
    with open(os.path.join(job_dir, "job.log"), "a", encoding="utf-8") as log:
        def say(line: str) -> None:
            for stream in (log, progress):
                if stream is not None:
                    print(line, file=stream, flush=True)

        say(f"{job['job_id']}: {len(plan.frames)} frames in {len(plan.chunks)} chunks, {job['workers']} worker(s)")
        todo = list(plan.chunks)
        for attempt in range(1 + job["retries"]):
            if attempt:
                say(f"retry {attempt}: rerunning chunk(s) {', '.join(c.text for c in todo)}")
            _run_workers(job_dir, plan, todo, job["workers"], attempt, say)
            status = shot_status(plan)
            todo = [c for c in plan.chunks if set(c.frames) & set(status.todo)]
            if not todo:
                break
        say(status.summary())
        if not status.complete:
            raise PartialFailure(f"{plan.name}: frames {status.todo_range} were not written; "
                                 f"see the worker logs in {job_dir} and resubmit with --frames {status.todo_range}")


def _run_workers(job_dir: str, plan: Plan, chunks: list[Chunk], workers: int, attempt: int, say) -> list[int]:
    """One `openjd run` session per worker over its share of `chunks`; returns their exit codes."""
    procs = []
    for k in range(min(workers, len(chunks))):
        share = [{TASK_PARAMETER: c.text} for c in chunks[k::workers]]
        tasks = _write_json(os.path.join(job_dir, f"tasks-{attempt}-{k}.json"), share)
        cmd = [sys.executable, "-m", "openjd", "run", os.path.join(job_dir, "template.yaml"),
               "--job-param", "file://" + os.path.join(job_dir, "params.json"), "--tasks", "file://" + tasks]
        out = open(os.path.join(job_dir, f"worker-{attempt}-{k}.log"), "w", encoding="utf-8")
        procs.append((subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL), out))
    shown = -1
    while True:
        running = sum(p.poll() is None for p, _ in procs)
        done = outputs_present(plan)
        if done != shown or not running:
            say(f"  {plan.name}: {done}/{len(plan.frames)} frames, {running} worker(s) running")
            shown = done
        if not running:
            break
        time.sleep(POLL_SECONDS)
    for proc, out in procs:
        out.close()
    return [p.returncode for p, _ in procs]


def _write_json(path: str, data: object) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
    return path


def main(argv: list[str] | None = None) -> int:
    """Entry for --detach: python -m cmn_vfx_farm.backends.local JOB_DIR."""
    parser = argparse.ArgumentParser(prog="python -m cmn_vfx_farm.backends.local")
    parser.add_argument("job_dir")
    args = parser.parse_args(argv)
    try:
        run_job(args.job_dir)
    except CMNError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
