"""Tiny plates written in tmp dirs for the io tests (a unique module name: other test dirs have conftest.py too)."""
from __future__ import annotations

import os

import numpy as np

from cmn_vfx.io.image import Box, write_exr

OVERSCAN = Box(-2, -1, 10, 6)     # data window with negative origin, larger than the display
DISPLAY = Box(0, 0, 6, 4)


def make_plate(directory, frames, name="sh010", padding=4, channels=("R", "G", "B", "A"),
               data=OVERSCAN, display=DISPLAY, pixel_type="half", metadata=None) -> str:
    """Write one tiny EXR per frame; frame f has every value = (f % 100) / 100 + channel / 10."""
    os.makedirs(directory, exist_ok=True)
    for frame in frames:
        base = (frame % 100) / 100.0
        pixels = np.stack([np.full((data.height, data.width), base + c / 10.0, np.float32)
                           for c in range(len(channels))], axis=-1)
        digits = ("-" if frame < 0 else "") + str(abs(frame)).zfill(padding)
        write_exr(os.path.join(str(directory), f"{name}.{digits}.exr"), pixels, channels, data, display,
                  metadata, pixel_type)
    return os.path.join(str(directory), f"{name}.{'#' * padding}.exr")
