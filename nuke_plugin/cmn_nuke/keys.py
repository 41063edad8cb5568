"""Keyframes for teaching the shot (docs/teach.md): where the panel's keys come from, as pure functions.

Two sources, each a plain dict the panel keeps (keynodes.py reads them from Nuke):

    {"kind": "read", "node": "Read3", "file": "/shot/keys/sh010.%04d.exr"}   the frames on disk are the keys
    {"kind": "roto", "node": "Roto1"}     the frames listed ("1001,1020,1040") are rendered to
                                          OUTPUT/keys/<name>.####.exr before submit (keynodes.render_roto)

The spec's `keys` is the pattern of those alpha EXRs (channel A, half, numbered like the plate). What
only the panel can check is refused here, one line each, before anything is rendered or submitted: no
frame listed, a key frame outside the frames matted, a Read numbered unlike the plate. The keys'
pixels (format, channels, NaN, an empty matte) are cmn-matte teach's checks (cmn_vfx/teach/keys.py).
No Nuke, no Qt.
"""
from __future__ import annotations

import json
import os
import shlex

from .readnode import frame_bounds, hash_pattern, plate_name, resolve_file, split_pattern
from .vendor.job.errors import BadInputError
from .vendor.job.frames import format_frame_range, parse_frame_range, split_name
from .vendor.job.layout import OutputLayout

KEYS_KIND = "keys"        # OUTPUT/keys/<name>.####.exr, beside OUTPUT/alpha and OUTPUT/fg


class KeysError(ValueError):
    """Keys that cannot be used; the message says what to do instead."""


def frames_on_disk(pattern: str) -> list[int]:
    """The frames of a sequence pattern whose files exist ('/k/sh010.####.exr' -> [1001, 1020]); a frame
    counts when its name is the pattern's head, the frame padded as the pattern pads it, and its tail."""
    head, padding, tail = split_pattern(pattern)
    folder, prefix = os.path.split(head)
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return []
    frames = []
    for name in names:
        parts = split_name(name)
        if parts and parts[0] == prefix and parts[3] == tail and len(parts[1]) >= padding \
                and (len(parts[1]) == padding or not parts[1].startswith("0")):
            frames.append(parts[2])
    return sorted(frames)


def listed_frames(text: str) -> list[int]:
    """'1001, 1020,1040' or '1001-1040x20' -> the frames (job/frames.py's grammar); KeysError if unreadable."""
    try:
        return parse_frame_range(str(text or ""))
    except BadInputError as exc:
        raise KeysError(str(exc)) from None


def read_source(node: str, file: str, project_directory: str = "") -> dict:
    """A Read of alpha frames as a key source; KeysError for a single image (no frame number)."""
    try:
        pattern = hash_pattern(resolve_file(file, project_directory))
    except ValueError as exc:
        raise KeysError(f"{node}: {exc}") from None
    return {"kind": "read", "node": node, "file": pattern}


def render_pattern(fields: dict) -> str:
    """Where a Roto's keys are rendered: OUTPUT/keys/<name>.####.exr, padded like the plate (layout.py)."""
    try:
        padding, name = split_pattern(fields["plate"])[1], fields.get("name") or plate_name(fields["plate"])
    except ValueError:                                  # no plate sequence: the panel already says so
        padding, name = 4, fields.get("name") or "keys"
    return OutputLayout(fields.get("output") or "", name, padding).pattern(KEYS_KIND)


def key_frames(source: dict | None, text: str = "") -> list[int]:
    """The keyframes of a source: a Read's frames on disk, a Roto's listed frames ([] for no source)."""
    if not source:
        return []
    return frames_on_disk(source["file"]) if source["kind"] == "read" else listed_frames(text)


def keys_pattern(fields: dict) -> str | None:
    """The spec's `keys` for the panel's fields (None: no keys, an automatic run)."""
    source = fields.get("key_source")
    if not source:
        return None
    return source["file"] if source["kind"] == "read" else render_pattern(fields)


def problems(fields: dict) -> list[str]:
    """Why the panel's keys cannot be used, one line each ([] when they can, or there are none).

    fields: key_source (a source dict or None), key_frames (the Roto's listed frames, text), frames
    (the Frames field), plate_range (the plate Read's first and last frame), plate_retimed (the plate's
    Read has a frame expression or offset).
    """
    source = fields.get("key_source")
    if not source:
        return []
    node = source["node"]
    try:
        frames = key_frames(source, fields.get("key_frames", ""))
    except KeysError as exc:
        return [f"Keys: {exc}."]
    if not frames:
        if source["kind"] == "read":
            return [f"Keys: {node} has no frame on disk ({source['file']}); render the key mattes there first."]
        return [f"Keys: no frames listed for {node}; list the frames to render as keys, e.g. 1001,1020,1040."]
    if source["kind"] == "roto" and fields.get("plate_retimed"):
        return [f"Keys: the plate's Read retimes its frames, so {node}'s frames are not the plate's; "
                "render the keys yourself and take them from a Read of those frames."]
    try:
        matted = parse_frame_range(str(fields.get("frames") or "").replace(" ", ""))
    except BadInputError:
        matted = []                                    # the spec's checks say what is wrong with Frames
    first, last = fields["plate_range"]
    allowed = set(matted) or set(range(first, last + 1))
    outside = [f for f in frames if f not in allowed]
    if not outside:
        return []
    where = format_frame_range(sorted(allowed))
    if source["kind"] == "read" and not set(frames) & allowed:
        return [f"Keys: {node}'s frames {format_frame_range(frames)} are not numbered like the plate "
                f"({where}); number the key files with the plate's frame numbers."]
    return [f"Keys: frame {outside[0]} is outside the frames matted ({where}); key only frames the shot runs "
            "over, or widen Frames."]


def describe(source: dict | None, frames: list[int]) -> str:
    """The panel's line: 'Keys: 1001, 1020, 1040 (from Roto1)'."""
    if not source:
        return "Keys: none (the automatic matte)"
    shown = ", ".join(str(f) for f in frames[:12]) + (f", ... ({len(frames)} keys)" if len(frames) > 12 else "")
    return f"Keys: {shown or 'no frame yet'} (from {source['node']})"


# --- suggested keys ----------------------------------------------------------------------

def matte_command(farm: list[str], environ: dict) -> list[str]:
    """cmn-matte: $CMN_MATTE, else the cmn-matte beside the cmn-farm the panel runs, else on PATH."""
    if environ.get("CMN_MATTE"):
        return shlex.split(environ["CMN_MATTE"])
    beside = os.path.join(os.path.dirname(farm[0]), "cmn-matte") if farm and os.path.dirname(farm[0]) else ""
    return [beside if beside and os.path.isfile(beside) else "cmn-matte"]


def suggest_argv(matte: list[str], alpha: str, frames: str, count: int = 3) -> list[str]:
    """cmn-matte suggest-keys on an automatic run's alpha (docs/teach.md, Suggested keys)."""
    argv = [*matte, "suggest-keys", alpha, "--count", str(count), "--json"]
    return argv + ["--frames", frames] if frame_bounds(frames) is not None else argv


def parse_suggestions(stdout: str) -> list[dict]:
    """[{'frame': 1017, 'reason': '...'}, ...] from suggest-keys --json; KeysError if it printed none."""
    for line in reversed(stdout.strip().splitlines()):
        if line.strip().startswith("{"):
            try:
                rows = json.loads(line)["suggested"]
                return [{"frame": int(r["frame"]), "reason": str(r["reason"])} for r in rows]
            except (ValueError, KeyError, TypeError):
                break
    raise KeysError(f"cmn-matte suggest-keys printed no JSON ({stdout.strip()[-200:] or 'no output'}); "
                    "run it in a shell to see why")
