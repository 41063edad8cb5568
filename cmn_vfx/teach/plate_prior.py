"""The run's person prior again, on the plate frames behind an automatic run's alpha (`suggest-keys`' third sign).

    plate = PlatePrior.open(first_alpha.metadata, alpha_path, plate_pattern=None, warn=print)   # None: no plate
    prior = plate.prior(frame, alpha.metadata, (w, h))     # [h,w] float32 0..1, or None for a black (hole) frame

Each alpha EXR of `cmn-matte run` names its plate frame (cmn:source, cmn:source_frame) and the run's settings
(cmn:settings: the prior's name, the colourspace, the layer; cmn_vfx.job.layout). The frame is read and
converted to the network's colourspace by the engine's own reader (cmn_vfx.engine.reader), at LONG_SIDE on the
long side (the prior is coarse: its share of disagreement barely changes, and a 1080p frame costs 4x less than
at the engine's 512), and the prior's track runs through the frames in order, fresh at the first frame, after
a gap and at a cut, as the engine runs it. Torch-free.
"""
from __future__ import annotations

import json
import os
from typing import Callable

import cv2
import numpy as np

from cmn_vfx.engine.cuts import CutDetector
from cmn_vfx.engine.plan import Step
from cmn_vfx.engine.reader import FrameReader, first_geometry
from cmn_vfx.errors import BadInputError
from cmn_vfx.io.sequence import Sequence, find_sequence
from cmn_vfx.job.layout import SETTINGS, SOURCE, SOURCE_FRAME
from cmn_vfx.job.names import CUT_THRESHOLD

LONG_SIDE = 256


def run_settings(metadata: dict) -> dict:
    """The run's cmn:settings as a dict ({} when the header has none or it is not JSON)."""
    try:
        settings = json.loads(metadata.get(SETTINGS) or "{}")
    except ValueError:
        return {}
    return settings if isinstance(settings, dict) else {}


class PlatePrior:
    """The person prior of the plate frames behind one alpha sequence, frames in order."""

    def __init__(self, seq: Sequence, settings: dict) -> None:
        from cmn_vfx.prior import load_prior
        colorspace = settings.get("colorspace") or "auto"
        colorspace = colorspace[0] if isinstance(colorspace, list) else colorspace   # [plate, scene-linear]
        self.name = settings.get("prior") or "auto"
        geometry = first_geometry(seq)
        window = geometry["data_box"]
        scale = min(1.0, LONG_SIDE / max(window.width, window.height))
        size = (max(1, round(window.width * scale)), max(1, round(window.height * scale)))
        self.person = load_prior(self.name)
        self.reader = FrameReader(seq, FrameReader.resolve_colorspace(seq, colorspace, geometry), size, self.person,
                                  geometry, settings.get("layer"))
        self.seq = seq
        self.cuts = set(settings.get("cuts") or [])
        self.detector = CutDetector(CUT_THRESHOLD, bool(settings.get("auto_cuts", True)))
        self.track, self.last = None, None

    @classmethod
    def open(cls, metadata: dict, alpha_path: str, plate: str | None,
             warn: Callable[[str], None]) -> PlatePrior | None:
        """From the first alpha frame's header, or `plate` (a pattern that overrides the header's); None, with
        one line to `warn`, when there is no plate to read."""
        settings = run_settings(metadata)
        if plate is None:
            source = metadata.get(SOURCE) or ""
            if not source:
                warn(f"{alpha_path}: the header names no plate frame (cmn:source); the person prior is not run "
                     "(give --plate PATTERN)")
                return None
            if not os.path.isfile(source):
                warn(f"{alpha_path}: its plate frame {source} (cmn:source) is not found; the person prior is not "
                     "run (give --plate PATTERN)")
                return None
            plate = source
        try:
            seq = find_sequence(plate)
        except BadInputError as exc:
            warn(f"--plate {plate}: {exc}; the person prior is not run")
            return None
        if not settings.get("prior"):
            warn(f"{alpha_path}: the run's settings name no person prior; the prior 'auto' is run")
        try:
            return cls(seq, settings)
        except BadInputError as exc:        # a colourspace or layer this machine lacks, a plate it cannot read
            warn(f"{seq.hash_pattern}: {exc}; the person prior is not run")
            return None

    def prior(self, frame: int, metadata: dict, size: tuple[int, int]) -> np.ndarray | None:
        """The prior [h,w] of the plate frame behind alpha `frame` (its header `metadata`), resized to `size`
        (w, h); None when that plate frame is black (a hole) or not on disk."""
        # a file of another tool has no cmn:source: its frame number is the plate's; the engine's black frame
        # (a hole) has cmn:source_frame -1
        source = int(metadata.get(SOURCE_FRAME, -1)) if SOURCE in metadata else frame
        if source < 0 or source not in self.seq.frames:
            self.track = None                      # the state does not cross a frame it did not see
            return None
        frame_in = self.reader.read(Step(frame, source, False, False))
        cut = self.detector.is_cut(frame_in.src)
        if self.track is None or cut or frame in self.cuts or self.last != frame - 1:
            self.track = self.person.new_track()
        self.last = frame
        pha = self.track.update(frame_in.prior)
        return pha if pha.shape[::-1] == size else cv2.resize(pha, size, interpolation=cv2.INTER_AREA)
