"""The local backend runs real `cmn-matte run` tasks through OpenJD's runner (tiny model, tiny plate).

One module-wide job (12 frames, chunks of 4, 2 workers) and one sequential pass
serve every test here: seams, rerun, and retry after a killed task.
"""
from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import time

import numpy as np
import pytest
from farm_helpers import FRAMES, VENV_BIN, cmn_farm, cmn_matte, write_spec

from cmn_vfx.io.image import read_image
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.plan import plan_shot
from cmn_vfx_farm.status import shot_status


def spec_for(root, plate, checkpoint, name="shot.yaml", output="out") -> str:
    return write_spec(str(root / name), plate=plate, output=str(root / output), frames="1001-1012",
                      chunk_size=4, model=checkpoint, device="cpu", warmup=8)


def alphas(out_dir: str) -> dict[int, np.ndarray]:
    return {f: read_image(os.path.join(out_dir, "alpha", f"sh010.{f}.exr")).pixels for f in FRAMES}


@pytest.fixture(scope="module")
def farm_job(tmp_path_factory, plate, tiny_checkpoint):
    root = tmp_path_factory.mktemp("farm")
    spec = spec_for(root, plate, tiny_checkpoint)
    got = cmn_farm("submit", spec, "--workers", "2", "--json")
    assert got.returncode == 0, got.stderr[-3000:]
    return spec, json.loads(got.stdout)


@pytest.fixture(scope="module")
def sequential(tmp_path_factory, plate, tiny_checkpoint):
    """One uninterrupted pass over the shot with the same settings."""
    root = tmp_path_factory.mktemp("sequential")
    spec = spec_for(root, plate, tiny_checkpoint)
    got = cmn_matte("run", "--spec", spec, "--no-progress")
    assert got.returncode == 0, got.stderr[-3000:]
    return alphas(str(root / "out"))


def test_local_backend_runs_twelve_frames_in_three_chunks(farm_job):
    spec, result = farm_job
    out = os.path.dirname(spec) + "/out"
    assert result["frames"] == "1001-1012" and result["backend"] == "local"
    assert sorted(os.listdir(os.path.join(out, "alpha"))) == [f"sh010.{f}.exr" for f in FRAMES]
    assert sorted(os.listdir(os.path.join(out, "fg"))) == [f"sh010.{f}.exr" for f in FRAMES]
    assert shot_status(plan_shot(ShotSpec.from_yaml(spec))).done == FRAMES
    job_dir = os.path.dirname(result["log"])
    logs = "".join(open(p).read() for p in sorted(glob.glob(os.path.join(job_dir, "worker-0-*.log"))))
    assert sorted(re.findall(r"Frames\(CHUNK\[INT\]\) = (\S+)", logs)) == ["1001-1004", "1005-1008", "1009-1012"]
    assert "12/12 frames" in open(result["log"]).read()
    assert "resident cmn-matte ready" in logs          # the tasks went through the session's server


def test_chunks_equal_a_sequential_pass(farm_job, sequential, tmp_path):
    """Warm-up 8 reaches the shot start for every chunk of 4, so the seams vanish."""
    spec, _ = farm_job
    chunked = alphas(os.path.dirname(spec) + "/out")
    diffs = [float(np.abs(chunked[f] - sequential[f]).max()) for f in FRAMES]
    assert max(diffs) <= 1e-3, diffs
    # The control: the same chunk started cold (no warm-up) shows a seam, so the state matters.
    got = cmn_matte("run", "--spec", spec, "--frames", "1009-1009", "--warmup", "0", "--out", str(tmp_path),
                    "--no-progress")
    assert got.returncode == 0, got.stderr[-3000:]
    cold = read_image(str(tmp_path / "alpha" / "sh010.1009.exr")).pixels
    assert float(np.abs(cold - sequential[1009]).mean()) > 1e-2


def test_rerun_of_a_finished_job_writes_nothing(farm_job):
    spec, _ = farm_job
    out = os.path.dirname(spec) + "/out"
    files = sorted(glob.glob(os.path.join(out, "alpha", "*")) + glob.glob(os.path.join(out, "fg", "*")))
    before = {p: os.stat(p).st_mtime_ns for p in files}
    got = cmn_farm("submit", spec, "--chunk-size", "12", "--json")     # one task: one process start
    assert got.returncode == 0, got.stderr[-3000:]
    after = sorted(glob.glob(os.path.join(out, "alpha", ".*")) + glob.glob(os.path.join(out, "alpha", "*"))
                   + glob.glob(os.path.join(out, "fg", ".*")) + glob.glob(os.path.join(out, "fg", "*")))
    assert after == files
    assert {p: os.stat(p).st_mtime_ns for p in files} == before


def test_killed_task_is_completed_by_a_rerun(tmp_path, plate, tiny_checkpoint, sequential):
    spec = spec_for(tmp_path, plate, tiny_checkpoint)
    alpha_dir = tmp_path / "out" / "alpha"
    task = subprocess.Popen([os.path.join(VENV_BIN, "cmn-matte"), "run", "--spec", spec, "--frames", "1001-1012",
                             "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    first_done = [alpha_dir / "sh010.1001.exr", alpha_dir / ".." / "fg" / "sh010.1001.exr"]
    while time.monotonic() < deadline and task.poll() is None and not all(p.exists() for p in first_done):
        time.sleep(0.02)
    task.send_signal(signal.SIGKILL)          # the worst case: no chance to clean up
    task.wait()
    plan = plan_shot(ShotSpec.from_yaml(spec))
    killed = shot_status(plan)
    assert killed.failed == [] and 0 < len(killed.done) < len(FRAMES), killed.summary()

    got = cmn_farm("submit", spec, "--chunk-size", "12", "--json")     # rerun the killed chunk
    assert got.returncode == 0, got.stderr[-3000:]
    assert shot_status(plan).done == FRAMES
    assert sorted(os.listdir(alpha_dir / ".." / "fg")) == sorted(os.listdir(alpha_dir)) == \
        [f"sh010.{f}.exr" for f in FRAMES] + sorted(p for p in os.listdir(alpha_dir) if p.startswith("."))
    retried = alphas(str(tmp_path / "out"))
    assert max(float(np.abs(retried[f] - sequential[f]).max()) for f in FRAMES) <= 1e-3
