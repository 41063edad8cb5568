"""Where a frame's time goes in the engine: per-stage seconds for one plate size (a profile).

    .venv/bin/python bench/engine_stages.py [--size 1920x1080] [--model default] [--threads 2] [--repeat 3]
        [--runtime torch|onnx]

Times, in this process and one after another, on the sample shot's frames (cmn_vfx.sample_shot, built at
the size asked), the stages the reader, network and writer
threads run for each frame: EXR read, colour to network space, resize, person prior,
network step, edge refinement, guided upsampling, fg composition, and the two EXR writes. The engine
overlaps reader, network and writer in threads, so on N free cores its frame time is
about max(stage groups) rather than their sum; on 2 cores the sum / 2 is the floor.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--model", default="default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runtime", default="torch", choices=("torch", "openvino", "onnx"))
    args = parser.parse_args(argv)
    import cv2

    from cmn_vfx.color import to_network, to_network_half
    from cmn_vfx.engine import process
    from cmn_vfx.job.names import AUTO_LONG_SIDE
    from cmn_vfx.engine.writer import FrameWriter
    from cmn_vfx.engine.config import EngineConfig
    from cmn_vfx.engine.runtime import open_backend
    from cmn_vfx.io.image import Box, read_rgb, write_exr
    from cmn_vfx.engine.output_pixels import quantise_alpha
    from cmn_vfx.job.layout import ALPHA_CHANNELS, FG_CHANNELS, OutputLayout
    from cmn_vfx.prior import load_prior

    process.for_frames()           # as `cmn-matte run` does
    width, height = (int(v) for v in args.size.split("x"))
    scale = AUTO_LONG_SIDE / max(width, height)
    small_size = (round(width * scale), round(height * scale))
    backend = open_backend(EngineConfig(model=args.model, device="cpu", runtime=args.runtime, threads=args.threads))
    meta = backend.meta
    prior_fn = load_prior(meta["model_config"].get("prior_model", "auto")) \
        if meta["model_config"].get("prior") == "person" else None
    tmp = tempfile.mkdtemp()
    # the sample shot's frames (a held-out portrait walking over a street, scene-linear half EXRs): a real
    # edge band for the refinement and the fg, real motion for the flow (a synthetic disc left both empty)
    from cmn_vfx.sample_shot import FIRST_FRAME, build_sample_shot
    shot = build_sample_shot(tmp, frames=args.repeat + 1, size=(width, height))
    plates = [shot["plate"].replace("####", str(FIRST_FRAME + i)) for i in range(args.repeat + 1)]
    box = Box(0, 0, width, height)
    writer = FrameWriter(OutputLayout(tmp, "bench", 4), "lin_rec709", "{}", "bench", "0")
    times: dict[str, list[float]] = {}

    def timed(name, fn, *a):
        t = time.perf_counter()
        out = fn(*a)
        times.setdefault(name, []).append(time.perf_counter() - t)
        return out

    state, prev = None, None
    for plate in plates:
        image = timed("read EXR (RGB)", read_rgb, plate, None, True)
        net = timed("colour -> network", lambda im: to_network_half(im.half, "lin_rec709")
                    if im.half is not None else to_network(im.pixels, "lin_rec709"), image)
        small = timed("resize", cv2.resize, net, small_size, None, 0, 0, cv2.INTER_AREA)
        prior = timed("person prior (auto)", prior_fn, small) if prior_fn else None
        src = backend.frame(small)
        pri = backend.frame(prior) if prior is not None else None
        pha, fgr, state = timed("network step", backend.step, src, prev, state, pri)
        pha = timed("edge refinement", backend.refine, pha, src)
        guide = np.ascontiguousarray(net @ np.float32([0.2126, 0.7152, 0.0722]))
        full = timed("guided upsample", backend.upsample, pha, src, guide)
        prev = src
        alpha = quantise_alpha(full)
        rgba = timed("fg estimate + composition", writer.foreground, image, alpha, None, (small, backend.plane(pha)))
        timed("write fg EXR (RGBA zip)", write_exr, os.path.join(tmp, "fg.exr"), rgba, FG_CHANNELS, box, box)
        timed("write alpha EXR (A zip)", write_exr, os.path.join(tmp, "a.exr"), alpha[..., None], ALPHA_CHANNELS, box, box)
    total = 0.0
    print(f"{args.size}, network at {small_size[0]}x{small_size[1]}, {args.runtime} runtime, threads {args.threads}, "
          f"median of {args.repeat} (first frame dropped)")
    for name, values in times.items():
        value = float(np.median(values[1:]))
        total += value
        print(f"  {name:28s} {1000 * value:8.1f} ms")
    print(f"  {'sum':28s} {1000 * total:8.1f} ms  -> {1 / total:.2f} frames/s serial")
    return 0


if __name__ == "__main__":
    sys.exit(main())
