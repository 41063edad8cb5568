"""Model speed on this machine: ms per frame and peak memory per encoder x flow, plus parameters.

    .venv/bin/python bench/model_speed.py [--sizes 512x288,1920x1080] [--threads 2] [--frames 3] [--budget 120]

Runs the `full` variant (steady state: a previous frame and state are given, so the flow
runs) in inference_mode with torch.set_num_threads(threads). Peak memory is the process's
peak RSS growth measured in a fresh subprocess per configuration (CPU). A configuration
whose first frame takes longer than --budget seconds is skipped with a note.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

ENCODERS = ("mobilenetv2", "resnet18", "resnet50")
FLOWS = ("pwcnet", "dis")


def run_one(encoder: str, flow: str, width: int, height: int, threads: int, frames: int, budget: float) -> dict:
    """Measure one configuration in this process; prints nothing."""
    import torch

    from cmn_vfx.model import ModelConfig, build_model

    torch.set_num_threads(threads)
    model = build_model(ModelConfig(variant="full", encoder=encoder, flow=flow)).eval()
    params = sum(p.numel() for p in model.parameters())
    src = [torch.rand(1, 3, height, width) for _ in range(frames + 1)]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    with torch.inference_mode():
        _, _, state = model(src[0])
        for i in range(1, frames + 1):
            t = time.perf_counter()
            _, _, state = model(src[i], src[i - 1], state)
            times.append(time.perf_counter() - t)
            if times[0] > budget:
                break
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = times[1:] or times  # first timed frame warms allocator caches
    return {"encoder": encoder, "flow": flow, "size": f"{width}x{height}", "params_M": params / 1e6,
            "ms": 1000 * sorted(times)[len(times) // 2], "peak_MB": peak / 1024, "growth_MB": (peak - base) / 1024,
            "frames": len(times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="512x288,1920x1080")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        encoder, flow, size = args.one.split(",")
        w, h = map(int, size.split("x"))
        print(json.dumps(run_one(encoder, flow, w, h, args.threads, args.frames, args.budget)))
        return 0
    print("| encoder | flow | size | params | ms/frame | peak RSS (MB) |")
    print("|---|---|---|---:|---:|---:|")
    for size in args.sizes.split(","):
        for encoder in ENCODERS:
            for flow in FLOWS:
                cmd = [sys.executable, __file__, "--one", f"{encoder},{flow},{size}", "--threads", str(args.threads),
                       "--frames", str(args.frames), "--budget", str(args.budget)]
                try:
                    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.budget * (args.frames + 3))
                    r = json.loads(out.stdout.strip().splitlines()[-1])
                    note = "" if r["frames"] > 1 else " (1 frame: over budget)"
                    print(f"| {encoder} | {flow} | {size} | {r['params_M']:.2f} M | {r['ms']:.0f}{note} | {r['peak_MB']:.0f} |",
                          flush=True)
                except (subprocess.TimeoutExpired, IndexError, json.JSONDecodeError) as exc:
                    print(f"| {encoder} | {flow} | {size} | - | skipped ({type(exc).__name__}) | - |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
