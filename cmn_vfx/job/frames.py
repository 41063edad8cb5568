"""Frame numbers, frame ranges and sequence patterns as text: the pure part of an image sequence.

A sequence is `directory/head + frame + tail`, e.g. `plates/sh010.1001.exr` with
head 'sh010.', tail '.exr' and padding 4. Frame numbers are kept as they are on
disk (never renumbered). Negative frames follow Nuke: `sh010.-001.exr`.

    format_frame(7, 4)                     '0007'       (-7, 3 -> '-007'; 10000, 4 -> '10000')
    frame_spans('1001-1100x2, 7')          [('1001-1100x2', range(1001, 1101, 2)), ('7', range(7, 8))]
    parse_frame_range('1,5,9-12')          [1, 5, 9, 10, 11, 12]
    format_frame_range([1,2,3,5,7,9,20])   '1-3,5-9x2,20'
    parse_pattern('p/sh010.%04d.exr')      ('p', 'sh010.', '.exr', 4)
    split_name('sh010.-007.exr')           ('sh010.', '007', -7, '.exr')
    sequence_name('p', 'sh010.')           'sh010'      (what a shot's outputs are called by default)

Patterns: 'sh010.####.exr' (one digit per '#', also '@'), 'sh010.%04d.exr' (printf; '%d' = no
padding), 'sh010.$F4.exr' (Houdini; '$F' = no padding). Finding a sequence's files on disk is
cmn_vfx.io.sequence's; this module reads no folder, so Nuke's copy of the job package uses it too.
"""
from __future__ import annotations

import os
import re
from typing import Iterable

from .errors import BadInputError

# The frame is the last group of digits in the name; '-' is a sign only right
# after a separator ('.' or '_') or at the start, so 'plate-1001.exr' is frame 1001.
_FRAME_RE = re.compile(r"^(?P<head>.*?)(?P<sign>(?<=[._])-|^-)?(?P<digits>\d+)(?P<tail>\D*)$")
_PATTERN_RE = re.compile(r"(?P<hash>#+)|(?P<at>@+)|%(?P<printf>0?\d*)d|\$F(?P<houdini>\d*)")
_RANGE_RE = re.compile(r"^(-?\d+)(?:-(-?\d+)(?:x(\d+))?)?$")
MAX_FRAMES = 1_000_000      # a range longer than this is a typo (11.5 hours at 24 fps), refused before expanding


def format_frame(frame: int, padding: int) -> str:
    """1001, 4 -> '1001'; 7, 4 -> '0007'; -7, 3 -> '-007'; 10000, 4 -> '10000'."""
    return ("-" if frame < 0 else "") + str(abs(frame)).zfill(padding)


def frame_spans(text: str) -> list[tuple[str, range]]:
    """Each token of a frame range with its frames as a range, nothing expanded: '1001-1100x2, 7' ->
    [('1001-1100x2', range(1001, 1101, 2)), ('7', range(7, 8))]."""
    spans = []
    for token in re.split(r"[,\s]+", str(text).strip()):
        if not token:
            continue
        match = _RANGE_RE.match(token)
        if not match:
            raise BadInputError(f"frame range {text!r}: cannot read {token!r}; "
                                "write e.g. 1001-1100, 1001-1100x2 or 1,5,9-12")
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else start
        step = int(match.group(3) or 1)
        if end < start or step < 1:
            raise BadInputError(f"frame range {text!r}: {token!r} runs backwards or has step 0; "
                                "write first-last with first <= last, e.g. 1001-1100x2")
        spans.append((token, range(start, end + 1, step)))
    return spans


def parse_frame_range(text: str) -> list[int]:
    """'1001-1100', '1001-1100x2', '1,5,9-12', '-10--5' -> sorted unique frames ([] for ''); BadInputError for
    more than MAX_FRAMES, counted before anything is expanded."""
    spans = frame_spans(text)
    count = sum(len(frames) for _, frames in spans)
    if count > MAX_FRAMES:
        raise BadInputError(f"frame range {text!r} holds {count} frames, more than {MAX_FRAMES}; "
                            "check the numbers (e.g. 1001-1100)")
    return sorted({frame for _, frames in spans for frame in frames})


def format_frame_range(frames: Iterable[int]) -> str:
    """Inverse of parse_frame_range, compact: [1,2,3,5,7,9,20] -> '1-3,5-9x2,20'."""
    todo = sorted(set(frames))
    parts: list[str] = []
    i = 0
    while i < len(todo):
        j = i
        step = todo[i + 1] - todo[i] if i + 1 < len(todo) else 1
        while j + 1 < len(todo) and todo[j + 1] - todo[j] == step:
            j += 1
        if j == i or (step > 1 and j - i < 2):
            parts.append(str(todo[i]))
            i += 1
            continue
        parts.append(f"{todo[i]}-{todo[j]}" + (f"x{step}" if step > 1 else ""))
        i = j + 1
    return ",".join(parts)


def frames_are(frames: Iterable[int]) -> str:
    """'frame 1004 is' / 'frames 1003-1005 are': the subject of a sentence about frames."""
    frames = list(frames)
    return f"frame {format_frame_range(frames)} is" if len(frames) == 1 else f"frames {format_frame_range(frames)} are"


def count_of(n: int, noun: str) -> str:
    """'1 frame', '2 frames'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def sequence_name(directory: str, head: str) -> str:
    """A sequence's name, what its outputs are called (OUT/alpha/<name>.####.exr): the head without
    trailing separators ('sh010.' -> 'sh010'), else the folder's name, else 'sequence'."""
    return head.rstrip("._- ") or os.path.basename(directory.rstrip(os.sep)) or "sequence"


def split_name(filename: str) -> tuple[str, str, int, str] | None:
    """'sh010.0007.exr' -> ('sh010.', '0007', 7, '.exr'); None when there is no frame number or the
    name is hidden (a leading '.': the temp files of atomic writes are never frames)."""
    match = _FRAME_RE.match(filename)
    if not match or filename.startswith("."):
        return None
    digits = match.group("digits")
    sign = match.group("sign") or ""
    return match.group("head"), digits, int(sign + digits), match.group("tail")


def parse_pattern(spec: str) -> tuple[str, str, str, int] | None:
    """'dir/sh010.####.exr' -> ('dir', 'sh010.', '.exr', 4); None if `spec` holds no frame token.
    The last token of the file name is the frame ('%d' and '$F' are padding 1)."""
    directory, filename = os.path.split(spec)
    matches = list(_PATTERN_RE.finditer(filename))
    if not matches:
        return None
    token = matches[-1]
    if token.group("hash") or token.group("at"):
        padding = len(token.group(0))
    else:
        digits = token.group("printf") if token.group("printf") is not None else token.group("houdini")
        padding = int(digits) if digits else 1
    return directory, filename[:token.start()], filename[token.end():], max(padding, 1)
