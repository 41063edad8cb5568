"""Where a shot's outputs go, what channels they have, and the cmn:* keys in their headers.

    OUT/alpha/<name>.<frame>.exr   channel A (plus person1.A, person2.A... with person layers)
    OUT/fg/<name>.<frame>.exr      R,G,B,A premultiplied, scene-linear

Frame numbers and padding are the plate's (negative frames as Nuke writes them: sh010.-001.exr).
The engine writes these files, `cmn-farm plan/status/submit` and the demo find them here, and
Nuke's copy of the job package (nuke_plugin/cmn_nuke/vendor/job/) builds the Read nodes' file names from it.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping

from .frames import format_frame

KINDS = ("alpha", "fg")
ALPHA_CHANNELS = ("A",)
FG_CHANNELS = ("R", "G", "B", "A")
CHANNELS = {"alpha": ALPHA_CHANNELS, "fg": FG_CHANNELS}
EXR_TAIL = ".exr"

# Header attributes every output frame carries (cmn_vfx.engine.writer writes them).
MODEL = "cmn:model"
CHECKPOINT_SHA256 = "cmn:checkpoint_sha256"
VERSION = "cmn:version"
SOURCE = "cmn:source"
SOURCE_FRAME = "cmn:source_frame"
SOURCE_ID = "cmn:source_id"          # the plate frame's identity (cmn_vfx.job.finished.source_id)
SETTINGS = "cmn:settings"            # settings_json of everything that changes pixels; resume compares it
COLORSPACE = "cmn:colorspace"        # the fg's colourspace


@dataclass(frozen=True)
class OutputLayout:
    """Where one shot's frames go: OUT/<kind>/<name>.<frame padded like the plate>.exr."""

    out_dir: str
    name: str
    padding: int

    def path(self, kind: str, frame: int) -> str:
        """kind 'alpha' or 'fg'."""
        return os.path.join(self.out_dir, kind, f"{self.name}.{format_frame(frame, self.padding)}{EXR_TAIL}")

    def pattern(self, kind: str) -> str:
        """OUT/<kind>/<name>.####.exr (one '#' per digit)."""
        return os.path.join(self.out_dir, kind, f"{self.name}.{'#' * max(self.padding, 1)}{EXR_TAIL}")

    def alpha_path(self, frame: int) -> str:
        return self.path("alpha", frame)

    def fg_path(self, frame: int) -> str:
        return self.path("fg", frame)

    @property
    def alpha_pattern(self) -> str:
        return self.pattern("alpha")

    @property
    def fg_pattern(self) -> str:
        return self.pattern("fg")

    def paths(self, frame: int) -> dict[str, str]:
        """{'alpha': path, 'fg': path} of one frame (what cmn_vfx.job.finished.read_frame takes)."""
        return {kind: self.path(kind, frame) for kind in KINDS}


def person_channels(count: int) -> tuple[str, ...]:
    """The alpha EXR's channels with person layers: A, person1.A, ..., person<count>.A."""
    return ALPHA_CHANNELS + tuple(f"person{i + 1}.A" for i in range(count))


def settings_json(settings: Mapping[str, Any]) -> str:
    """Canonical JSON of the pixel-affecting settings (sorted keys, so equal settings give equal text)."""
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"))


def frame_metadata(model_name: str, sha256: str, source: str | None, source_frame: int | None,
                   settings: str, colorspace: str, source_id: str = "", *, version: str) -> dict[str, object]:
    """The cmn:* header attributes of one output frame (source None = a black frame for a hole);
    version: cmn_vfx.__version__ (the writer's; this package imports nothing of cmn_vfx)."""
    return {
        MODEL: model_name,
        CHECKPOINT_SHA256: sha256,
        VERSION: version,
        SOURCE: source or "",
        SOURCE_FRAME: int(source_frame) if source_frame is not None else -1,
        SOURCE_ID: source_id,
        SETTINGS: settings,
        COLORSPACE: colorspace,
    }
