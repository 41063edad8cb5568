"""End to end, as a user runs it: `cmn-matte run` wall time per frame, start-up included, beside the I/O floor
(`python -m bench.speed e2e`; docs/benchmarks.md).

For each size a plate of real-looking footage (the sample shot builder: a held-out portrait walking over the
street, scene-linear half EXRs) is written once. Then, alternating, `runs` times:
- `cmn-matte run` in a fresh process (python start-up, torch or ONNX Runtime import, model and prior loading,
  the reader/network/writer threads, both EXR writes), --threads N, once per runtime entry; its wall time /
  frames and its peak RSS;
- the I/O floor in a fresh process: read every plate frame and write the two outputs the engine writes (alpha
  A and premultiplied RGBA fg, half, zip) with the same writer function, nothing else;
- start-up: the same `cmn-matte run` on the plate's first frame only (wall time of a 1-frame run).
A runtime entry RUNTIME[+FLAGS][@REV]: FLAGS are more `cmn-matte run` flags (onnx+--temporal=0); REV runs
the command from a temporary git worktree of that commit (--revs), so a change is timed against its parent
in one sitting: this VM's speed varies 5-20% from day to day.
"""
from __future__ import annotations

import atexit
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLOOR = r"""
import sys, numpy as np
from cmn_vfx.io.image import Box, read_rgb, write_exr
from cmn_vfx.io.sequence import find_sequence
seq = find_sequence(sys.argv[1]); out = sys.argv[2]
for f in seq.frames:
    img = read_rgb(seq.path(f))
    h, w = img.pixels.shape[:2]
    a = np.full((h, w, 1), 0.5, np.float32)
    win = (img.data_window, img.display_window)
    write_exr(f"{out}/fg.{f}.exr", np.dstack([img.pixels * a, a]), ("R", "G", "B", "A"), *win)
    write_exr(f"{out}/alpha.{f}.exr", a, ("A",), *win)
"""
# `cmn-matte` from the package Python finds first: the current folder's (the repo, or a worktree);
# its peak RSS on stderr's last line
CLI = ("import resource, sys; from cmn_vfx.cli import matte_main; sys.argv[0] = 'cmn-matte'; code = matte_main(); "
       "print('peak_rss_mb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr); "
       "sys.exit(code)")


def wall(cmd: list[str], env: dict, cwd: str = ROOT) -> tuple[float, float | None]:
    """(seconds, the child's peak RSS in MB when it prints one); a failed command exits with its stderr."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    last = (done.stderr.strip().splitlines() or [""])[-1].split()
    return seconds, float(last[1]) if len(last) == 2 and last[0] == "peak_rss_mb" else None


def worktree(tmp: str, rev: str) -> str:
    """A detached worktree of `rev` under tmp (made once; removed with tmp, pruned from git at exit)."""
    path = os.path.join(tmp, "rev_" + "".join(c if c.isalnum() else "_" for c in rev))
    if not os.path.isdir(path):
        subprocess.run(["git", "worktree", "add", "--detach", "-q", path, rev], check=True, cwd=ROOT)
        atexit.register(subprocess.run, ["git", "worktree", "prune"], cwd=ROOT)
    return path


def sample_plate(tmp: str, size: str, frames: int) -> str:
    """The sample shot's plate at `size` (WxH), `frames` long, under tmp; its '#' pattern."""
    plate_dir = os.path.join(tmp, f"plate_{size}")
    subprocess.run([sys.executable, "-m", "cmn_vfx.sample_shot", "--out", plate_dir, "--frames", str(frames),
                    "--size", size], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    plate = next(os.path.join(root, name) for root, _, names in os.walk(plate_dir) for name in sorted(names)
                 if name.endswith(".exr") and "plate" in root)
    return plate.rsplit(".", 2)[0] + ".####.exr"


def measure(sizes: list[str], frames: int, threads: int, runs: int, model: str, runtimes: list[str],
            revs: list[str]) -> list[dict]:
    """One row per size and runtime entry (see the module docstring), printed as it is measured."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    results = []
    with tempfile.TemporaryDirectory(prefix="cmn_e2e_") as tmp:
        for size in sizes:
            pattern = sample_plate(tmp, size, frames)
            entries = [r + (f"@{rev}" if rev else "") for rev in [""] + revs for r in runtimes]
            engine, rss, startup = ({r: [] for r in entries} for _ in range(3))
            floor: list[float] = []
            for run in range(runs):
                for entry in entries:
                    out = os.path.join(tmp, f"out_{size}_{run}_{entry}")
                    spec, _, rev = entry.partition("@")
                    name, _, flags = spec.partition("+")              # onnx+--temporal=0: with that flag
                    cwd = worktree(tmp, rev) if rev else ROOT
                    cmd = [sys.executable, "-c", CLI, "run", pattern, "--model", model, "--threads", str(threads),
                           "--device", "cpu", "--runtime", name] + flags.split()
                    seconds, peak = wall(cmd + ["--out", out], env, cwd)
                    engine[entry].append(seconds / frames * 1e3)
                    rss[entry].append(peak)
                    startup[entry].append(wall(cmd + ["--out", out + "_1", "--frames", "1001"], env, cwd)[0])
                io_out = os.path.join(tmp, f"io_{size}_{run}")
                os.makedirs(io_out)
                floor.append(wall([sys.executable, "-c", FLOOR, pattern, io_out], env)[0] / frames * 1e3)
            floor_median = round(statistics.median(floor), 1)
            for entry in entries:
                peaks = [v for v in rss[entry] if v is not None]
                row = {"size": size, "frames": frames, "threads": threads, "model": model, "runtime": entry,
                       "engine_ms": [round(v, 1) for v in engine[entry]], "floor_ms": [round(v, 1) for v in floor],
                       "engine_median_ms": round(statistics.median(engine[entry]), 1), "floor_median_ms": floor_median,
                       "one_frame_run_s": [round(v, 2) for v in startup[entry]],
                       "one_frame_run_median_s": round(statistics.median(startup[entry]), 2),
                       "peak_rss_mb": round(max(peaks)) if peaks else None}
                row["ratio"] = round(row["engine_median_ms"] / floor_median, 2)
                results.append(row)
                print(f"{size} --runtime {entry}: cmn-matte run {row['engine_median_ms']} ms/frame "
                      f"(runs {row['engine_ms']}), I/O floor {floor_median} ms/frame, ratio {row['ratio']}; a 1-frame "
                      f"run {row['one_frame_run_median_s']} s; peak RSS {row['peak_rss_mb']} MB", flush=True)
    return results
