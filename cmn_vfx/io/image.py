"""Read plates and write EXRs with OpenImageIO, keeping what a compositor expects.

- Channels are picked BY NAME, never by position: 'R','G','B', or a layer's
  'plate.R','plate.G','plate.B' (Nuke's 'rgba' layer = the unprefixed channels).
- The data window (overscan, negative origins) and the display window are kept;
  `Image.pixels` covers the data window.
- Header metadata is kept and can be written back (see cmn_vfx.io.metadata).
- Non-finite pixels (NaN, Inf) are replaced with 0, counted in
  metadata['cmn:nonfinite'] and warned about.
- EXRs are written half + zip by default, through cmn_vfx.io.atomic. 'dwaa'/'dwab'
  are allowed with alpha because OpenEXR's DWA compressor only quantises
  R, G, B (and Y, RY, BY) and stores every other channel, alpha included,
  losslessly; 'b44'/'b44a' quantise every half channel, so they are refused
  for images with alpha.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import cv2
import numpy as np
import OpenImageIO as oiio

from cmn_vfx.errors import BadInputError, warn
from cmn_vfx.io.atomic import atomic_path
from cmn_vfx.io.metadata import apply_metadata, spec_metadata

log = logging.getLogger(__name__)

COMPRESSIONS = ("none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab")
_LOSSY_ON_ALPHA = ("b44", "b44a")
_RGB_NAMES = (("r", "red"), ("g", "green"), ("b", "blue"))
_BITS = {10: "uint10", 12: "uint12"}


@dataclass(frozen=True)
class Box:
    """A pixel window, OIIO convention: origin (x, y) + size, y down."""

    x: int
    y: int
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}+{self.x}+{self.y}"


@dataclass
class Image:
    """Pixels of one image plus what is needed to write it back like the plate."""

    pixels: np.ndarray | None               # [H, W, C] float32 over the DATA window (None: read with
                                            # floats=False; floats() makes them from `half` or `codes`)
    channels: tuple[str, ...]               # names as in the file, e.g. ('plate.R', 'plate.G', 'plate.B')
    data_window: Box
    display_window: Box
    metadata: dict[str, object] = field(default_factory=dict)  # oiio attribute names
    pixel_type: str = "half"                # 'half' | 'float' | 'uint8' | 'uint10' | 'uint12' | 'uint16'
    path: str = ""
    # read_rgb(..., keep_half=True) of an all-half file: the same pixels as float16 (NaN/Inf as stored), so
    # per-value tables can be indexed by their bits (cmn_vfx.color.to_network_half)
    half: np.ndarray | None = field(default=None, repr=False, compare=False)
    # ... of an all-uint16 or all-uint8 file (10- and 12-bit DPX come as 16-bit codes): the codes as
    # OpenImageIO scales them, pixels = codes * (1 / 65535) (or 1 / 255) in float32 (cmn_vfx.color.to_network_codes)
    codes: np.ndarray | None = field(default=None, repr=False, compare=False)

    def floats(self, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """`pixels`, or (read with floats=False) the same values made now from `half` or `codes`: a frame
        waiting in the engine's queues holds its plate as half (a 1080p RGB plate: 12 MB, not 12 + 25).
        box (y0, y1, x0, x1): only those rows and columns (a view of `pixels` where there are pixels)."""
        region = np.s_[:, :] if box is None else np.s_[box[0]:box[1], box[2]:box[3]]
        if self.pixels is not None:
            return self.pixels if box is None else self.pixels[region]
        if self.half is not None:
            pixels = to_float(self.half[region])
            if self.metadata.get("cmn:nonfinite"):       # counted (and warned about) when read
                pixels[~np.isfinite(pixels)] = 0.0
            return pixels
        return code_floats(self.codes[region])


def to_half(pixels: np.ndarray) -> np.ndarray:
    """float32 [..., C] -> float16, rounded as OpenEXR rounds (to nearest, ties to even; beyond 65504 to Inf)
    bit for bit (tests/io/test_image.py), by OpenCV's vectorised conversion: 2x numpy's, 4x OpenEXR's own."""
    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    flat = pixels.reshape(pixels.shape[0], -1) if pixels.ndim > 1 and pixels.size else None
    if flat is None:
        with np.errstate(over="ignore"):
            return pixels.astype(np.float16)
    return cv2.multiply(flat, 1.0, dtype=cv2.CV_16F).reshape(pixels.shape)     # one channel: any C


def to_float(half: np.ndarray) -> np.ndarray:
    """float16 [..., C] -> float32 (exact), by OpenCV's vectorised conversion."""
    half = np.ascontiguousarray(half, dtype=np.float16)
    if half.ndim < 2 or not half.size:
        return half.astype(np.float32)
    return cv2.multiply(half.reshape(half.shape[0], -1), 1.0, dtype=cv2.CV_32F).reshape(half.shape)


def _open(path: str) -> "oiio.ImageInput":
    """ImageInput for `path`, or BadInputError naming the file and the fix."""
    if not os.path.isfile(path):
        raise BadInputError(f"{path}: no such file; check the path and frame range")
    inp = oiio.ImageInput.open(path)
    if inp is None:
        reason = (oiio.geterror() or "unknown format").strip().splitlines()[0]
        raise BadInputError(f"{path}: cannot read the file ({reason}); it is corrupt or not an image, re-render or re-copy it")
    return inp


def _windows(spec: "oiio.ImageSpec") -> tuple[Box, Box]:
    data = Box(spec.x, spec.y, spec.width, spec.height)
    display = Box(spec.full_x, spec.full_y, spec.full_width, spec.full_height)
    return data, display


def _pixel_type(spec: "oiio.ImageSpec") -> str:
    base = str(spec.format)
    bits = spec.get_int_attribute("oiio:BitsPerSample", 0)
    if base in ("uint16", "uint8") and bits in _BITS:
        return _BITS[bits]
    return base


def layers(channels: Sequence[str]) -> dict[str, list[str]]:
    """Channel names grouped by layer: '' holds unprefixed channels (Nuke's 'rgba')."""
    grouped: dict[str, list[str]] = {}
    for name in channels:
        layer, _, _ = name.rpartition(".")
        grouped.setdefault(layer, []).append(name)
    return grouped


def rgb_names(channels: Sequence[str], layer: str | None = None) -> tuple[str, str, str] | None:
    """The R, G, B channel names of `layer` (None/'rgba'/'rgb' = unprefixed), matched by name."""
    prefix = "" if layer in (None, "", "rgba", "rgb") else layer
    members = {name.rpartition(".")[2].lower(): name for name in layers(channels).get(prefix, [])}
    picked = [next((members[a] for a in alias if a in members), None) for alias in _RGB_NAMES]
    return tuple(picked) if all(picked) else None  # type: ignore[return-value]


def missing_rgb_error(path: str, channels: Sequence[str], layer: str | None) -> BadInputError:
    with_rgb = [name or "rgba" for name in layers(channels) if rgb_names(channels, name or None)]
    hint = f"pick a layer that has them: {', '.join(with_rgb)}" if with_rgb else "give a plate with colour channels"
    where = f"layer {layer!r}" if layer not in (None, "", "rgba", "rgb") else "the file"
    return BadInputError(f"{path}: {where} has no R, G, B channels (it has {', '.join(channels)}); {hint}")


def replace_nonfinite(pixels: np.ndarray, path: str) -> int:
    """Set NaN/Inf pixels to 0 in place; warn and return how many values were replaced."""
    bad = ~np.isfinite(pixels)
    count = int(bad.sum())
    if count:
        pixels[bad] = 0.0
    return _warn_nonfinite(count, path)


def _warn_nonfinite(count: int, path: str) -> int:
    if count:
        warn(f"{path}: {count} NaN/Inf pixel values replaced with 0; check the render or comp that made it")
    return count


CODE_LEVELS = {np.dtype(np.uint16): 65535, np.dtype(np.uint8): 255}     # Image.codes: the top code of each


def code_floats(codes: np.ndarray) -> np.ndarray:
    """uint16 or uint8 codes -> float32 0..1: code * (1 / levels) in float32, OpenImageIO's own float
    conversion to the bit (tests/io/test_image.py); cmn_vfx.color's code tables are built with it too."""
    return codes.astype(np.float32) * np.float32(1.0 / CODE_LEVELS[codes.dtype])


def _nonfinite_halves(half: np.ndarray, path: str) -> int:
    """How many of the halves are NaN/Inf (all exponent bits set); warns as replace_nonfinite does."""
    return _warn_nonfinite(int(np.count_nonzero((half.view(np.uint16) & 0x7C00) == 0x7C00)), path)


def _read(path: str, pick: Callable[[tuple[str, ...]], tuple[str, ...]], keep_half: bool = False,
          floats: bool = True) -> Image:
    """Open once, choose channel names from the header with `pick`, decode only those.
    keep_half: when every chosen channel is half, decode as half and keep it in Image.half too; when every
    one is uint16 (or every one uint8), decode the integer codes and keep them in Image.codes.
    floats False (with keep_half): no float pixels where half or codes were kept (Image.floats() makes them)."""
    inp = _open(path)
    try:
        spec = inp.spec()
        names = tuple(spec.channelnames)
        wanted = pick(names)
        index = [names.index(c) for c in wanted]
        lo, hi = min(index), max(index) + 1
        formats = [str(t) for t in spec.channelformats] or [str(spec.format)] * len(names)
        as_half = keep_half and all(formats[i] == "half" for i in index)
        as_codes = next((t for t in ("uint16", "uint8") if keep_half and all(formats[i] == t for i in index)), None)
        pixels = inp.read_image(0, 0, lo, hi, "half" if as_half else as_codes or "float")
        if pixels is None:
            reason = (inp.geterror() or "no pixel data").strip().splitlines()[0]
            raise BadInputError(f"{path}: the file is truncated or corrupt ({reason}); re-render or re-copy it")
        pixels = np.asarray(pixels).reshape(spec.height, spec.width, hi - lo)
        if hi - lo != len(index) or index != sorted(index):
            pixels = pixels[..., [i - lo for i in index]]
        half = np.ascontiguousarray(pixels) if as_half else None
        codes = np.ascontiguousarray(pixels) if as_codes else None
        if (as_half or as_codes) and not floats:
            pixels = None
        elif as_half:
            pixels = to_float(half)
        elif as_codes:
            pixels = code_floats(codes)
        else:
            pixels = np.ascontiguousarray(pixels, dtype=np.float32)
        data, display = _windows(spec)
        metadata = spec_metadata(spec)
    finally:
        inp.close()
    if pixels is not None:
        metadata["cmn:nonfinite"] = replace_nonfinite(pixels, path)
    else:                   # integer codes are always finite
        metadata["cmn:nonfinite"] = _nonfinite_halves(half, path) if half is not None else 0
    return Image(pixels, wanted, data, display, metadata, _pixel_type(spec), path, half, codes)


def read_image(path: str, channels: Sequence[str] | None = None) -> Image:
    """Read the first part of an image file: all channels, or the named ones in the given order.

    Returns pixels [H, W, C] float32 over the data window (DPX/PNG/... integers
    normalised 0..1 by their bit depth). Non-finite values are replaced with 0.
    """
    def pick(names: tuple[str, ...]) -> tuple[str, ...]:
        wanted = tuple(channels) if channels is not None else names
        unknown = [c for c in wanted if c not in names]
        if unknown:
            raise BadInputError(f"{path}: no channel {', '.join(unknown)} (it has {', '.join(names)}); "
                                "use the channel names listed")
        return wanted
    return _read(path, pick)


def read_rgb(path: str, layer: str | None = None, keep_half: bool = False, floats: bool = True) -> Image:
    """Exactly R, G, B of `layer` (None = unprefixed), picked by name: [H, W, 3] float32, file's colourspace.
    keep_half: also Image.half [H, W, 3] float16 when the three channels are half (else None), or Image.codes
    for integer files; floats False: then no float pixels (None) until Image.floats() is asked."""
    def pick(names: tuple[str, ...]) -> tuple[str, ...]:
        rgb = rgb_names(names, layer)
        if rgb is None:
            raise missing_rgb_error(path, names, layer)
        return rgb
    return _read(path, pick, keep_half, floats)


def image_info(path: str) -> dict:
    """Header of one file, as plain data (nothing is decoded). JSON-safe."""
    inp = _open(path)
    try:
        spec = inp.spec()
        data, display = _windows(spec)
        metadata = spec_metadata(spec)
        channel_types = [str(t) for t in spec.channelformats] or [str(spec.format)] * spec.nchannels
        return {
            "path": path,
            "format": inp.format_name(),
            "data_window": data.__dict__.copy(),
            "display_window": display.__dict__.copy(),
            "channels": list(spec.channelnames),
            "layers": {name or "rgba": chans for name, chans in layers(spec.channelnames).items()},
            "pixel_type": _pixel_type(spec),
            "channel_types": channel_types,
            "compression": metadata.get("compression"),
            "colorspace": metadata.get("oiio:ColorSpace"),
            "subimages": int(metadata.get("oiio:subimages", 1) or 1),
            "metadata": metadata,
        }
    finally:
        inp.close()


def _geometry(obj: "Image | Mapping") -> tuple[Box, Box]:
    if isinstance(obj, Image):
        return obj.data_window, obj.display_window
    return Box(**obj["data_window"]), Box(**obj["display_window"])


def check_same_geometry(first: "Image | Mapping", other: "Image | Mapping", path: str) -> None:
    """BadInputError if `other` (an Image or image_info dict) has another data/display window than `first`."""
    (data0, disp0), (data1, disp1) = _geometry(first), _geometry(other)
    first_path = first.path if isinstance(first, Image) else first.get("path", "the first frame")
    for what, a, b in (("data window", data0, data1), ("display window", disp0, disp1)):
        if a != b:
            raise BadInputError(f"{path}: {what} {b} differs from {a} of {first_path}; "
                                "render every frame of the plate with the same resolution and windows")


def check_headers(paths: Sequence[str], layer: str | None = None) -> dict:
    """image_info of paths[0] after checking every path's header (nothing is decoded).

    Each must open, have R, G, B (of `layer`) and the data and display windows of paths[0];
    otherwise BadInputError naming the first bad file. The engine calls it on a run's whole
    range before writing anything, and `cmn-matte info` on the frames it describes.
    """
    first = image_info(paths[0])
    for path in dict.fromkeys(paths):
        info = first if path == paths[0] else image_info(path)
        if rgb_names(info["channels"], layer) is None:
            raise missing_rgb_error(path, info["channels"], layer)
        check_same_geometry(first, info, path)
    return first


def _check_write_args(path: str, pixels: np.ndarray, channels: Sequence[str], data_window: Box,
                      pixel_type: str, compression: str) -> None:
    if pixels.ndim != 3 or pixels.shape != (data_window.height, data_window.width, len(channels)):
        raise ValueError(f"{path}: pixels {pixels.shape} do not match data window {data_window} "
                         f"with {len(channels)} channels")
    if pixel_type not in ("half", "float"):
        raise ValueError(f"{path}: pixel_type {pixel_type!r} must be 'half' or 'float'")
    base = compression.split(":")[0]
    if base not in COMPRESSIONS:
        raise BadInputError(f"{path}: compression {compression!r} is unknown; use one of {', '.join(COMPRESSIONS)}")
    alphas = [c for c in channels if c.rpartition(".")[2] == "A"]
    if alphas and base in _LOSSY_ON_ALPHA:
        raise BadInputError(f"{path}: compression {base} would quantise alpha ({', '.join(alphas)}); "
                            "use zip, piz or dwaa (dwaa keeps alpha lossless)")


def write_exr(path: str, pixels: np.ndarray, channels: Sequence[str], data_window: Box, display_window: Box,
              metadata: Mapping[str, object] | None = None, pixel_type: str = "half",
              compression: str = "zip") -> None:
    """Write an EXR atomically (temp file in the same folder, then rename).

    pixels: [H, W, C] float, H x W = data_window size, C = len(channels), any
    colourspace (written as given); float16 pixels are written as they are when pixel_type is half.
    compression: zip (default), piz, dwaa[:level], ...
    """
    _check_write_args(path, pixels, channels, data_window, pixel_type, compression)
    spec = oiio.ImageSpec(data_window.width, data_window.height, len(channels), pixel_type)
    spec.x, spec.y = data_window.x, data_window.y
    spec.full_x, spec.full_y = display_window.x, display_window.y
    spec.full_width, spec.full_height = display_window.width, display_window.height
    spec.channelnames = tuple(channels)
    spec.alpha_channel = list(channels).index("A") if "A" in channels else -1
    skipped = apply_metadata(spec, metadata or {})
    if skipped:
        log.debug("%s: metadata %s not written (no header type)", path, skipped)
    spec.attribute("compression", compression)
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise BadInputError(f"{path}: the folder {directory} does not exist; create it or choose another output")
    with atomic_path(path) as tmp:
        out = oiio.ImageOutput.create("openexr")
        if out is None or not out.open(tmp, spec):
            reason = (out.geterror() if out else oiio.geterror()) or "cannot create the file"
            raise BadInputError(f"{path}: cannot write ({reason.splitlines()[0]}); check the folder's permissions and free space")
        ok, reason = False, ""
        try:
            if pixel_type == "half":
                data = np.ascontiguousarray(pixels) if pixels.dtype == np.float16 else to_half(pixels)
            else:
                data = np.ascontiguousarray(pixels, dtype=np.float32)
            ok = out.write_image(data)
            reason = out.geterror()
        finally:
            ok = out.close() and ok
        if not ok:
            raise BadInputError(f"{path}: writing failed ({reason or 'unknown error'}); check free space and permissions")
