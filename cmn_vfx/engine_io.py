"""The engine's reader and writer: plate frame -> network input, network output -> EXRs.

FrameReader runs in the read-ahead thread: decode, colour-convert to network
space, resize to the working size, person prior. FrameWriter runs in the
write-behind thread: quantise alpha, linearise the network's foreground in
the transition band, compose the premultiplied fg, write both EXRs atomically.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile

import cv2
import numpy as np

from cmn_vfx import outputs
from cmn_vfx.engine_plan import Step
from cmn_vfx.errors import BadInputError, CMNError
from cmn_vfx.guided_filter import LUMA
from cmn_vfx.io.image import Box, Image, check_same_geometry, image_info, read_rgb, write_exr
from cmn_vfx.io.sequence import Sequence

# Plate header attributes copied onto the outputs (so editorial data survives in Nuke).
_CARRIED = ("smpte:TimeCode", "FramesPerSecond", "oiio:ColorSpace")
_BYTES_PER_PIXEL = 10  # uncompressed alpha (half) + fg RGBA (half): the most one frame can take


def first_geometry(seq: Sequence) -> dict:
    """image_info of the plate's first frame (+ data_box, display_box as Box): every frame must share it."""
    info = image_info(seq.path(seq.first))
    return dict(info, data_box=Box(**info["data_window"]), display_box=Box(**info["display_window"]))


def _disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)


def check_output_dir(out_dir: str, pixels: int) -> None:
    """BadInputError unless `out_dir` can be created, written, and holds at least one more frame."""
    try:
        os.makedirs(out_dir, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".cmn-write-test-"):
            pass
    except OSError as exc:
        reason = "disk full" if _disk_full(exc) else (exc.strerror or str(exc))
        raise BadInputError(f"{out_dir}: the output folder is not writable ({reason}); "
                            "choose another --out or fix its permissions") from None
    free = shutil.disk_usage(out_dir).free
    if free < pixels * _BYTES_PER_PIXEL:
        raise BadInputError(f"{out_dir}: disk full ({free // 2**20} MiB free, a frame needs up to "
                            f"{pixels * _BYTES_PER_PIXEL // 2**20 + 1} MiB); free space or choose another --out")


class FrameReader:
    """Step -> engine._FrameIn (the network's input at the working size, plus the plate if emitted)."""

    def __init__(self, seq: Sequence, colorspace: str, size: tuple[int, int], prior, geometry: dict) -> None:
        self.seq, self.colorspace, self.size, self.prior, self.geometry = seq, colorspace, size, prior, geometry

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
        image = read_rgb(self.seq.path(source))
        check_same_geometry(self.geometry, image, image.path)
        return image

    def read(self, step: Step):
        from cmn_vfx.color import to_network
        from cmn_vfx.engine import _FrameIn
        image = self._plate(step.source)
        net = to_network(image.pixels, self.colorspace)
        small = net if net.shape[1::-1] == self.size else cv2.resize(net, self.size, interpolation=cv2.INTER_AREA)
        prior = self.prior.observe(small) if self.prior is not None else None
        if not step.emit:
            return _FrameIn(step, small, prior)
        guide = net @ np.asarray(LUMA, np.float32)
        return _FrameIn(step, small, prior, image, guide)


class FrameWriter:
    """(step, plate Image, alpha [H,W], fgr [h,w,3] sRGB) -> OUT/alpha and OUT/fg EXRs."""

    def __init__(self, layout: outputs.OutputLayout, colorspace: str, settings: str, model_name: str,
                 sha256: str) -> None:
        self.layout, self.colorspace, self.settings = layout, colorspace, settings
        self.model_name, self.sha256 = model_name, sha256
        self.written: list[int] = []

    def foreground(self, image: Image, pha: np.ndarray, fgr: np.ndarray) -> np.ndarray:
        """[H,W,4] premultiplied RGBA in the plate's colourspace (pha already quantised)."""
        from cmn_vfx.color import from_network
        mask = outputs.transition_band(pha)
        band = None
        if mask.any():
            # cv2's bilinear resize samples like torch's interpolate(align_corners=False); one
            # vectorised resize is ~30x faster than gathering band pixels one by one.
            full = cv2.resize(fgr, (pha.shape[1], pha.shape[0]), interpolation=cv2.INTER_LINEAR)
            srgb = np.clip(full[mask], 0.0, 1.0)
            del full
            band = from_network(srgb[:, None, :], self.colorspace)[:, 0, :]
        return outputs.premultiplied_fg(image.pixels, pha, band)

    def write(self, item: tuple[Step, Image, np.ndarray, np.ndarray]) -> None:
        step, image, alpha, fgr = item
        pha = outputs.quantise_alpha(alpha)
        rgba = self.foreground(image, pha, fgr)
        meta = {k: image.metadata[k] for k in _CARRIED if k in image.metadata}
        meta.update(outputs.frame_metadata(self.model_name, self.sha256, image.path or None, step.source,
                                           self.settings, self.colorspace))
        windows = (image.data_window, image.display_window)
        try:
            write_exr(self.layout.fg_path(step.frame), rgba, outputs.FG_CHANNELS, *windows, meta)
            write_exr(self.layout.alpha_path(step.frame), pha[..., None], outputs.ALPHA_CHANNELS, *windows, meta)
        except (OSError, CMNError) as exc:
            if _disk_full(exc):
                raise BadInputError(f"{self.layout.out_dir}: disk full while writing frame {step.frame}; "
                                    "free space and rerun (finished frames are kept and skipped)") from None
            raise
        self.written.append(step.frame)
