"""Which person: the shot spec's `subject`, and Nuke coordinates -> plate pixels. Pure, no Nuke, no Qt.

The grammar is cmn_vfx/job/subject_grammar.py, imported from the plugin's copy of the job package
(vendor/job, byte for byte; Nuke's Python cannot import cmn_vfx):

    all | main | PICK[;PICK...]     PICK = x,y@frame (a point) or x0,y0,x1,y1@frame (a box)

in PLATE PIXELS: the display window's pixel coordinates, x right and y DOWN from the top-left
corner; `frame` is the plate's (file) frame number, as in the spec's `frames`.

Nuke's coordinates (NDK Dev Guide, "Coordinates and bounding boxes"): pixel-based with 0,0 at
the lower-left corner of the FORMAT (= the plate's display window), y UP; knob values (Roto
`curves`, XY and BBox knobs) are full-resolution coordinates whatever the proxy setting, and
x counts real pixels (a 2:1 anamorphic 1828-wide plate spans x 0..1828). Pixel i covers
[i, i+1), its centre is i + 0.5 (nuke.sample: "integers are at the corners of pixels").
The contract uses the same unit with y flipped, so a point maps as

    plate_x = x                plate_y = height - y

(row j from the bottom in Nuke is row height-1-j from the top; its centre j+0.5 maps to the
centre of that row). Points are written as the whole pixel they fall in; boxes as their edges.

The Viewer's colour-sample box (ctrl+click / ctrl+drag; `colour_sample_bbox` on the Viewer node)
is normalised to the viewed FORMAT: x runs -1..1 across its width, y uses the same unit of the
desqueezed (pixel-aspect-corrected) image, centred on the format:

    x = (u + 1) * width / 2          y = height / 2 + v * width * pixel_aspect / 2

so it is independent of proxy mode (the formula used by Nuke tools built on the colour sample,
e.g. Hagbarth's QuickCreate with the pixel-aspect correction).
"""
from __future__ import annotations

import math

from .vendor.job.errors import BadInputError
from .vendor.job.subject_grammar import ALL, MAIN, Pick, parse_subject, subject_text

BOX_MIN_PX = 4.0   # a colour-sample region at least this wide and tall is a box pick, else its centre is a point


class PickError(ValueError):
    """A pick that cannot be used; the message says what to do instead."""


# --- the subject text in the panel ---------------------------------------------------

def _parsed(text: str | None) -> str | list[Pick]:
    """The grammar's reading of the panel's text; PickError with the grammar's message if bad."""
    try:
        return parse_subject(text)
    except BadInputError as exc:
        raise PickError(str(exc)) from None


def normalise_subject(text: str | None) -> str:
    """'all', 'main' or the canonical pick text (subject_text of the grammar); PickError if bad."""
    return subject_text(_parsed(text))


def spec_subject(text: str | None) -> str | None:
    """The spec's `subject`: None for all (every person), else 'main' or the canonical picks."""
    value = normalise_subject(text)
    return None if value == ALL else value


def add_pick(current: str | None, pick: str) -> str:
    """Append a pick to the subject text: all/main (or nothing) is replaced, picks are joined with ';'."""
    value = "" if current is None else str(current).strip()
    if not value or value.lower() in (ALL, MAIN):
        return pick
    return f"{value.rstrip(';').strip()};{pick}"


def check_frames(text: str | None, first: int, last: int) -> list[str]:
    """One line per pick whose frame is outside the frames being matted (the pick could not be seen)."""
    subject = _parsed(text)
    if isinstance(subject, str):
        return []
    return [f"pick {pick.text()} is on frame {pick.frame}, outside the frames {first}-{last}; "
            "pick on a frame that is matted" for pick in subject if not first <= pick.frame <= last]


# --- Nuke coordinates -> plate pixels ------------------------------------------------

def viewer_to_nuke(u: float, v: float, width: int, height: int, pixel_aspect: float = 1.0) -> tuple[float, float]:
    """A normalised Viewer colour-sample coordinate -> Nuke pixel coordinates (y up) of a width x height format."""
    return (u + 1.0) * width / 2.0, height / 2.0 + v * width * (pixel_aspect or 1.0) / 2.0


def to_plate(x: float, y: float, width: int, height: int, proxy_scale: float = 1.0) -> tuple[float, float]:
    """Nuke pixel coordinates (origin bottom-left of the format, y up) -> plate pixels (y down).

    proxy_scale: give it when x, y are PROXY pixels (e.g. a node's bbox() in proxy mode, where
    Nuke works at proxy_scale of full size); knob values and the Viewer's colour sample are
    already full resolution (1.0). A point outside the format (overscan, or off the image) is
    refused: the matte and the contract's plate pixels cover the format only.
    """
    if not proxy_scale or proxy_scale <= 0:
        raise PickError(f"proxy scale {proxy_scale!r} must be > 0")
    fx, fy = x / proxy_scale, y / proxy_scale
    if not (0.0 <= fx <= width and 0.0 <= fy <= height):
        raise PickError(f"the point ({fx:.0f}, {fy:.0f}) in Nuke's pixels is outside the plate's format "
                        f"0,0-{width},{height} (overscan or off the image); pick on the person inside the format")
    return fx, height - fy


def point_text(x: float, y: float, frame: int) -> str:
    """A plate-pixel point -> 'x,y@frame' naming the whole pixel it falls in."""
    return f"{math.floor(x)},{math.floor(y)}@{int(frame)}"


def box_text(x0: float, y0: float, x1: float, y1: float, frame: int) -> str:
    """A plate-pixel box (any corner order) -> 'x0,y0,x1,y1@frame' with edges on whole pixels."""
    left, right = sorted((x0, x1))
    top, bottom = sorted((y0, y1))
    return f"{math.floor(left)},{math.floor(top)},{math.ceil(right)},{math.ceil(bottom)}@{int(frame)}"


def _same_image(viewed: tuple, plate: tuple) -> bool:
    """The Viewer shows an image of the plate's shape (width * pixel aspect / height, proxy-proof)."""
    (vw, vh, va), (pw, ph, pa) = viewed[:3], plate[:3]
    return vw > 0 and vh > 0 and abs(vw * (va or 1.0) / vh - pw * (pa or 1.0) / ph) <= 0.005 * pw * (pa or 1.0) / ph


def viewer_pick(sample_bbox, viewed_format, plate_format, frame: int) -> str:
    """The Viewer's colour-sample box (u0, v0, u1, v1, normalised) -> a pick in plate pixels.

    viewed_format: (width, height, pixel_aspect) of the image in the Viewer; plate_format: the
    Read's (width, height, pixel_aspect[, name]). A ctrl+click (a tiny box) gives a point at its
    centre; a ctrl+shift+drag region BOX_MIN_PX pixels or more each way gives a box (clipped to the format).
    """
    width, height, aspect = plate_format[0], plate_format[1], plate_format[2] or 1.0
    if not width or not height:
        raise PickError("the plate's format is unknown; check the Read node")
    if not sample_bbox or len(sample_bbox) < 4 or all(float(c) == 0.0 for c in sample_bbox[:4]):
        raise PickError("no colour sample in the Viewer: ctrl+click the person in the Viewer first "
                        "(ctrl+shift+drag for a box), then Pick from Viewer")
    if viewed_format is not None and not _same_image(viewed_format, plate_format):
        vw, vh = viewed_format[0], viewed_format[1]
        raise PickError(f"the Viewer shows a {vw}x{vh} image, not the plate's {width}x{height} format; "
                        "view the plate's Read node (or a node with its format) and pick again")
    u0, v0, u1, v1 = (float(c) for c in sample_bbox[:4])
    (x0, y0), (x1, y1) = (viewer_to_nuke(u, v, width, height, aspect) for u, v in ((u0, v0), (u1, v1)))
    if abs(x1 - x0) >= BOX_MIN_PX and abs(y1 - y0) >= BOX_MIN_PX:
        return nuke_box_pick([(x0, y0), (x1, y1)], width, height, frame)
    return nuke_point_pick((x0 + x1) / 2.0, (y0 + y1) / 2.0, width, height, frame)


def nuke_point_pick(x: float, y: float, width: int, height: int, frame: int, proxy_scale: float = 1.0) -> str:
    """A point in Nuke pixel coordinates -> 'x,y@frame' in plate pixels (refused outside the format)."""
    px, py = to_plate(x, y, width, height, proxy_scale)
    return point_text(min(px, width - 1), min(py, height - 1), frame)   # the far edges belong to the last pixel


def nuke_box_pick(points, width: int, height: int, frame: int, proxy_scale: float = 1.0) -> str:
    """The bounding box of points in Nuke pixel coordinates -> 'x0,y0,x1,y1@frame', clipped to the format;
    refused when the box lies entirely outside the format."""
    if not points:
        raise PickError("the shape has no points")
    xs = [p[0] / proxy_scale for p in points]
    ys = [p[1] / proxy_scale for p in points]
    left, right = max(min(xs), 0.0), min(max(xs), float(width))
    bottom, top = max(min(ys), 0.0), min(max(ys), float(height))
    if left >= right or bottom >= top:
        raise PickError(f"the box {min(xs):.0f},{min(ys):.0f}-{max(xs):.0f},{max(ys):.0f} in Nuke's pixels is "
                        f"outside the plate's format 0,0-{width},{height}; draw it around the person")
    return box_text(left, height - top, right, height - bottom, frame)


def roto_pick(points, width: int, height: int, frame: int, as_box: bool = False) -> str:
    """A Roto shape's control points (Nuke pixel coordinates, full resolution, transforms applied)
    -> the centre of their bounding box as a point pick, or (as_box) the box itself."""
    if not points:
        raise PickError("the Roto shape has no points")
    if as_box:
        return nuke_box_pick(points, width, height, frame)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return nuke_point_pick((min(xs) + max(xs)) / 2.0, (min(ys) + max(ys)) / 2.0, width, height, frame)


def apply_matrix(matrix, x: float, y: float) -> tuple[float, float]:
    """A Roto transform's 4x4 matrix (16 values, as CTransform.getMatrix() gives them) on the point (x, y).

    Read row-major (translation in m[3], m[7]: how Roto-to-Tracker tools apply it); a matrix
    whose translation sits in m[12], m[13] instead (column-major) is transposed first.
    """
    m = [float(v) for v in matrix]
    if (m[12] or m[13]) and not (m[3] or m[7]):
        m = [m[4 * (i % 4) + i // 4] for i in range(16)]
    w = m[12] * x + m[13] * y + m[15]
    w = w if w else 1.0
    return (m[0] * x + m[1] * y + m[3]) / w, (m[4] * x + m[5] * y + m[7]) / w
