"""The speed entry: end to end as a user runs it beside the I/O floor (the default mode), and its parts.

    .venv/bin/python -m bench.speed [e2e] [--sizes 512x288,1920x1080] [--frames 40] [--threads 2] [--runs 3]
        [--model default] [--runtimes torch,onnx] [--revs HEAD~1] [--json runs/end_to_end.json]
    .venv/bin/python -m bench.speed stages [--size 1920x1080] [--model default] [--runtime openvino] [--repeat 3]
    .venv/bin/python -m bench.speed prior [--size 1920x1080] [--priors people,auto,landscape,selfie]
    .venv/bin/python -m bench.speed io [--repeats 5] [--threads 1]

e2e (bench/harness/end_to_end.py): `cmn-matte run` in a fresh process per run, wall time per frame with
start-up, the time of a 1-frame run and peak RSS, against reading and writing the same frames alone; medians
of --runs, alternating the --runtimes entries (RUNTIME+FLAGS, e.g. openvino+--precision=bf16) and --revs
(each from a temporary git worktree) so that a change is timed against its parent in one sitting. The
speed issue's bars: 512x288 at most 110 ms a frame, 1920x1080 at most 250 ms, 2 threads, 40 frames.
stages, prior, io: bench/harness/speed_parts.py.
"""
from __future__ import annotations

import argparse
import json
import sys

MODES = ("e2e", "stages", "prior", "io")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.splitlines()[0],
                                  epilog="the mode defaults to e2e")
    modes = top.add_subparsers(dest="mode")
    e2e = modes.add_parser("e2e", help="cmn-matte run end to end beside the I/O floor")
    e2e.add_argument("--sizes", default="512x288,1920x1080")
    e2e.add_argument("--frames", type=int, default=40)
    e2e.add_argument("--threads", type=int, default=2)
    e2e.add_argument("--runs", type=int, default=3)
    e2e.add_argument("--model", default="default")
    e2e.add_argument("--runtimes", default="torch,onnx", help="cmn-matte run --runtime values to time; "
                     "RUNTIME+FLAG (e.g. onnx+--temporal=0) times that runtime with a flag, alternating with the rest")
    e2e.add_argument("--revs", default="", help="commits to time beside the working tree, alternating "
                     "(e.g. HEAD~1): each runs from a temporary git worktree")
    e2e.add_argument("--json")
    stages = modes.add_parser("stages", help="per-stage ms of one frame in the engine (a profile)")
    stages.add_argument("--size", default="1920x1080")
    stages.add_argument("--model", default="default")
    stages.add_argument("--threads", type=int, default=2)
    stages.add_argument("--repeat", type=int, default=3)
    stages.add_argument("--runtime", default="torch", choices=("torch", "openvino", "onnx"))
    prior = modes.add_parser("prior", help="a person prior's ms per frame as the engine runs it")
    prior.add_argument("--size", default="1920x1080")
    prior.add_argument("--priors", default="people,auto,landscape,selfie")
    prior.add_argument("--threads", type=int, default=2)
    prior.add_argument("--frames", type=int, default=20)
    io = modes.add_parser("io", help="EXR read and write of a 1920x1080 half RGBA frame per compression")
    io.add_argument("--repeats", type=int, default=5)
    io.add_argument("--threads", type=int, default=1)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in MODES + ("-h", "--help"):
        argv.insert(0, "e2e")
    args = parser().parse_args(argv)
    from bench.harness import speed_parts
    if args.mode == "e2e":
        from bench.harness.end_to_end import measure
        rows = measure(args.sizes.split(","), args.frames, args.threads, args.runs, args.model,
                       args.runtimes.split(","), [v for v in args.revs.split(",") if v])
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(rows, fh, indent=1)
    elif args.mode == "stages":
        speed_parts.stages(args.model, args.size, args.runtime, args.threads, args.repeat)
    elif args.mode == "prior":
        speed_parts.prior(args.size, args.priors, args.threads, args.frames)
    else:
        speed_parts.io(args.repeats, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
