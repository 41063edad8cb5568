"""End to end, as a user runs it: `cmn-matte run` wall time per frame, start-up included, beside the I/O floor.

    .venv/bin/python bench/end_to_end.py [--sizes 512x288,1920x1080] [--frames 40] [--threads 2] [--runs 3]
        [--model default] [--runtimes torch,onnx] [--json runs/end_to_end.json]

For each size a 40-frame plate of real-looking footage (the sample shot builder: a held-out portrait
walking over the street, scene-linear half EXRs) is written once. Then, alternating, `--runs` times:
- `cmn-matte run` in a fresh process (python start-up, torch or ONNX Runtime import, model and prior
  loading, the reader/network/writer threads, both EXR writes), --threads N, once per --runtimes
  entry (torch; onnx, the torch-free runtime); its wall time / frames;
- the I/O floor in a fresh process: read every plate frame and write the two outputs the engine
  writes (alpha A and premultiplied RGBA fg, half, zip) with the same writer function, nothing else.
- start-up: the same `cmn-matte run` on the plate's first frame only (wall time of a 1-frame run).
Reports the median ms a frame of each and their ratio. The issue's bars (speed issue): 512x288 at most
110 ms a frame, 1920x1080 at most 250 ms, 2 threads, 40 frames, medians of 3.

--revs A,B times the same runs at other commits too (each checked out in a temporary git worktree and run
from there), alternating with the working tree's, so a change is measured against its parent in one sitting:
this VM's speed varies 5-20% from day to day (docs/benchmarks.md).
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


# `cmn-matte` from the package found first on sys.path: the current folder's (the repo, or a worktree)
CLI = "import sys; from cmn_vfx.cli import matte_main; sys.argv[0] = 'cmn-matte'; sys.exit(matte_main())"


def wall(cmd: list[str], env: dict, cwd: str = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def worktree(tmp: str, rev: str) -> str:
    """A detached worktree of `rev` under tmp (made once; removed with tmp, pruned from git at exit)."""
    path = os.path.join(tmp, "rev_" + "".join(c if c.isalnum() else "_" for c in rev))
    if not os.path.isdir(path):
        subprocess.run(["git", "worktree", "add", "--detach", "-q", path, rev], check=True, cwd=ROOT)
        atexit.register(subprocess.run, ["git", "worktree", "prune"], cwd=ROOT)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="512x288,1920x1080")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default="default")
    parser.add_argument("--runtimes", default="torch,onnx", help="cmn-matte run --runtime values to time; "
                        "RUNTIME+FLAG (e.g. onnx+--temporal=0) times that runtime with a flag, alternating with the rest")
    parser.add_argument("--revs", default="", help="commits to time beside the working tree, alternating "
                        "(e.g. HEAD~1): each runs from a temporary git worktree")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    results = []
    with tempfile.TemporaryDirectory(prefix="cmn_e2e_") as tmp:
        for size in args.sizes.split(","):
            plate_dir = os.path.join(tmp, f"plate_{size}")
            subprocess.run([sys.executable, "-m", "cmn_vfx.sample_shot", "--out", plate_dir, "--frames",
                            str(args.frames), "--size", size], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            plate = next(os.path.join(root, name) for root, _, names in os.walk(plate_dir) for name in sorted(names)
                         if name.endswith(".exr") and "plate" in root)
            pattern = plate.rsplit(".", 2)[0] + ".####.exr"
            runtimes = [r + (f"@{rev}" if rev else "") for rev in [""] + [v for v in args.revs.split(",") if v]
                        for r in args.runtimes.split(",")]
            engine, floor, startup = {r: [] for r in runtimes}, [], {r: [] for r in runtimes}
            for run in range(args.runs):
                for runtime in runtimes:
                    out = os.path.join(tmp, f"out_{size}_{run}_{runtime}")
                    spec, _, rev = runtime.partition("@")
                    name, _, flags = spec.partition("+")              # onnx+--temporal=0: with that flag
                    cwd = worktree(tmp, rev) if rev else ROOT
                    cmd = [sys.executable, "-c", CLI, "run", pattern, "--model", args.model, "--threads",
                           str(args.threads), "--device", "cpu", "--runtime", name] + flags.split()
                    engine[runtime].append(wall(cmd + ["--out", out], env, cwd) / args.frames * 1e3)
                    startup[runtime].append(wall(cmd + ["--out", out + "_1", "--frames", "1001"], env, cwd))
                io_out = os.path.join(tmp, f"io_{size}_{run}")
                os.makedirs(io_out)
                floor.append(wall([sys.executable, "-c", FLOOR, pattern, io_out], env) / args.frames * 1e3)
            floor_median = round(statistics.median(floor), 1)
            for runtime in runtimes:
                row = {"size": size, "frames": args.frames, "threads": args.threads, "model": args.model,
                       "runtime": runtime, "engine_ms": [round(v, 1) for v in engine[runtime]],
                       "floor_ms": [round(v, 1) for v in floor],
                       "engine_median_ms": round(statistics.median(engine[runtime]), 1),
                       "floor_median_ms": floor_median, "one_frame_run_s": [round(v, 2) for v in startup[runtime]],
                       "one_frame_run_median_s": round(statistics.median(startup[runtime]), 2)}
                row["ratio"] = round(row["engine_median_ms"] / floor_median, 2)
                results.append(row)
                print(f"{size} --runtime {runtime}: cmn-matte run {row['engine_median_ms']} ms/frame "
                      f"(runs {row['engine_ms']}), I/O floor {floor_median} ms/frame, ratio {row['ratio']}; a 1-frame run "
                      f"{row['one_frame_run_median_s']} s", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
