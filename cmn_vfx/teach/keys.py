"""Keyframes for `cmn-matte teach`: alpha EXRs checked before any work is done.

    keys = read_keys("keys/sh010.####.exr", plate_seq, frames, geometry)   # {frame: [H,W] float32 0..1}

A key is the matte of one plate frame: channel `A`, or the file's only channel; half or float; the
plate's display window, pixels over the plate's data window (outside the key's own data window is 0,
as Nuke reads it, so a key cropped to its bounding box is fine). Each fault is one BadInputError naming
the file and the fix, raised before anything is read from the plate or written.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.image import Box, image_info, read_image
from cmn_vfx.io.sequence import Sequence, find_sequence, format_frame_range

EMPTY = 1e-3        # a key whose largest value is below this is taken as an empty matte


def key_channel(path: str, channels: list[str]) -> str:
    """The channel holding the matte: cmn-eval's rule ('A', else the only '*.A', else the only channel)."""
    from cmn_vfx.commands.evaluate import pick_alpha_channel
    try:
        return pick_alpha_channel(tuple(channels), path)
    except BadInputError:
        pass
    raise BadInputError(f"{path}: no A channel and {len(channels)} channels ({', '.join(channels)}); "
                        "write the key's matte as channel A (or as the file's only channel)")


def find_keys(pattern: str, frames: list[int]) -> Sequence:
    """The key sequence; refuses no key at all, or key frames outside the frames taught."""
    try:
        seq = find_sequence(pattern)
    except BadInputError as exc:
        raise BadInputError(f"--keys {pattern}: no key found ({exc}); give the pattern of the alpha EXRs, "
                            "e.g. keys/sh010.####.exr, numbered like the plate") from None
    outside = [f for f in seq.frames if f not in set(frames)]
    if outside:
        raise BadInputError(f"{seq.path(outside[0])}: key frame {outside[0]} is outside the frames taught "
                            f"({format_frame_range(frames)}); number the keys like the plate, or widen --frames")
    return seq


def read_keys(pattern: str, frames: list[int], geometry: dict) -> dict[int, np.ndarray]:
    """{frame: alpha [H,W] float32 0..1 over the plate's data window} for every key of `pattern`.

    geometry: the plate's first frame (cmn_vfx.engine.reader.first_geometry: data_box, display_box).
    Every header is checked before any key's pixels are decoded.
    """
    infos = check_keys(pattern, frames, geometry["display_box"])
    return {f: _read_key(info["path"], info, geometry["data_box"]) for f, info in infos.items()}


def check_keys(pattern: str, frames: list[int], display: Box) -> dict[int, dict]:
    """{frame: header info + path + channel} of every key of `pattern`, from the headers only: at least one
    key, all within `frames`, at the plate's display window, a half or float matte channel. What
    `cmn-farm submit` checks before a job exists; the pixels' checks (NaN, empty) are read_keys'."""
    seq = find_keys(pattern, frames)
    return {f: dict(_check_header(seq.path(f), display), path=seq.path(f)) for f in seq.frames}


def _check_header(path: str, plate: Box) -> dict:
    info = image_info(path)
    display = Box(**info["display_window"])
    if display != plate:
        raise BadInputError(f"{path}: the key is {display.width}x{display.height} (display window {display}), the plate "
                            f"{plate.width}x{plate.height} ({plate}); render the keys at the plate's format")
    channel = key_channel(path, info["channels"])
    kind = info["channel_types"][info["channels"].index(channel)]
    if kind not in ("half", "float"):
        raise BadInputError(f"{path}: channel {channel} is {kind}; write the key as a half or float EXR")
    return dict(info, channel=channel)


def _read_key(path: str, info: dict, data: Box) -> np.ndarray:
    with contextlib.redirect_stderr(io.StringIO()):      # read_image's NaN warning: the refusal below says it
        image = read_image(path, [info["channel"]])
    if image.metadata.get("cmn:nonfinite"):
        raise BadInputError(f"{path}: {image.metadata['cmn:nonfinite']} NaN/Inf values in channel {info['channel']}; "
                            "fix the render or comp that made the key (a key must be 0..1 everywhere)")
    alpha = np.zeros((data.height, data.width), np.float32)
    own = image.data_window
    x0, y0 = max(own.x, data.x), max(own.y, data.y)
    x1, y1 = min(own.x + own.width, data.x + data.width), min(own.y + own.height, data.y + data.height)
    if x1 > x0 and y1 > y0:
        alpha[y0 - data.y:y1 - data.y, x0 - data.x:x1 - data.x] = image.pixels[y0 - own.y:y1 - own.y,
                                                                               x0 - own.x:x1 - own.x, 0]
    if float(alpha.max(initial=0.0)) < EMPTY:
        raise BadInputError(f"{path}: the key is empty (no matte inside the plate's pixels); a key must show the "
                            "person: re-render it, or leave this frame out of the keys")
    return np.clip(alpha, 0.0, 1.0)
