"""Run a shot's job on this machine through Open Job Description's own runner.

Each worker is one `openjd run` session (python -m openjd) over the job template
with an explicit list of chunks (--tasks), exactly as a farm worker would run
them: the step environment is entered once per session, then the chunks run one
after another. Chunk i goes to worker i % N, so N workers stay busy to the end.

Progress is read from the outputs (frames with both files on disk), so it is the
same whether the tasks are ours or a rerun. A chunk that failed (its session
stops there) is rerun up to `retries` times: tasks are idempotent, finished
frames are skipped.

The runner is always its own process, `python -m cmn_vfx_farm.backends.local JOB_DIR`:
with --detach in its own session (submit returns at once); without, as a child
that dies with `cmn-farm submit` (it watches its parent; kill -9 of submit, a
SIGTERM or Ctrl-C all stop it). Stopping sends SIGTERM to the workers (OpenJD
cancels the running task, whose engine removes its temp files, and runs the
session's onExit), waits for them and writes the job log's last line; a worker
also gets SIGTERM from the kernel when the runner itself dies (Linux's
PR_SET_PDEATHSIG), and a session's resident server leaves when its worker is
gone (farm/worker/session.py). A rerun of the shot then skips the finished frames.

With `keys:` the template's Teach step runs first, once, as its own `openjd run --step Teach`
session (teach-<attempt>.log); with `subject: main` or picks the Subject step then, the same way
(subject-<attempt>.log; it depends on Teach, farm/template.py); the workers then run the Matte step.

    OUT/jobs/<job_id>/  shot.yaml  template.yaml  params.json  job.json  [teach-<attempt>.log]
                        [subject-<attempt>.log]  tasks-<k>.json  worker-<k>.log  job.log
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from typing import TextIO

from cmn_vfx.errors import CMNError, PartialFailure
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Chunk, Plan, plan_shot
from cmn_vfx_farm.status import outputs_present, shot_status
from cmn_vfx_farm.template import (STEP_NAME, SUBJECT_STEP, TASK_PARAMETER, TEACH_STEP, job_parameters, job_steps,
                                   job_template, openjd_job, template_text)

POLL_SECONDS = 0.5
STOP_SECONDS = 60            # a stopped worker's grace before SIGKILL (its task and onExit run meanwhile)
PR_SET_PDEATHSIG = 1


def submit(plan: Plan, options: SubmitOptions) -> SubmitResult:
    """Write the job folder and run it (or start it detached)."""
    if options.workers < 1:
        raise CMNError(f"--workers {options.workers} must be >= 1")
    steps = job_steps(plan.spec)
    # what `openjd run` will build, by openjd's own model: refused here, before a job folder exists
    openjd_job(job_template(**steps), job_parameters(plan, plan.spec_path or "shot.yaml", options.cmn_matte))
    job_id, job_dir, spec_path = new_job_dir(plan)
    params = job_parameters(plan, spec_path, options.cmn_matte)
    with open(os.path.join(job_dir, "template.yaml"), "w", encoding="utf-8") as fh:
        fh.write(template_text(**steps))
    _write_json(os.path.join(job_dir, "params.json"), params)
    _write_json(os.path.join(job_dir, "job.json"), {"job_id": job_id, "frames": plan.frame_range,
                                                    "chunk_size": plan.chunk_size, "workers": options.workers,
                                                    "retries": _retries(options),
                                                    **steps,
                                                    "spec": plan.spec_path or spec_path})
    log = os.path.join(job_dir, "job.log")
    result = SubmitResult(job_id, "local", plan, log=log, job_dir=job_dir)
    if options.dry_run:
        return result
    if options.detach:
        with open(log, "ab") as out:
            subprocess.Popen([sys.executable, "-m", "cmn_vfx_farm.backends.local", job_dir], stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return result
    _run_attached(job_dir)
    return result


def _retries(options: SubmitOptions) -> int:
    retries = options.extra.get("retries")
    return 1 if retries is None else int(retries)


def _run_attached(job_dir: str) -> None:
    """Run the job in a child runner that stops when this process dies; its failure becomes ours."""
    runner = subprocess.Popen([sys.executable, "-m", "cmn_vfx_farm.backends.local", "--parent", str(os.getpid()),
                               "--progress", job_dir], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        code = runner.wait()
    except KeyboardInterrupt:
        runner.send_signal(signal.SIGINT)       # it may not share our terminal's Ctrl-C
        runner.wait()
        raise
    if code == 130:
        raise KeyboardInterrupt
    if code:
        with open(os.path.join(job_dir, "job.log"), encoding="utf-8") as fh:
            errors = [line[len("error: "):].strip() for line in fh if line.startswith("error: ")]
        error = PartialFailure(errors[-1]) if code == 3 and errors else CMNError(
            errors[-1] if errors else f"the job's runner exited with code {code}; see {job_dir}/job.log")
        error.exit_code = code
        raise error


def run_job(job_dir: str, progress: TextIO | None = None, parent: int | None = None) -> None:
    """Run the job in `job_dir` to the end; PartialFailure names the frames still missing.

    parent: stop (KeyboardInterrupt) when this process is no longer our parent. Whatever ends the
    job, the log's last line says how: the status, `error: ...`, or `stopped: ...`."""
    with open(os.path.join(job_dir, "job.log"), "a", encoding="utf-8") as log:
        def say(line: str, streams: tuple = (log, progress)) -> None:
            for stream in streams:
                if stream is not None:
                    print(line, file=stream, flush=True)

        try:
            _run(job_dir, say, parent)
        except KeyboardInterrupt as stop:
            say(f"stopped: {str(stop) or 'interrupted'}; the frames on disk are kept and a rerun of the shot "
                "skips them")
            raise KeyboardInterrupt from None
        except CMNError as exc:
            say(f"error: {exc}", (log,))         # the submitter (or the detached log's reader) says it once
            raise


def _run(job_dir: str, say, parent: int | None) -> None:
    with open(os.path.join(job_dir, "job.json"), encoding="utf-8") as fh:
        job = json.load(fh)
    plan = plan_shot(ShotSpec.from_yaml(os.path.join(job_dir, "shot.yaml")), job["frames"], job["chunk_size"],
                     job.get("spec"))
    say(f"{job['job_id']}: {len(plan.frames)} frames in {len(plan.chunks)} chunks, {job['workers']} worker(s)")
    for step, doing, fix in FIRST_STEPS:
        if job.get(step.lower()):
            _run_first_step(job_dir, step, job["retries"], say, doing, fix)
    todo = list(plan.chunks)
    for attempt in range(1 + job["retries"]):
        if attempt:
            say(f"retry {attempt}: rerunning chunk(s) {', '.join(c.text for c in todo)}")
        _run_workers(job_dir, plan, todo, job["workers"], attempt, say, parent)
        status = shot_status(plan)
        todo = [c for c in plan.chunks if set(c.frames) & set(status.todo)]
        if not todo:
            break
    say(status.summary())
    if not status.complete:
        raise PartialFailure(f"{plan.name}: frames {status.todo_range} were not written; see the worker logs in "
                             f"{job_dir} and finish with `{status.resubmit_command}`")


def _openjd(job_dir: str, step: str) -> list[str]:
    return [sys.executable, "-m", "openjd", "run", os.path.join(job_dir, "template.yaml"), "--step", step,
            "--job-param", "file://" + os.path.join(job_dir, "params.json")]


# The steps before the Matte step, in the order they run here: (step, what it does, the fix when it fails)
FIRST_STEPS = ((TEACH_STEP, "teaching the shot's model from its keys", "fix the keys or teach_minutes in the spec"),
               (SUBJECT_STEP, "resolving the people over the shot", "fix the subject in the spec"))


def _run_first_step(job_dir: str, step: str, retries: int, say, doing: str, fix: str) -> None:
    """A first step (Teach, Subject: one task, one session) before any Matte task; CMNError when every try
    failed, or at once with the task's own one line when it refused the spec (a key with NaN, a bad pick)."""
    for attempt in range(1 + retries):
        log = os.path.join(job_dir, f"{step.lower()}-{attempt}.log")
        say(f"  {step.lower()}: {doing} (log {log})")
        with open(log, "w", encoding="utf-8") as out:
            code = subprocess.call(_openjd(job_dir, step), stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        if code == 0:
            return
        if reason := _task_error(log):      # the task refused the spec (a user error): a retry says it again
            raise CMNError(f"{reason} (the {step.lower()} step's log: {log})")
    raise CMNError(f"the {step.lower()} step failed ({log}); {fix} and resubmit")


def _task_error(log: str) -> str | None:
    """The one-line error a task's console script printed (`cmn-...: error: ...`) in its session's log, or None."""
    with open(log, encoding="utf-8", errors="replace") as fh:
        found = [line.split(": error: ", 1)[1].strip() for line in fh if ": error: " in line]
    return found[-1] if found else None


def _run_workers(job_dir: str, plan: Plan, chunks: list[Chunk], workers: int, attempt: int, say,
                 parent: int | None = None) -> list[int]:
    """One `openjd run` session per worker over its share of `chunks`; returns their exit codes.
    KeyboardInterrupt (Ctrl-C, SIGTERM, or `parent` gone) stops the workers before it goes on."""
    procs = []
    for k in range(min(workers, len(chunks))):
        share = [{TASK_PARAMETER: c.text} for c in chunks[k::workers]]
        tasks = _write_json(os.path.join(job_dir, f"tasks-{attempt}-{k}.json"), share)
        cmd = _openjd(job_dir, STEP_NAME) + ["--no-run-dependencies", "--tasks", "file://" + tasks]
        out = open(os.path.join(job_dir, f"worker-{attempt}-{k}.log"), "w", encoding="utf-8")
        # Own session: a terminal's Ctrl-C reaches the runner only, which then signals each worker once
        # (OpenJD's runner can hang when a second cancel meets a task that is just ending).
        procs.append((subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True,
                                       preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None),
                      out))
    shown = -1
    try:
        while True:
            running = sum(p.poll() is None for p, _ in procs)
            done = outputs_present(plan)
            if done != shown or not running:
                say(f"  {plan.name}: {done}/{len(plan.frames)} frames, {running} worker(s) running")
                shown = done
            if not running:
                break
            if parent is not None and os.getppid() != parent:
                raise KeyboardInterrupt(f"cmn-farm submit (pid {parent}) died")
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        _stop([p for p, _ in procs])
        say(f"  {plan.name}: {outputs_present(plan)}/{len(plan.frames)} frames, workers stopped")
        raise
    finally:
        for _, out in procs:
            out.close()
    return [p.returncode for p, _ in procs]


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each running worker (OpenJD cancels its task and runs onExit), then wait; SIGKILL after STOP_SECONDS."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _die_with_parent() -> None:
    """preexec_fn (Linux): the kernel sends this child SIGTERM when the runner dies, even by kill -9."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _write_json(path: str, data: object) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
    return path


def _interrupt_once(signum, frame) -> None:  # noqa: ARG001
    """SIGINT/SIGTERM -> KeyboardInterrupt, once: a second signal must not break off the workers' stop."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def main(argv: list[str] | None = None) -> int:
    """The runner: python -m cmn_vfx_farm.backends.local [--parent PID --progress] JOB_DIR (exit 0, 2, 3 or 130)."""
    parser = argparse.ArgumentParser(prog="python -m cmn_vfx_farm.backends.local")
    parser.add_argument("job_dir")
    parser.add_argument("--parent", type=int, help="stop when this process (cmn-farm submit) is gone")
    parser.add_argument("--progress", action="store_true", help="progress on stderr too, not only in job.log")
    args = parser.parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt_once)
    try:
        run_job(args.job_dir, sys.stderr if args.progress else None, args.parent)
    except CMNError as exc:
        return exc.exit_code                      # job.log's last line says why
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
