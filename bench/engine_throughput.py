"""Engine throughput (frames/s including EXR read/write) and peak RSS, each config in a subprocess.

    .venv/bin/python bench/engine_throughput.py [--model PATH] [--sizes 512x288,1920x1080,3840x2160]
        [--frames 6] [--rss-frames 50,200] [--threads 1] [--device cuda --precision fp16] [--runtime onnx]

Model: --model, else cmn_vfx/models/default.pt if present, else the default ModelConfig with
RANDOM weights (labelled as such: speed and memory are the same as a trained model of that config).
The plate is one synthetic frame hard-linked N times (decode/convert/encode still run per frame).
fps = written frames / engine seconds (after model load); peak RSS = ru_maxrss of the child.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_plate(directory: str, width: int, height: int, frames: int) -> str:
    import numpy as np
    from cmn_vfx.io.image import Box, write_exr
    os.makedirs(directory, exist_ok=True)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    disc = (np.hypot(xs - width / 2, ys - height / 2) < height / 3).astype(np.float32)[..., None]
    pixels = disc * np.float32([0.6, 0.4, 0.3]) + (1 - disc) * (0.1 + 0.3 * xs[..., None] / width)
    first = os.path.join(directory, "bench.1001.exr")
    write_exr(first, pixels.astype(np.float32), ("R", "G", "B"), Box(0, 0, width, height), Box(0, 0, width, height))
    for f in range(1002, 1001 + frames):
        os.link(first, os.path.join(directory, f"bench.{f}.exr"))
    return os.path.join(directory, "bench.####.exr")


def random_model(path: str) -> str:
    import torch
    from cmn_vfx.model import ModelConfig, build_model, save_checkpoint
    torch.manual_seed(0)
    save_checkpoint(path, build_model(ModelConfig(), load_weights=False).eval(), {})
    return path


def child(args: argparse.Namespace) -> None:
    """Run one config in this process and print a JSON line."""
    from cmn_vfx.engine import EngineConfig, MatteEngine, ShotJob
    from cmn_vfx.engine import process
    from cmn_vfx.io.sequence import find_sequence
    process.for_frames()         # as `cmn-matte run` does (CMN_DEFAULT_MALLOC=1 to compare the allocator)
    engine = MatteEngine(EngineConfig(model=args.model, device=args.device, precision=args.precision,
                                      threads=args.threads or None, runtime=args.runtime))
    seq = find_sequence(args.plate)
    report = engine.run(ShotJob(seq, list(seq.frames), args.out, "bench"), progress=False)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"fps": len(report.written) / report.seconds, "seconds": report.seconds, "peak_rss_mb": rss}))


def measure(model: str, width: int, height: int, frames: int, threads: int, work: str,
            device: str = "cpu", precision: str = "fp32", runtime: str = "auto") -> dict:
    plate = make_plate(os.path.join(work, f"plate_{width}x{height}_{frames}"), width, height, frames)
    out = os.path.join(work, f"out_{width}x{height}_{frames}")
    cmd = [sys.executable, __file__, "--child", "--plate", plate, "--out", out, "--model", model,
           "--threads", str(threads), "--device", device, "--precision", precision, "--runtime", runtime]
    started = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    row = json.loads(result.stdout.strip().splitlines()[-1])
    row.update(size=f"{width}x{height}", frames=frames, wall=time.monotonic() - started)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--sizes", default="512x288,1920x1080,3840x2160")
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--rss-frames", default="50,200")
    parser.add_argument("--rss-size", default="512x288")
    parser.add_argument("--threads", type=int, default=0, help="network threads (0 = the runtime's default)")
    parser.add_argument("--runtime", default="auto", choices=("auto", "torch", "openvino", "onnx"))
    parser.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "fp16", "bf16"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plate", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="cmn-bench-") as work:
        default = os.path.join(ROOT, "cmn_vfx", "models", "default.pt")
        model = args.model or (default if os.path.isfile(default) else None)
        label = model or "default ModelConfig, RANDOM weights"
        model = model or random_model(os.path.join(work, "random.pt"))
        print(f"model: {label}; device {args.device} {args.precision}; runtime {args.runtime}; "
              f"threads: {args.threads or 'default'}; "
              f"cores: {os.cpu_count()}")
        print(f"{'size':>10} {'frames':>6} {'fps':>7} {'peak RSS MB':>12}")
        for size in args.sizes.split(","):
            w, h = (int(v) for v in size.split("x"))
            row = measure(model, w, h, args.frames, args.threads, work, args.device, args.precision, args.runtime)
            print(f"{row['size']:>10} {row['frames']:>6} {row['fps']:>7.2f} {row['peak_rss_mb']:>12.0f}", flush=True)
        w, h = (int(v) for v in args.rss_size.split("x"))
        for n in (int(v) for v in args.rss_frames.split(",") if v):
            row = measure(model, w, h, n, args.threads, work, args.device, args.precision, args.runtime)
            print(f"{row['size']:>10} {row['frames']:>6} {row['fps']:>7.2f} {row['peak_rss_mb']:>12.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
