"""The speed entry's part modes (`python -m bench.speed stages|prior|io`): one piece of a frame's
time each, measured in this process (the whole run, start-up included: bench/harness/end_to_end.py).

- stages: the engine's stages for one plate size, one after another on the sample shot's frames (a
  profile: on N free cores the engine's threads overlap them, so a frame costs about the largest group);
- prior: a person prior as the engine runs it (shrink to the working size, observe, track), on the
  validation clip edge_left_a's frames upscaled to the plate size;
- io: write_exr / read_image / read_rgb of a 1920x1080 half RGBA plate-like frame, per compression.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time

import numpy as np


def stages(model: str, size: str, runtime: str, threads: int, repeat: int) -> None:
    from bench.harness.engine import profile_stages
    from cmn_vfx.sample_shot import FIRST_FRAME, build_sample_shot
    width, height = (int(v) for v in size.split("x"))
    shot = build_sample_shot(tempfile.mkdtemp(prefix="cmn_stages_"), frames=repeat + 1, size=(width, height))
    plates = [shot["plate"].replace("####", str(FIRST_FRAME + i)) for i in range(repeat + 1)]
    times = profile_stages(model, plates, runtime, threads)
    print(f"{size}, {runtime} runtime, threads {threads}, median of {repeat} (first frame dropped)")
    total = 0.0
    for name, values in times.items():
        value = float(np.median(values[1:]))
        total += value
        print(f"  {name:28s} {1000 * value:8.1f} ms")
    print(f"  {'sum':28s} {1000 * total:8.1f} ms  -> {1 / total:.2f} frames/s serial")


def prior(size: str, priors: str, threads: int, frames: int) -> None:
    import cv2
    import torch

    import bench.validation_clips as V
    from cmn_vfx.job.names import AUTO_LONG_SIDE
    from cmn_vfx.prior import load_prior
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    w, h = (int(v) for v in size.split("x"))
    clip = V.render(next(c for c in V.CLIPS if c.name == "edge_left_a"))
    plates = [cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in clip.src[:frames]]
    s = min(1.0, AUTO_LONG_SIDE / max(w, h))
    small_size = (round(w * s), round(h * s))
    print("| prior | plate | threads | resize ms | prior ms (observe + track) | total ms |\n|---|---|---:|---:|---:|---:|")
    for name in priors.split(","):
        model = load_prior(name, threads=threads)
        track = model.new_track()
        resize, run = [], []
        for plate in plates:
            t0 = time.perf_counter()
            small = cv2.resize(plate, small_size, interpolation=cv2.INTER_AREA)
            t1 = time.perf_counter()
            track.update(model.observe(small))
            resize.append((t1 - t0) * 1e3)
            run.append((time.perf_counter() - t1) * 1e3)
        r, p = np.median(resize[2:]), np.median(run[2:])
        print(f"| {name} | {w}x{h} | {threads} | {r:.1f} | {p:.1f} | {r + p:.1f} |")


def io(repeats: int, threads: int) -> None:
    import OpenImageIO as oiio

    from cmn_vfx.io.image import Box, read_image, read_rgb, write_exr
    width, height = 1920, 1080
    oiio.attribute("threads", threads)
    oiio.attribute("exr_threads", threads)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / width, y / height, 0.5 * (x + y) / (width + height)], axis=-1) * 2.0
    rgb += rng.normal(0.0, 0.02, rgb.shape).astype(np.float32)          # a gradient with grain, like a plate
    alpha = np.clip(1.5 - np.hypot(x - width / 2, y - height / 2) / 300.0, 0.0, 1.0)
    pixels, box = np.concatenate([rgb, alpha[..., None]], axis=-1).astype(np.float32), Box(0, 0, width, height)

    def timed(fn) -> str:
        """'wall/cpu' median seconds (CPU time stays honest when other jobs share the cores)."""
        wall, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        return f"{statistics.median(wall):.3f}/{statistics.median(cpu):.3f}"

    print(f"{width}x{height} half RGBA, OIIO {oiio.VERSION_STRING}, threads={threads}, median of {repeats}")
    print(f"{'compression':<12}{'write wall/cpu s':>18}{'read wall/cpu s':>18}{'read_rgb wall/cpu s':>22}{'MB':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for compression in ("none", "zip", "piz", "dwaa"):
            path = os.path.join(tmp, f"bench.{compression}.exr")
            write = timed(lambda: write_exr(path, pixels, ["R", "G", "B", "A"], box, box, compression=compression))
            read, read_rgb_s = timed(lambda: read_image(path)), timed(lambda: read_rgb(path))
            print(f"{compression:<12}{write:>18}{read:>18}{read_rgb_s:>22}{os.path.getsize(path) / 1e6:>7.1f}")
