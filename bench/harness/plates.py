"""The suite's clips as the engine reads them: scene-linear half EXR plates folder/clip.<frame>.exr from
PLATE_FIRST (cmn_vfx.color.to_network gives the sRGB frames back), and true alpha keys for `teach`.

    plate = write_plate("runs/validate/plates/two_a", rendered.src)     # 'runs/.../clip.####.exr'
"""
from __future__ import annotations

import os

import numpy as np

PLATE_FIRST, PLATE_PADDING = 1001, 4   # the bench's own plates: clip.1001.exr ...


def plate_frames(count: int) -> list[int]:
    """The frame numbers of a bench plate of `count` frames."""
    return list(range(PLATE_FIRST, PLATE_FIRST + count))


def write_plate(folder: str, frames: list[np.ndarray]) -> str:
    """Frames ([H,W,3] float32 sRGB 0..1) as scene-linear half EXRs folder/clip.<frame>.exr (a frame already
    there is kept); returns the sequence's '#' pattern."""
    from cmn_vfx import color
    from cmn_vfx.io.image import Box, write_exr
    from cmn_vfx.io.sequence import Sequence
    os.makedirs(folder, exist_ok=True)
    seq = Sequence(folder, "clip.", ".exr", PLATE_PADDING, tuple(plate_frames(len(frames))))
    linear = color.check_colorspace("lin_rec709")
    for frame, src in zip(seq.frames, frames):
        if not os.path.isfile(seq.path(frame)):
            window = Box(0, 0, src.shape[1], src.shape[0])
            write_exr(seq.path(frame), color.convert(src, color.network_space(), linear), ("R", "G", "B"), window,
                      window, {"oiio:ColorSpace": linear})
    return seq.hash_pattern


def write_keys(folder: str, truth: list[np.ndarray], indices: list[int]) -> str:
    """The true alpha ([H,W] 0..1) of frames `indices` (positions in the clip) as folder/key.<frame>.exr;
    returns the keys' '#' pattern (`cmn-matte teach --keys`)."""
    from cmn_vfx.io.image import Box, write_exr
    os.makedirs(folder, exist_ok=True)
    for i in indices:
        window = Box(0, 0, truth[i].shape[1], truth[i].shape[0])
        write_exr(os.path.join(folder, f"key.{PLATE_FIRST + i:0{PLATE_PADDING}d}.exr"), truth[i][..., None], ("A",),
                  window, window)
    return os.path.join(folder, "key." + "#" * PLATE_PADDING + ".exr")
