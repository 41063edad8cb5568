"""One live run per output frame (cmn_vfx.io.outlock): a second run into frames a live run is writing is
refused at once; a farm job's disjoint chunks share OUT; a dead run's claim (kill -9) is taken over."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time

from cmn_vfx.io.atomic import _host
from cmn_vfx.io.outlock import CLAIMS
from cmn_vfx.job.finished import READABLE, read_frame
from cmn_vfx.job.layout import OutputLayout
from engine_helpers import matte, write_plate

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _claim(out, frames: str, pid: int, host: str | None = None, hold: bool = True):
    """Another run's claim on sh010's `frames` in `out` (held: its flock taken, as a live run holds it)."""
    host = host or _host()
    path = out / CLAIMS / f"sh010.{host}-{pid}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": "sh010", "host": host, "pid": pid, "frames": frames}))
    fh = open(path)
    if hold:
        fcntl.flock(fh, fcntl.LOCK_EX)
    return path, fh


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_a_second_run_into_frames_a_live_run_writes_is_refused_naming_it(plate, checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    path, fh = _claim(out, "1001-1006", pid=424242, host="node7")
    try:
        assert matte(plate, "--out", str(out), "--model", checkpoint) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert "host node7, pid 424242" in err and "1001-1006" in err
        assert not (out / "alpha").exists()
        # a farm job's other chunk: frames nobody writes run beside it
        write_plate(str(tmp_path / "plate"), frames=range(1007, 1010))
        assert matte(plate, "--out", str(out), "--model", checkpoint, "--frames", "1007-1009") == 0
        assert sorted(os.listdir(out / "alpha")) == [f"sh010.{f}.exr" for f in (1007, 1008, 1009)]
        assert sorted(os.listdir(out / CLAIMS)) == [path.name]        # its own claim went with it
    finally:
        fh.close()


def test_a_dead_runs_claim_is_taken_over(plate, checkpoint, tmp_path):
    out = tmp_path / "out"
    path, fh = _claim(out, "1001-1006", pid=_dead_pid(), hold=False)
    fh.close()
    assert matte(plate, "--out", str(out), "--model", checkpoint) == 0
    assert len(os.listdir(out / "alpha")) == 6
    assert not path.exists()


def test_kill_9_mid_shot_then_a_rerun_completes_and_redoes_no_finished_frame(exported, tmp_path):
    frames = range(1001, 1013)
    plate = write_plate(str(tmp_path / "plate"), frames=frames)
    out = tmp_path / "out"
    slow = ("from cmn_vfx.engine.writer import FrameWriter\n"
            "real = FrameWriter.write\n"
            "def write(self, frame_out):\n"
            "    real(self, frame_out)\n"
            "    print(frame_out.step.frame, flush=True)\n"
            "    __import__('time').sleep(0.3)\n"
            "FrameWriter.write = write\n"
            "import sys\nfrom cmn_vfx.cli import matte_main\n"
            f"sys.exit(matte_main(['run', {plate!r}, '--out', {str(out)!r}, '--model', {exported!r}, "
            "'--device', 'cpu', '--no-progress']))")
    proc = subprocess.Popen([sys.executable, "-c", slow], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    for _ in range(3):                                     # three frames written, then kill -9
        assert proc.stdout.readline().strip()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    layout = OutputLayout(str(out), "sh010", 4)
    finished = {f: os.stat(layout.alpha_path(f)).st_mtime_ns for f in frames if os.path.exists(layout.alpha_path(f))}
    assert 3 <= len(finished) < len(frames)
    assert os.listdir(out / CLAIMS)                        # the dead run's claim is still there
    time.sleep(0.01)
    rerun = subprocess.run([sys.executable, "-m", "cmn_vfx.cli", "run", plate, "--out", str(out), "--model",
                            exported, "--device", "cpu", "--no-progress", "--json"], cwd=REPO, capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    report = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert report["skipped"] == len(finished) and report["written"] == len(frames) - len(finished)
    assert all(read_frame(layout.paths(f)).kind == READABLE for f in frames)           # complete
    assert {f: os.stat(layout.alpha_path(f)).st_mtime_ns for f in finished} == finished  # not computed again
    leftovers = [n for d in ("alpha", "fg") for n in os.listdir(out / d) if n.startswith(".")]
    assert leftovers == [] and not (out / CLAIMS).exists()  # the dead run's temp files and claim are gone
