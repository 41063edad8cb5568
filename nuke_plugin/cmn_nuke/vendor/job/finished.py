"""What "finished" means for one output frame: the one rule the engine (resume), `cmn-farm status`
and farm resubmits share.

A frame is finished when
  - OUT/alpha/<name>.<frame>.exr and OUT/fg/<name>.<frame>.exr both exist,
  - both decode completely (every pixel is read, so a truncated file is NOT finished) and
    have their channels (A; R,G,B,A); with decode=False only the headers are read (the cheap
    check: a file truncated after its header then counts as readable),
  - both carry the same cmn:settings, cmn:checkpoint_sha256 and cmn:source_id,
  - and those are the ones wanted: the run's settings and checkpoint, and the identity the
    plate frame has now (source_id: its size and mtime, so a plate re-rendered in place is redone).

    state = read_frame({"alpha": a_path, "fg": f_path})                 # decode=False: headers only
    finished = state.kind == READABLE and not stale_keys(state.found, want)   # want: values of KEYS

No numpy or torch; OpenImageIO is imported when a frame is read (the farm uses this).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence

from .layout import CHANNELS, CHECKPOINT_SHA256, SETTINGS, SOURCE_ID

KEYS = (SETTINGS, CHECKPOINT_SHA256, SOURCE_ID)
# Frame states ("absent", not "missing": names.MISSING are the plate's missing-frame modes).
ABSENT, PARTIAL, DAMAGED, READABLE = "absent", "partial", "damaged", "readable"


def source_id(path: str | None) -> str:
    """Identity of a plate frame as written into cmn:source_id: '<size>:<mtime_ns>' ('' = black frame).

    A stat, not a hash: cheap on a farm's network file system, and a re-render always changes the
    mtime. A plate copied elsewhere (new mtime) counts as changed and is redone.
    """
    if not path:
        return ""
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}"


def read_output(path: str, channels: Sequence[str], decode: bool = True) -> tuple[tuple | None, str]:
    """(values of KEYS, '') for an EXR that has `channels` and (decode) decodes completely, else (None, reason)."""
    import OpenImageIO as oiio
    name = os.path.basename(path)
    inp = oiio.ImageInput.open(path)
    if inp is None:
        return None, f"{name} does not open ({oiio.geterror().strip() or 'not an image'})"
    try:
        spec = inp.spec()
        lacking = [c for c in channels if c not in tuple(spec.channelnames)]
        if lacking:
            return None, f"{name} lacks channel(s) {','.join(lacking)}"
        if decode and inp.read_image(0, 0, 0, spec.nchannels, "half") is None:
            return None, f"{name} is truncated or corrupt ({inp.geterror().strip()})"
        return tuple(spec.getattribute(k) for k in KEYS), ""
    finally:
        inp.close()


@dataclass(frozen=True)
class FrameState:
    """What is on disk for one frame: kind is ABSENT, PARTIAL (one file), DAMAGED or READABLE."""

    kind: str
    found: tuple | None = None          # values of KEYS (READABLE only)
    reason: str = ""                    # why DAMAGED


def read_frame(paths: Mapping[str, str], decode: bool = True) -> FrameState:
    """Read a frame's outputs ({'alpha': path, 'fg': path}): completely, or (decode=False) their headers."""
    present = {k: os.path.isfile(p) for k, p in paths.items()}
    if not any(present.values()):
        return FrameState(ABSENT)
    found = []
    for kind, path in paths.items():
        if present[kind]:
            values, reason = read_output(path, CHANNELS[kind], decode)
            if values is None:
                return FrameState(DAMAGED, None, reason)
            found.append(values)
    if len(set(found)) > 1:
        return FrameState(DAMAGED, None, "alpha and fg were written with different settings")
    if not all(present.values()):
        return FrameState(PARTIAL)
    return FrameState(READABLE, found[0])


def stale_keys(found: tuple, want: Sequence[str | None]) -> list[str]:
    """The KEYS whose written value is not the wanted one (a wanted None accepts any value)."""
    return [k for k, got, w in zip(KEYS, found, want) if w is not None and got != w]
