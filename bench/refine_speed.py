"""Edge refinement (--refine guided) per frame: numpy + cv2 (bench/baselines.py) vs torch (cmn_vfx.engine.refine).

    .venv/bin/python bench/refine_speed.py [--sizes 512x288,1920x1080] [--threads 2] [--repeat 7] [--device cpu]

Sizes are working sizes (the network's, where the engine refines). The frame is a soft disc on
a gradient with a noisy alpha. The two paths run alternately, so both see the same load on a
shared machine; each time is the median of --repeat runs after one warm-up. torch runs with
--threads intra-op threads, cv2 with its default pool (as in the engine). Also prints
max|torch - numpy| (alpha 0..1).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def frame(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(src [H,W,3], pha [H,W]) float32 0..1."""
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    disc = np.clip(1 - (np.hypot(xs - width / 2, ys - height / 2) - height / 3) / 4, 0, 1)
    src = np.stack([0.2 + 0.6 * disc, 0.3 + 0.2 * xs / width, 0.5 - 0.3 * disc], -1)
    src += 0.05 * rng.random((height, width, 3))
    pha = np.clip(disc + 0.05 * rng.standard_normal((height, width)), 0, 1)
    return src.astype(np.float32), pha.astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="512x288,1920x1080")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    import torch

    from baselines import classical_matte
    from cmn_vfx.engine.refine import refine_edges

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    def run_torch(pha: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            out = refine_edges(pha, src)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return out

    print(f"torch {torch.__version__}, {args.threads} threads, device {device}; median of {args.repeat}")
    print(f"{'size':>10} {'numpy ms':>9} {'torch ms':>9} {'speed-up':>8} {'max|diff|':>10}")
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        src, pha = frame(w, h)
        src_t = torch.from_numpy(src).permute(2, 0, 1)[None].to(device)
        pha_t = torch.from_numpy(pha)[None, None].to(device)
        paths = {"numpy": lambda: classical_matte(src, pha, "guided"), "torch": lambda: run_torch(pha_t, src_t)}
        times: dict[str, list[float]] = {name: [] for name in paths}
        out = {}
        for i in range(args.repeat + 1):
            for name, fn in paths.items():
                started = time.perf_counter()
                out[name] = fn()
                if i:
                    times[name].append(time.perf_counter() - started)
        diff = float(np.abs(out["torch"][0, 0].cpu().numpy() - out["numpy"]).max())
        ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
        speed_up = ms["numpy"] / ms["torch"]
        print(f"{size:>10} {ms['numpy']:>9.1f} {ms['torch']:>9.1f} {speed_up:>7.1f}x {diff:>10.1e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
