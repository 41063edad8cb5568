"""kill -9 of `cmn-farm submit` and of a farm task, then a rerun: the shot is complete, nothing is lost,
and no frame that was finished is computed again (issue 29 D19 and "what it must show").

Both use a plate with a hole that `missing: hold` fills (issue 29 D4: the farm writes it too), the tiny
model copied under the test's folder (so every process of the job names that folder on its command line:
the runner, the OpenJD workers, the tasks and the resident server), and chunks of 2 (one worker when submit
is killed, two when a task is), so that a kill lands mid-shot even on an idle machine.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import time

from farm_helpers import VENV_BIN, cmn_farm, make_plate, write_spec

from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.plan import plan_shot
from cmn_vfx_farm.status import shot_status

PLATE_FRAMES = [1001, 1002, 1003, 1004, 1006, 1007, 1008]     # 1005 is a hole: held from 1004
SHOT = list(range(1001, 1009))


def make_shot(root, checkpoint, chunk_size: int = 4) -> str:
    shutil.copy(checkpoint, root / "model.pt")
    plate = make_plate(str(root / "plate"), frames=PLATE_FRAMES)
    return write_spec(str(root / "shot.yaml"), plate=plate, output=str(root / "out"), model="model.pt",
                      device="cpu", warmup=8, chunk_size=chunk_size, missing="hold")


def processes_naming(text: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose command line contains `text` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat", "rb") as fh:
                zombie = fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
        except (OSError, IndexError):
            continue
        if entry.isdigit() and text in cmd and not zombie and int(entry) != os.getpid():
            found.append((int(entry), cmd))
    return found


def finished(out) -> dict[int, int]:
    """frame -> mtime_ns of its alpha, for the frames with both outputs (renamed into place when complete)."""
    paths = {f: (out / "alpha" / f"sh010.{f}.exr", out / "fg" / f"sh010.{f}.exr") for f in SHOT}
    return {f: os.stat(a).st_mtime_ns for f, (a, g) in paths.items() if a.exists() and g.exists()}


def wait_for(condition, seconds: float, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def written_by(job_dir: str) -> int:
    """Frames the job's tasks wrote, from their reports in the worker logs ('sh010: wrote N frames, ...')."""
    logs = "".join(open(p, encoding="utf-8").read() for p in glob.glob(os.path.join(job_dir, "worker-*.log")))
    return sum(int(n) for n in re.findall(r"sh010: wrote (\d+) frames?", logs))


def test_kill_9_of_submit_stops_its_workers_and_a_rerun_finishes_the_shot(tmp_path, tiny_checkpoint):
    # Chunks of 2 on one worker run one after another, so the kill lands mid-shot even on an idle machine
    # (with 2 chunks of 4 on 2 workers the tiny model finished all 8 frames between the first one and the kill).
    spec = make_shot(tmp_path, tiny_checkpoint, chunk_size=2)
    out = tmp_path / "out"
    submit = subprocess.Popen([os.path.join(VENV_BIN, "cmn-farm"), "submit", spec, "--workers", "1", "--json"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: finished(out) or submit.poll() is not None, 300), "no frame was written"
    assert submit.poll() is None, "the job ended before it could be killed"
    submit.send_signal(signal.SIGKILL)
    submit.wait()
    # Every process of the job (runner, OpenJD workers, tasks, resident servers) goes with it.
    left = wait_for(lambda: not processes_naming(str(tmp_path)), 90, 0.5)
    assert left, processes_naming(str(tmp_path))
    (job_log,) = glob.glob(str(out / "jobs" / "*" / "job.log"))
    last = open(job_log, encoding="utf-8").read().splitlines()[-1]
    assert last.startswith(f"stopped: cmn-farm submit (pid {submit.pid}) died"), last
    before = finished(out)
    assert 0 < len(before) < len(SHOT), before

    got = cmn_farm("submit", spec, "--workers", "2", "--json")
    assert got.returncode == 0, got.stderr[-3000:]
    assert shot_status(plan_shot(ShotSpec.from_yaml(spec))).done == SHOT           # 1005, the hole, included
    assert {f: m for f, m in finished(out).items() if f in before} == before       # finished frames untouched
    assert written_by(os.path.dirname(json.loads(got.stdout)["log"])) == len(SHOT) - len(before)
    assert not [p for d in ("alpha", "fg") for p in os.listdir(out / d) if p.startswith(".")]   # no temp files


def test_kill_9_of_a_farm_task_is_retried_without_redoing_finished_frames(tmp_path, tiny_checkpoint):
    """Mid-chunk, the tasks die as a node kills them: the task's process (`cmn-farm session task`, what
    OpenJD runs) and the resident cmn-matte that computes its frames. OpenJD fails the task, and the
    runner's retry finishes the shot (the dead server's claim on its frames is stale)."""
    spec = make_shot(tmp_path, tiny_checkpoint, chunk_size=2)     # 4 chunks on 2 workers: the kill lands mid-shot
    out = tmp_path / "out"
    submit = subprocess.Popen([os.path.join(VENV_BIN, "cmn-farm"), "submit", spec, "--workers", "2", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: finished(out) or submit.poll() is not None, 300), "no frame was written"
    tasks = [pid for pid, cmd in processes_naming(str(tmp_path)) if " session task " in cmd or " serve " in cmd]
    before = finished(out)
    assert tasks and submit.poll() is None and len(before) < len(SHOT), "the job ended before a task could be killed"
    for pid in tasks:
        os.kill(pid, signal.SIGKILL)
    stdout, stderr = submit.communicate(timeout=600)
    assert submit.returncode == 0, stderr[-3000:]
    assert "retry 1: rerunning chunk(s)" in stderr
    assert shot_status(plan_shot(ShotSpec.from_yaml(spec))).done == SHOT
    assert {f: m for f, m in finished(out).items() if f in before} == before
    assert wait_for(lambda: not processes_naming(str(tmp_path)), 30, 0.5), processes_naming(str(tmp_path))
