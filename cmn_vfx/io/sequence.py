"""Image sequences on disk: finding a sequence's files, its holes, and what each requested frame reads.

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
temp files of atomic writes never show up in a scan.

The text rules (frame ranges, patterns, padding, file names) are cmn_vfx/job/frames.py's, the bottom
layer that Nuke gets a copy of; they are re-exported here for the code that reads plates. This module
imports neither numpy nor torch: the farm submitter uses it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from cmn_vfx.errors import BadInputError, warn
from cmn_vfx.job.frames import (MAX_FRAMES, count_of, format_frame, format_frame_range, frame_spans,  # noqa: F401
                                frames_are, parse_frame_range, parse_pattern, sequence_name, split_name)
from cmn_vfx.job.names import MISSING  # noqa: F401 - resolve_frames' modes; callers import it from here too


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
        return sequence_name(self.directory, self.head)

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
        parts = split_name(filename)
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


def _from_pattern(spec: str) -> Sequence:
    directory, head, tail, padding = parse_pattern(spec)  # type: ignore[misc]
    candidates = [s for s in _scan_directory(directory) if s.head == head and s.tail == tail]
    match = [s for s in candidates if s.padding == padding]
    if not match:
        other = "; found " + ", ".join(s.hash_pattern for s in candidates) if candidates else ""
        raise BadInputError(f"{spec}: the pattern matches no files{other}; "
                            "check the folder, the name and the number of '#' (one per digit)")
    return match[0]


def _from_file(path: str) -> Sequence:
    directory, filename = os.path.split(path)
    parts = split_name(filename)
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
    elif parse_pattern(spec) is not None and not os.path.isfile(spec):
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
