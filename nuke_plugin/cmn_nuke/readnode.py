"""Read-node knob values <-> shot spec values, as pure functions over plain data.

Nothing here imports `nuke`: nodes.py reads the knobs into a `ReadKnobs` and writes
the dicts returned by `result_read_knobs` back, so every rule below is tested
without Nuke.

Vocabulary (as in Nuke's Read node):
  file       '/plates/sh010.####.exr' or '.../sh010.%04d.exr' (also '#', '%d', '%06d')
  first/last the frame range the Read uses, in FILE frame numbers (can be negative)
  origfirst/origlast  the range found on disk
  colorspace 'default (linear)', 'linear', 'ACES - ACEScg', 'Utility/Utility - Raw',
             'scene_linear (ACES - ACEScg)' (a role), ...
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .vendor.job.errors import BadInputError
from .vendor.job.frames import format_frame, frame_spans, parse_pattern, sequence_name
from .vendor.job.layout import OutputLayout

# Nuke's built-in (nuke-default) names -> the equivalent OCIO name cmn-matte knows.
NUKE_DEFAULT_COLORSPACES = {
    "linear": "Linear Rec.709 (sRGB)",
    "srgb": "sRGB - Texture",
    "cineon": "cineon",
    "raw": "Raw",
    "gamma1.8": "Gamma 1.8 Rec.709 - Texture",
    "gamma2.2": "Gamma 2.2 Rec.709 - Texture",
    "gamma2.4": "Gamma 2.4 Rec.709 - Texture",
}
# OCIO role names Nuke shows as 'role (colourspace)'.
ROLES = ("default", "scene_linear", "compositing_linear", "rendering", "reference",
         "data", "compositing_log", "color_timing", "texture_paint", "matte_paint", "color_picking")
# Preference order when looking for a scene-linear / raw entry in a colorspace knob's values.
SCENE_LINEAR_NAMES = ("scene_linear", "linear", "ACEScg", "ACES - ACEScg", "Linear Rec.709 (sRGB)",
                      "Utility - Linear - sRGB", "lin_srgb", "lin_rec709", "lin_ap1")
RAW_NAMES = ("raw", "Raw", "Utility - Raw", "data", "none")

@dataclass
class ReadKnobs:
    """The Read-node knob values the plugin cares about (plain data; nodes.py fills it)."""

    name: str
    file: str
    first: int
    last: int
    origfirst: int
    origlast: int
    colorspace: str = ""
    format: tuple[int, int, float, str] = (0, 0, 1.0, "")   # width, height, pixel aspect, name
    bbox: tuple[int, int, int, int] | None = None            # data window x, y, r, t (None = same as format)
    proxy: str = ""
    frame_mode: str = ""
    frame: str = ""
    colorspace_values: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)        # node.channels(): 'rgba.red', 'plate.red', ...


# --- file patterns -------------------------------------------------------------------

def split_pattern(path: str) -> tuple[str, int, str]:
    """'/p/sh010.%04d.exr' -> ('/p/sh010.', 4, '.exr'): the patterns cmn-matte reads (job/frames.py's
    parse_pattern: '#' counts digits, '%d' is padding 1, the file name's last token is the frame).

    Raises ValueError when the path has no frame number pattern (a single image).
    """
    parts = parse_pattern(path)
    if parts is None:
        raise ValueError(f"{path} has no frame number (#### or %04d); point the Read at an image sequence")
    directory, head, tail, padding = parts
    return os.path.join(directory, head) if directory else head, padding, tail


def hash_pattern(path: str) -> str:
    """Any Nuke frame pattern -> the '####' form (one '#' per digit), which cmn-matte reads."""
    head, padding, tail = split_pattern(path)
    return f"{head}{'#' * padding}{tail}"


def frame_path(pattern: str, frame: int) -> str:
    """The file of one frame; negative frames as '-' then the padded digits (sh010.-001.exr)."""
    head, padding, tail = split_pattern(pattern)
    return f"{head}{format_frame(frame, padding)}{tail}"


def plate_name(pattern: str) -> str:
    """'/p/sh010.####.exr' -> 'sh010': the name cmn-matte gives the plate's outputs (job/frames.py)."""
    head, _, _ = split_pattern(pattern)
    return sequence_name(os.path.dirname(head), os.path.basename(head))


def resolve_file(path: str, project_directory: str = "") -> str:
    """Make a Read's file path absolute (relative paths are relative to the project directory)."""
    if not os.path.isabs(path) and not re.match(r"^[A-Za-z]:[/\\]", path) and project_directory:
        path = os.path.join(project_directory, path)
    return path


# --- frame ranges --------------------------------------------------------------------

def format_range(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}-{last}"


def frame_bounds(text: str | None) -> tuple[int, int] | None:
    """The first and last frame of a frame range in the spec's grammar (job/frames.py: '1001-1100',
    '1001-1100x2', '1,5,9-12'); None when it is empty or unreadable (the shot spec's checks say why)."""
    try:
        spans = [frames for _, frames in frame_spans(str(text or "")) if frames]
    except BadInputError:
        return None
    return (min(f[0] for f in spans), max(f[-1] for f in spans)) if spans else None


# --- colourspace ---------------------------------------------------------------------

def colorspace_leaf(value: str) -> str:
    """'Utility/Utility - Raw' -> 'Utility - Raw' (Nuke 14+ shows OCIO families as menu paths)."""
    return value.strip().rsplit("/", 1)[-1].strip()


def effective_colorspace(value: str) -> str:
    """The colourspace a knob value really means: 'default (linear)' -> 'linear',
    'scene_linear (ACES - ACEScg)' -> 'ACES - ACEScg'; other names unchanged
    ('Linear Rec.709 (sRGB)' keeps its brackets: they are part of the name)."""
    leaf = colorspace_leaf(value)
    match = re.fullmatch(r"(\S+)\s*\((.+)\)", leaf)
    if match and match.group(1).lower() in ROLES:
        return match.group(2).strip()
    return leaf


def spec_colorspace(value: str) -> str:
    """Read-node colorspace knob value -> the shot spec's `colorspace` (an OCIO name or 'auto')."""
    name = effective_colorspace(value)
    if not name or name.lower() == "default":
        return "auto"
    return NUKE_DEFAULT_COLORSPACES.get(name.lower(), name)


def is_scene_linear(value: str) -> bool:
    name = effective_colorspace(value).lower()
    return ("linear" in name or "acescg" in name or "aces2065" in name or name in ("lin_ap1", "lin_ap0")) \
        and "log" not in name


def pick_colorspace(values: list[str], wanted: tuple[str, ...]) -> str | None:
    """The first knob value whose meaning matches a wanted name (in `wanted` order)."""
    for name in wanted:
        for value in values:
            if name.lower() in (colorspace_leaf(value).lower(), effective_colorspace(value).lower()) \
                    and not colorspace_leaf(value).lower().startswith("default"):
                return value
    return None


def fg_colorspace(plate_value: str, values: list[str]) -> str:
    """The foreground is scene-linear in the plate's colourspace: keep a linear plate's
    value; otherwise (log/video plates) the config's scene-linear entry from `values`."""
    if is_scene_linear(plate_value) and (plate_value in values or not values):
        return plate_value
    return pick_colorspace(values, SCENE_LINEAR_NAMES) \
        or next((v for v in values if is_scene_linear(v)), "") or "linear"


def alpha_colorspace(values: list[str]) -> str:
    """Alpha is data: the config's raw entry from `values` ('raw', 'Raw', 'Utility - Raw')."""
    return pick_colorspace(values, RAW_NAMES) or "raw"


# --- layers ---------------------------------------------------------------------------

_RGB = ("red", "green", "blue")


def plate_layer(channels: list[str]) -> str:
    """The layer holding the plate's colour, as cmn-matte's --layer: '' when the Read has
    rgba.red/green/blue (or no channel list), else the first layer with red, green and blue
    ('plate' for plate.red...; the EXR's channels are then plate.R, plate.G, plate.B)."""
    layers: dict[str, set[str]] = {}
    for name in channels:
        layer, _, chan = name.rpartition(".")
        layers.setdefault(layer, set()).add(chan.lower())
    if not channels or set(_RGB) <= layers.get("rgba", set()):
        return ""
    return next((layer for layer, chans in layers.items() if layer and set(_RGB) <= chans), "")


# --- Read node -> spec, results -> Read nodes ---------------------------------------

def describe_format(knobs: ReadKnobs) -> str:
    """'2048x1152 1.0 (HD_2K), data window 2248x1352 (overscan 100 px), proxy: ...'."""
    width, height, aspect, name = knobs.format
    text = f"{width}x{height}"
    if aspect and abs(aspect - 1.0) > 1e-6:
        text += f" (pixel aspect {aspect:g})"
    if name:
        text += f" {name}"
    if knobs.bbox is not None and tuple(knobs.bbox) != (0, 0, width, height):
        x, y, r, t = knobs.bbox
        text += f", data window {r - x}x{t - y}"
        pad = (-x, -y, r - width, t - height)
        if min(pad) >= 0 and len(set(pad)) == 1:
            text += f" (overscan {pad[0]} px)"
        elif min(pad) >= 0:
            text += f" (overscan l{pad[0]} b{pad[1]} r{pad[2]} t{pad[3]})"
    if knobs.proxy:
        text += f"; proxy {os.path.basename(knobs.proxy)} ignored, the full-res file is matted"
    return text


def spec_values(knobs: ReadKnobs, project_directory: str = "") -> dict:
    """The plate half of a shot spec from a Read node: plate, frames, name, colorspace, layer."""
    plate = hash_pattern(resolve_file(knobs.file, project_directory))
    return {
        "plate": plate,
        "frames": format_range(knobs.first, knobs.last),
        "name": plate_name(plate),
        "colorspace": spec_colorspace(knobs.colorspace),
        "layer": plate_layer(knobs.channels),
    }


def default_output(plate: str) -> str:
    """Results go beside the plate folder: /shot/plate/sh010.####.exr -> /shot/cmn."""
    return os.path.normpath(os.path.join(os.path.dirname(plate), os.pardir, "cmn"))


def result_frames(result: dict) -> tuple[int, int]:
    """The first and last frame of a submit result; ValueError when its 'frames' cannot be read."""
    bounds = frame_bounds(result["frames"])
    if bounds is None:
        raise ValueError(f"the job's frame range {result['frames']!r} cannot be read; submit the shot again")
    return bounds


def result_read_knobs(result: dict, plate: ReadKnobs) -> dict[str, dict]:
    """A submit result ({'alpha', 'fg', 'frames', ...}) -> knob values for two new Read nodes.

    Returns {'alpha': {...}, 'fg': {...}}; each dict maps knob name -> value in the order
    nodes.py sets them (file first: Nuke resets the range when the file changes).
    """
    first, last = result_frames(result)
    values = plate.colorspace_values
    timing = {"first": first, "last": last, "origfirst": first, "origlast": last}
    if plate.frame:   # keep the plate's retime so the results line up with it
        timing.update(frame_mode=plate.frame_mode, frame=plate.frame)
    alpha = {"file": result["alpha"], **timing, "colorspace": alpha_colorspace(values), "raw": True,
             "premultiplied": False}
    fg = {"file": result["fg"], **timing, "colorspace": fg_colorspace(plate.colorspace, values),
          "raw": False, "premultiplied": True}
    return {"alpha": alpha, "fg": fg}


def expected_results(output: str, plate: str, frames: str) -> dict:
    """Where cmn-matte writes a shot's results (docs/contracts.md: OUT/alpha, OUT/fg)."""
    _, padding, _ = split_pattern(plate)
    layout = OutputLayout(output, plate_name(plate), padding)
    return {"alpha": layout.alpha_pattern, "fg": layout.fg_pattern, "frames": frames}
