"""Helpers for the farm tests: a tiny 12-frame EXR plate, shot specs, the console scripts in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from cmn_vfx.io.image import Box, write_exr

FRAMES = list(range(1001, 1013))
VENV_BIN = os.path.dirname(sys.executable)
H, W = 32, 48


def make_plate(directory: str, frames=FRAMES, name: str = "sh010") -> str:
    """A disc moving right over a dark noisy background, scene-linear RGB, half EXRs."""
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:H, 0:W]
    box = Box(0, 0, W, H)
    for i, frame in enumerate(frames):
        rgb = np.full((H, W, 3), 0.1, np.float32) + rng.random((H, W, 3), dtype=np.float32) * 0.05
        rgb[(xx - 10 - 2 * i) ** 2 + (yy - 16) ** 2 < 80] = (0.8, 0.5, 0.3)
        write_exr(os.path.join(directory, f"{name}.{frame:04d}.exr"), rgb, ("R", "G", "B"), box, box)
    return os.path.join(directory, f"{name}.####.exr")


def write_spec(path: str, **fields) -> str:
    import yaml
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(fields, fh, sort_keys=False)
    return path


def cmn_farm(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(VENV_BIN, "cmn-farm"), *args], capture_output=True, text=True, timeout=timeout)


def cmn_matte(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(VENV_BIN, "cmn-matte"), *args], capture_output=True, text=True,
                          timeout=timeout)
