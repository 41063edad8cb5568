"""The engine's reader: plate frame -> network input (a FrameIn).

FrameReader runs in the read-ahead thread: decode, colour-convert to network
space, resize to the working size, the person prior's nets (its track runs in the next stage).
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.engine.filter_params import LUMA
from cmn_vfx.engine.plan import Step
from cmn_vfx.engine.records import FrameIn
from cmn_vfx.io.image import Box, Image, check_same_geometry, image_info, read_rgb
from cmn_vfx.io.sequence import Sequence


def first_geometry(seq: Sequence) -> dict:
    """image_info of the plate's first frame (+ data_box, display_box as Box): every frame must share it."""
    info = image_info(seq.path(seq.first))
    return dict(info, data_box=Box(**info["data_window"]), display_box=Box(**info["display_window"]))


class FrameReader:
    """Step -> FrameIn (the network's input at the working size, plus the plate if emitted)."""

    def __init__(self, seq: Sequence, colorspace: str, size: tuple[int, int], prior, geometry: dict,
                 layer: str | None = None) -> None:
        self.seq, self.colorspace, self.size, self.prior, self.geometry = seq, colorspace, size, prior, geometry
        self.layer = layer

    @staticmethod
    def resolve_colorspace(seq: Sequence, name: str, geometry: dict) -> str:
        from cmn_vfx.color import check_colorspace, guess_colorspace
        if name in (None, "", "auto"):
            return guess_colorspace(geometry["path"], geometry["metadata"])
        return check_colorspace(name)

    def _plate(self, source: int | None) -> Image:
        if source is None:
            data = self.geometry["data_box"]
            pixels = np.zeros((data.height, data.width, 3), np.float32)
            return Image(pixels, ("R", "G", "B"), data, self.geometry["display_box"], {}, "half", "")
        # float pixels only when the writer composes the fg (Image.floats): a frame waiting in the queues
        # holds a half plate as half
        image = read_rgb(self.seq.path(source), self.layer, keep_half=True, floats=False)
        check_same_geometry(self.geometry, image, image.path)
        return image

    def read(self, step: Step) -> FrameIn:
        from cmn_vfx.color import to_network, to_network_codes, to_network_half
        plate = self._plate(step.source)
        # half plates by tables: OCIO's values (within 2.5e-4 across a gamut matrix), 1.5-5x faster; integer
        # plates (DPX, TIFF, PNG) by a table per code: to_network's values exactly
        full = None
        if plate.half is not None:
            full = to_network_half(plate.half, self.colorspace)
        elif plate.codes is not None:
            full = to_network_codes(plate.codes, self.colorspace)
        if full is None:
            full = to_network(plate.floats(), self.colorspace)   # [H,W,3] 0..1 sRGB at the plate's size
        src = full if full.shape[1::-1] == self.size else cv2.resize(full, self.size, interpolation=cv2.INTER_AREA)
        prior = self.prior.observe(src) if self.prior is not None else None
        if not step.emit:
            return FrameIn(step, src, prior)
        guide = full @ np.asarray(LUMA, np.float32)
        return FrameIn(step, src, prior, plate, guide)
