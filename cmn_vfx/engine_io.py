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
_CARRIED = ("smpte:TimeCode", "FramesPerSecond")   # oiio:ColorSpace is the fg's own (FrameWriter)
_BYTES_PER_PIXEL = 10  # uncompressed alpha (half) + fg RGBA (half): the most one frame can take


def first_geometry(seq: Sequence) -> dict:
    """image_info of the plate's first frame (+ data_box, display_box as Box): every frame must share it."""
    info = image_info(seq.path(seq.first))
    return dict(info, data_box=Box(**info["data_window"]), display_box=Box(**info["display_window"]))


def _disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)


def check_output_dir(out_dir: str, pixels: int) -> None:
    """BadInputError unless `out_dir` can be created and written and holds at least one more frame.

    Creates nothing: the nearest existing folder is tested, and the writer makes the folders
    at its first write, so a refusal leaves no empty OUT, OUT/alpha or OUT/fg behind.
    """
    existing = os.path.abspath(out_dir)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    try:
        if not os.path.isdir(existing):
            raise NotADirectoryError(errno.ENOTDIR, f"{existing} is a file, not a folder")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".cmn-write-test-"):
            pass
    except OSError as exc:
        reason = "disk full" if _disk_full(exc) else (exc.strerror or str(exc))
        raise BadInputError(f"{out_dir}: the output folder is not writable ({reason}); "
                            "choose another --out or fix its permissions") from None
    free = shutil.disk_usage(existing).free
    if free < pixels * _BYTES_PER_PIXEL:
        raise BadInputError(f"{out_dir}: disk full ({free // 2**20} MiB free, a frame needs up to "
                            f"{pixels * _BYTES_PER_PIXEL // 2**20 + 1} MiB); free space or choose another --out")


class FrameReader:
    """Step -> engine._FrameIn (the network's input at the working size, plus the plate if emitted)."""

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
        image = read_rgb(self.seq.path(source), self.layer)
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
    """(step, plate Image, alpha [H,W], fgr [h,w,3] sRGB) -> OUT/alpha and OUT/fg EXRs.

    The fg is premultiplied scene-linear: `fg_colorspace` is the plate's colourspace when that is
    scene-linear, else the config's scene_linear role (cmn_vfx.color.scene_linear_for: DPX Cineon,
    PNG/JPEG sRGB, log plates).
    Values beyond the largest half float (65504) are clamped to it, not written as Inf; `clamped`
    counts them for the run's one warning.
    """

    def __init__(self, layout: outputs.OutputLayout, colorspace: str, settings: str, model_name: str, sha256: str,
                 fg_colorspace: str | None = None) -> None:
        """fg_colorspace None: the plate's `colorspace` (the caller knows it is scene-linear)."""
        self.layout, self.colorspace, self.settings = layout, colorspace, settings
        self.fg_colorspace = fg_colorspace or colorspace
        self.model_name, self.sha256 = model_name, sha256
        self.written: list[int] = []
        self.clamped = 0

    def foreground(self, image: Image, pha: np.ndarray, fgr: np.ndarray) -> np.ndarray:
        """[H,W,4] premultiplied RGBA in fg_colorspace (pha already quantised)."""
        from cmn_vfx.color import convert, from_network
        mask = outputs.transition_band(pha)
        band = None
        if mask.any():
            # cv2's bilinear resize samples like torch's interpolate(align_corners=False); one
            # vectorised resize is ~30x faster than gathering band pixels one by one.
            full = cv2.resize(fgr, (pha.shape[1], pha.shape[0]), interpolation=cv2.INTER_LINEAR)
            srgb = np.clip(full[mask], 0.0, 1.0)
            del full
            band = from_network(srgb[:, None, :], self.fg_colorspace)[:, 0, :]
        plate = image.pixels
        if self.fg_colorspace != self.colorspace:
            plate = convert(plate, self.colorspace, self.fg_colorspace)
        rgba = outputs.premultiplied_fg(plate, pha, band)
        self.clamped += outputs.clamp_to_half(rgba)
        return rgba

    def write(self, item: tuple[Step, Image, np.ndarray, np.ndarray]) -> None:
        from cmn_vfx.finished import source_id
        step, image, alpha, fgr = item
        people = None
        if alpha.ndim == 3:                      # A plus one alpha per picked person
            alpha, people = alpha[..., 0], outputs.quantise_alpha(alpha[..., 1:])
        pha = outputs.quantise_alpha(alpha)
        rgba = self.foreground(image, pha, fgr)
        meta = {k: image.metadata[k] for k in _CARRIED if k in image.metadata}
        meta.update(outputs.frame_metadata(self.model_name, self.sha256, image.path or None, step.source,
                                           self.settings, self.fg_colorspace, source_id(image.path or None)))
        meta["oiio:ColorSpace"] = self.fg_colorspace
        windows = (image.data_window, image.display_window)
        paths = self.layout.paths(step.frame)
        try:
            for path in paths.values():
                os.makedirs(os.path.dirname(path), exist_ok=True)
            write_exr(paths["fg"], rgba, outputs.FG_CHANNELS, *windows, meta)
            if people is None:
                write_exr(paths["alpha"], pha[..., None], outputs.ALPHA_CHANNELS, *windows, meta)
            else:
                names = outputs.ALPHA_CHANNELS + tuple(f"person{i + 1}.A" for i in range(people.shape[-1]))
                write_exr(paths["alpha"], np.dstack([pha, people]), names, *windows, meta)
        except (OSError, CMNError) as exc:
            if _disk_full(exc):
                raise BadInputError(f"{self.layout.out_dir}: disk full while writing frame {step.frame}; "
                                    "free space and rerun (finished frames are kept and skipped)") from None
            raise
        self.written.append(step.frame)
