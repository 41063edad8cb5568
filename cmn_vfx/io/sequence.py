"""Image sequences on disk: frame numbers, padding, holes and frame ranges.

A sequence is `directory/head + frame + tail`, e.g. `plates/sh010.1001.exr` with
head 'sh010.', tail '.exr' and padding 4. Frame numbers are kept as they are on
disk (never renumbered). Negative frames follow Nuke: `sh010.-001.exr`.

Patterns understood by `find_sequence`:
    sh010.####.exr   one digit per '#'  (also '@', one digit per '@')
    sh010.%04d.exr   printf style       ('%d' = no padding)
    sh010.$F4.exr    Houdini style      ('$F' = no padding)
    sh010.1001.exr   one existing file of the sequence
    plates/          a directory holding exactly one sequence

Frames whose digits outnumber the padding (10000 in a '####' sequence) belong
to the sequence, as in Nuke. Hidden files (leading '.') are never frames, so the
temp files of cmn_vfx.io.atomic never show up in a scan.

This module imports neither numpy nor torch: Nuke and the farm submitter use it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterable

from cmn_vfx.errors import BadInputError, warn

# What a hole in the plate becomes (resolve_frames): the spec's `missing` takes these (cmn_vfx.job.names
# re-exports them with the other setting names; io sits below job, so the definition lives here).
MISSING = ("error", "hold", "black")

# The frame is the last group of digits in the name; '-' is a sign only right
# after a separator ('.' or '_') or at the start, so 'plate-1001.exr' is frame 1001.
_FRAME_RE = re.compile(r"^(?P<head>.*?)(?P<sign>(?<=[._])-|^-)?(?P<digits>\d+)(?P<tail>\D*)$")
_PATTERN_RE = re.compile(r"(?P<hash>#+)|(?P<at>@+)|%(?P<printf>0?\d*)d|\$F(?P<houdini>\d*)")
_RANGE_RE = re.compile(r"^(-?\d+)(?:-(-?\d+)(?:x(\d+))?)?$")


@dataclass(frozen=True)
class Sequence:
    """Numbered files `directory/head + frame + tail`; frames sorted ascending."""

    directory: str
    head: str
    tail: str
    padding: int
    frames: tuple[int, ...]

    @property
    def name(self) -> str:
        """The head without trailing separators: 'sh010.' -> 'sh010'."""
        return self.head.rstrip("._- ") or os.path.basename(self.directory.rstrip(os.sep)) or "sequence"

    def path(self, frame: int) -> str:
        """Full path of one frame, padded like the files on disk."""
        return os.path.join(self.directory, self.head + format_frame(frame, self.padding) + self.tail)

    @property
    def hash_pattern(self) -> str:
        """Nuke style, one '#' per digit: '/plates/sh010.####.exr'."""
        return os.path.join(self.directory, self.head + "#" * max(self.padding, 1) + self.tail)

    @property
    def printf_pattern(self) -> str:
        """printf style: '/plates/sh010.%04d.exr'."""
        fmt = f"%0{self.padding}d" if self.padding > 1 else "%d"
        return os.path.join(self.directory, self.head + fmt + self.tail)

    @property
    def first(self) -> int:
        return self.frames[0]

    @property
    def last(self) -> int:
        return self.frames[-1]

    def holes(self) -> list[int]:
        """Frames missing between first and last."""
        present = set(self.frames)
        return [f for f in range(self.first, self.last + 1) if f not in present]


def format_frame(frame: int, padding: int) -> str:
    """1001, 4 -> '1001'; 7, 4 -> '0007'; -7, 3 -> '-007'; 10000, 4 -> '10000'."""
    return ("-" if frame < 0 else "") + str(abs(frame)).zfill(padding)


MAX_FRAMES = 1_000_000      # a range longer than this is a typo (11.5 hours at 24 fps), refused before expanding


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


def _split_name(filename: str) -> tuple[str, str, int, str] | None:
    """'sh010.0007.exr' -> ('sh010.', '0007', 7, '.exr'); None when there is no frame number."""
    match = _FRAME_RE.match(filename)
    if not match or filename.startswith("."):
        return None
    digits = match.group("digits")
    sign = match.group("sign") or ""
    return match.group("head"), digits, int(sign + digits), match.group("tail")


def _is_padded(digits: str) -> bool:
    return len(digits) > 1 and digits.startswith("0")


def _group_paddings(entries: list[tuple[str, int]]) -> dict[int, list[int]]:
    """Split the (digits, frame) of one head/tail into paddings -> frames.

    Zero-padded numbers fix their padding exactly; unpadded numbers join the
    largest padding not longer than their digits (10000 joins '####')."""
    exact = sorted({len(d) for d, _ in entries if _is_padded(d)})
    loose = [(d, f) for d, f in entries if not _is_padded(d)]
    default = min((len(d) for d, _ in loose), default=1)
    groups: dict[int, list[int]] = {}
    for digits, frame in entries:
        if _is_padded(digits):
            pad = len(digits)
        else:
            fits = [p for p in exact if p <= len(digits)]
            pad = fits[-1] if fits else default
        groups.setdefault(pad, []).append(frame)
    return groups


def _scan_directory(directory: str) -> list[Sequence]:
    """Every sequence directly in `directory`, sorted by pattern."""
    try:
        names = os.listdir(directory or ".")
    except OSError as exc:
        raise BadInputError(f"{directory}: cannot list the folder ({exc.strerror}); check the path") from None
    by_key: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for filename in names:
        parts = _split_name(filename)
        if parts is None or not os.path.isfile(os.path.join(directory, filename)) or not _utf8(directory, filename):
            continue
        head, digits, frame, tail = parts
        by_key.setdefault((head, tail), []).append((digits, frame))
    seqs = []
    for (head, tail), entries in by_key.items():
        for pad, frames in _group_paddings(entries).items():
            seqs.append(Sequence(directory, head, tail, pad, tuple(sorted(set(frames)))))
    return sorted(seqs, key=lambda s: s.hash_pattern)


def _utf8(directory: str, name: str) -> bool:
    """Whether `name` is UTF-8, which OpenImageIO and OCIO need to open it; a warning names it when it is not."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        warn(f"{os.fsencode(os.path.join(directory, name))!r}: skipped, its name has bytes that are not UTF-8, "
             "which OpenImageIO cannot open; rename it with UTF-8 (e.g. convmv -f latin1 -t utf-8)")
        return False
    return True


def find_sequences(directory: str) -> list[Sequence]:
    """All sequences below `directory` (recursive, hidden folders skipped), sorted by path."""
    found: list[Sequence] = []
    for root, dirs, _files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and _utf8(root, d))
        found.extend(_scan_directory(root))
    return sorted(found, key=lambda s: s.hash_pattern)


def _parse_pattern(spec: str) -> tuple[str, str, str, int] | None:
    """'dir/sh010.####.exr' -> ('dir', 'sh010.', '.exr', 4); None if `spec` holds no frame token."""
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


def _from_pattern(spec: str) -> Sequence:
    directory, head, tail, padding = _parse_pattern(spec)  # type: ignore[misc]
    candidates = [s for s in _scan_directory(directory) if s.head == head and s.tail == tail]
    match = [s for s in candidates if s.padding == padding]
    if not match:
        other = "; found " + ", ".join(s.hash_pattern for s in candidates) if candidates else ""
        raise BadInputError(f"{spec}: the pattern matches no files{other}; "
                            "check the folder, the name and the number of '#' (one per digit)")
    return match[0]


def _from_file(path: str) -> Sequence:
    directory, filename = os.path.split(path)
    parts = _split_name(filename)
    if parts is None:
        raise BadInputError(f"{path}: the file name has no frame number; "
                            "name the frames like name.1001.exr or give a pattern like name.####.exr")
    head, digits, frame, tail = parts
    for seq in _scan_directory(directory):
        if seq.head == head and seq.tail == tail and frame in seq.frames and seq.path(frame) == path:
            return seq
    raise BadInputError(f"{path}: cannot find its sequence; give a pattern like {head}{'#' * len(digits)}{tail}")


def _from_directory(directory: str) -> Sequence:
    seqs = _scan_directory(directory)
    if not seqs:
        raise BadInputError(f"{directory}: the folder holds no numbered image sequence; "
                            "give a pattern like name.####.exr or the right folder")
    if len(seqs) > 1:
        listing = ", ".join(f"{s.hash_pattern} ({format_frame_range(s.frames)})" for s in seqs)
        raise BadInputError(f"{directory}: the folder holds {len(seqs)} sequences: {listing}; pick one of these patterns")
    return seqs[0]


def find_sequence(spec: str, frames: str | None = None) -> Sequence:
    """A pattern, one file of a sequence, or a folder with exactly one sequence -> Sequence.

    With `frames` ('1001-1050'), the result holds only the existing frames in that
    range (use resolve_frames to decide about holes). BadInputError when nothing matches.
    """
    spec = os.path.expanduser(str(spec))
    if os.path.isdir(spec):
        seq = _from_directory(spec)
    elif _parse_pattern(spec) is not None and not os.path.isfile(spec):
        seq = _from_pattern(spec)
    elif os.path.isfile(spec):
        seq = _from_file(spec)
    else:
        raise BadInputError(f"{spec}: no such file or folder; check the path "
                            "(patterns: name.####.exr, name.%04d.exr, name.$F4.exr)")
    if frames is None:
        return seq
    wanted = set(parse_frame_range(frames))
    kept = tuple(f for f in seq.frames if f in wanted)
    if not kept:
        raise BadInputError(f"{seq.hash_pattern}: no frames in {frames!r}; the files on disk are "
                            f"{format_frame_range(seq.frames)}")
    return Sequence(seq.directory, seq.head, seq.tail, seq.padding, kept)


def shot_frames(seq: Sequence, text: str | None = None) -> list[int]:
    """The output frames of a shot on `seq`: `text` parsed ('1001-1100'), or, when None, the plate's whole
    span first..last, holes included (resolve_frames says what each hole becomes, or refuses it).
    `cmn-matte run` and the farm's plan and status all take a shot's frames from here."""
    if text is None:
        return list(range(seq.first, seq.last + 1))
    outside = [(token, frames) for token, frames in frame_spans(text)
               if frames and (frames[0] < seq.first or frames[-1] > seq.last)]
    if outside:                 # before expanding: '1001-999999999' is one token, not a billion frames
        one = len(outside) == 1 and len(outside[0][1]) == 1
        _refuse_outside(seq, f"frame {outside[0][0]} is" if one else f"frames {', '.join(t for t, _ in outside)} are")
    return parse_frame_range(text)


def _refuse_outside(seq: Sequence, subject: str) -> None:
    raise BadInputError(f"{seq.hash_pattern}: {subject} outside the sequence ({seq.first}-{seq.last}); "
                        "ask for frames within it")


def resolve_frames(seq: Sequence, requested: list[int], missing: str = "error") -> list[tuple[int, int | None]]:
    """Pair each requested output frame with the source frame to read.

    missing='error': BadInputError naming the holes; 'hold': the previous existing
    frame; 'black': None (the caller makes a black frame). Frames outside
    first..last are always an error.
    """
    if missing not in MISSING:
        raise BadInputError(f"missing={missing!r} is unknown; use one of {', '.join(MISSING)}")
    outside = [f for f in requested if f < seq.first or f > seq.last]
    if outside:
        _refuse_outside(seq, frames_are(outside))
    present = set(seq.frames)
    holes = [f for f in requested if f not in present]
    if holes and missing == "error":
        raise BadInputError(f"{seq.hash_pattern}: {frames_are(holes)} missing; "
                            "render them, or use --missing hold (repeat the previous frame) or --missing black")
    pairs: list[tuple[int, int | None]] = []
    for frame in requested:
        if frame in present:
            pairs.append((frame, frame))
        elif missing == "hold":
            pairs.append((frame, max(f for f in seq.frames if f < frame)))
        else:
            pairs.append((frame, None))
    return pairs
