"""Read/write speed of a 1920x1080 half RGBA EXR through cmn_vfx.io.image, one thread.

    .venv/bin/python bench/io_speed.py [--repeats 5] [--threads 1]

Prints one row per compression: median wall-clock and CPU seconds (process time,
which stays honest when other jobs share the cores) for write_exr, read_image
(all 4 channels) and read_rgb, and the file size. The pixels are a smooth
gradient plus grain (like a plate), not pure noise.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import OpenImageIO as oiio

from cmn_vfx.io.image import Box, read_image, read_rgb, write_exr

WIDTH, HEIGHT = 1920, 1080


def plate_like(seed: int = 0) -> np.ndarray:
    """[1080, 1920, 4] float32: a gradient with grain, alpha a soft disc."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    rgb = np.stack([x / WIDTH, y / HEIGHT, 0.5 * (x + y) / (WIDTH + HEIGHT)], axis=-1) * 2.0
    rgb += rng.normal(0.0, 0.02, rgb.shape).astype(np.float32)
    alpha = np.clip(1.5 - np.hypot(x - WIDTH / 2, y - HEIGHT / 2) / 300.0, 0.0, 1.0)
    return np.concatenate([rgb, alpha[..., None]], axis=-1).astype(np.float32)


def timed(fn, repeats: int) -> str:
    """'wall/cpu' median seconds."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return f"{statistics.median(wall):.3f}/{statistics.median(cpu):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    oiio.attribute("threads", args.threads)
    oiio.attribute("exr_threads", args.threads)
    pixels = plate_like()
    box = Box(0, 0, WIDTH, HEIGHT)
    print(f"{WIDTH}x{HEIGHT} half RGBA, OIIO {oiio.VERSION_STRING}, threads={args.threads}, "
          f"median of {args.repeats}")
    print(f"{'compression':<12}{'write wall/cpu s':>18}{'read wall/cpu s':>18}{'read_rgb wall/cpu s':>22}{'MB':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for compression in ("none", "zip", "piz", "dwaa"):
            path = os.path.join(tmp, f"bench.{compression}.exr")
            write = timed(lambda: write_exr(path, pixels, ["R", "G", "B", "A"], box, box,
                                            compression=compression), args.repeats)
            read = timed(lambda: read_image(path), args.repeats)
            rgb = timed(lambda: read_rgb(path), args.repeats)
            size = os.path.getsize(path) / 1e6
            print(f"{compression:<12}{write:>18}{read:>18}{rgb:>22}{size:>7.1f}")


if __name__ == "__main__":
    main()
