"""The engine's writer: network output (a FrameOut) -> OUT/alpha and OUT/fg EXRs.

FrameWriter runs in the write-behind thread (after MatteEngine.finish): quantise alpha, estimate the
foreground's colour in the transition band (or take the network's) and linearise it, compose the
premultiplied fg, write both EXRs atomically.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile

import cv2
import numpy as np

from cmn_vfx import __version__
from cmn_vfx.engine import output_pixels
from cmn_vfx.engine.records import FrameOut
from cmn_vfx.errors import BadInputError, CMNError
from cmn_vfx.io.image import Image, to_half, write_exr
from cmn_vfx.job.layout import ALPHA_CHANNELS, FG_CHANNELS, KINDS, OutputLayout, frame_metadata, person_channels

# Plate header attributes copied onto the outputs (so editorial data survives in Nuke).
_CARRIED = ("smpte:TimeCode", "FramesPerSecond")   # oiio:ColorSpace is the fg's own (FrameWriter)
_BYTES_PER_PIXEL = 10  # uncompressed alpha (half) + fg RGBA (half): the most one frame can take


def _disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)


def check_output_dir(layout: OutputLayout, frames: list[int], pixels: int) -> None:
    """BadInputError unless the layout's folder can be created and written, its files' names (and their temp
    files') fit this system's limits, and it holds at least one more frame.

    Creates nothing: the nearest existing folder is tested, and the writer makes the folders
    at its first write, so a refusal leaves no empty OUT, OUT/alpha or OUT/fg behind.
    """
    out_dir = layout.out_dir
    existing = os.path.abspath(out_dir)
    while not os.path.lexists(existing):       # lexists: a dangling link or a loop is met, not walked past
        existing = os.path.dirname(existing)
    if not os.path.exists(existing):
        raise BadInputError(f"{out_dir}: {existing} is a symbolic link that leads nowhere (dangling, or a loop); "
                            "fix the link or choose another --out")
    _check_path_limits(layout, frames, existing)
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


def _check_path_limits(layout: OutputLayout, frames: list[int], existing: str) -> None:
    """BadInputError when an output file's temp path (cmn_vfx.io.atomic: the longest name written) has a
    part longer than the file system's NAME_MAX or is longer than its PATH_MAX."""
    from cmn_vfx.io.atomic import temp_path_for
    name_max, path_max = os.pathconf(existing, "PC_NAME_MAX"), os.pathconf(existing, "PC_PATH_MAX")
    longest = max((temp_path_for(os.path.abspath(layout.path(kind, f))) for kind in KINDS
                   for f in (min(frames, default=0), max(frames, default=0))), key=lambda p: len(os.fsencode(p)))
    if len(os.fsencode(longest)) >= path_max:
        raise BadInputError(f"{layout.out_dir}: its files' paths are {len(os.fsencode(longest))} bytes long, over "
                            f"this system's limit of {path_max}; choose a shorter --out")
    part = max(longest.split(os.sep), key=lambda p: len(os.fsencode(p)))
    if len(os.fsencode(part)) > name_max:
        what = "--name" if layout.name in part else "--out"
        raise BadInputError(f"{layout.out_dir}: {part[:40]!r}... is {len(os.fsencode(part))} bytes, over the file "
                            f"system's limit of {name_max} for a name (temp file included); give a shorter {what}")


def _working_box(box: tuple[int, int, int, int], plate: tuple[int, int],
                 working: tuple[int, int]) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) at the working size covering the bilinear samples of the plate-size pixels in `box`
    ((y0, y1, x0, x1), ends exclusive)."""
    sy, sx = working[0] / plate[0], working[1] / plate[1]
    return (max(int((box[0] + 0.5) * sy - 0.5) - 1, 0), min(int((box[1] - 0.5) * sy - 0.5) + 3, working[0]),
            max(int((box[2] + 0.5) * sx - 0.5) - 1, 0), min(int((box[3] - 0.5) * sx - 0.5) + 3, working[1]))


class FrameWriter:
    """FrameOut (step, plate Image, alpha [H,W], fgr [h,w,3] sRGB or None + the working frame and alpha)
    -> OUT/alpha and OUT/fg EXRs.

    The fg is premultiplied scene-linear: `fg_colorspace` is the plate's colourspace when that is
    scene-linear, else the config's scene_linear role (cmn_vfx.color.scene_linear_for: DPX Cineon,
    PNG/JPEG sRGB, log plates).
    Values beyond the largest half float (65504) are clamped to it, not written as Inf; `clamped`
    counts them for the run's one warning.
    """

    def __init__(self, layout: OutputLayout, colorspace: str, settings: str, model_name: str, sha256: str,
                 fg_colorspace: str | None = None) -> None:
        """fg_colorspace None: the plate's `colorspace` (the caller knows it is scene-linear)."""
        self.layout, self.colorspace, self.settings = layout, colorspace, settings
        self.fg_colorspace = fg_colorspace or colorspace
        self.model_name, self.sha256 = model_name, sha256
        self.written: list[int] = []
        self.clamped = 0

    def foreground(self, image: Image, pha: np.ndarray, fgr: np.ndarray | None, working: tuple | None = None,
                   pha_half: np.ndarray | None = None) -> np.ndarray:
        """[H,W,4] premultiplied RGBA in fg_colorspace (pha already quantised), half: as written (its colour
        rounded to half from float32, clamped to half's range). fgr None: estimated from `working` (src,
        alpha at the working size) where the band needs it. pha_half: to_half(pha) when the caller has it."""
        from cmn_vfx.color import convert, from_network
        pha_half = to_half(pha) if pha_half is None else pha_half
        # zero where alpha is: the plate is read, converted and multiplied only inside alpha's bounding box
        # (55% of the 1080p sample shot's frame); the band (0 < alpha < 1) lies in it too
        rgba = np.zeros(pha.shape + (4,), np.float16)
        x, y, w, h = cv2.boundingRect(cv2.compare(pha, 0.0, cv2.CMP_GT))
        if not w:
            return rgba
        region = np.s_[y:y + h, x:x + w]
        rows, cols = np.nonzero(output_pixels.transition_band(pha[region]))      # row-major, in the box
        band = None
        if len(rows):
            if fgr is None:                  # estimated where the band's bilinear samples reach
                from cmn_vfx.engine.foreground import estimate_foreground
                box = (y + int(rows[0]), y + int(rows[-1]) + 1, x + int(cols.min()), x + int(cols.max()) + 1)
                fgr = estimate_foreground(*working, box=_working_box(box, pha.shape, working[1].shape))
            # cv2's bilinear resize samples like torch's interpolate(align_corners=False); one
            # vectorised resize is ~30x faster than gathering band pixels one by one.
            full = cv2.resize(fgr, (pha.shape[1], pha.shape[0]), interpolation=cv2.INTER_LINEAR)
            srgb = np.clip(full[rows + y, cols + x], 0.0, 1.0)
            del full
            band = from_network(srgb[:, None, :], self.fg_colorspace)[:, 0, :]
        plate, converted = image.floats((y, y + h, x, x + w)), self.fg_colorspace != self.colorspace
        if converted:
            plate = convert(plate, self.colorspace, self.fg_colorspace)
        owned = converted or image.pixels is None      # made just now from the half (or code) plate
        rgb = output_pixels.premultiplied_rgb(plate, pha[region], band, index=rows * w + cols, in_place=owned)
        if image.pixel_type != "half" or converted:     # a half plate times alpha <= 1 stays in half's range:
            self.clamped += output_pixels.clamp_to_half(rgb)  # nothing to clamp
        # straight to half: one RGB conversion merged with alpha's half into the frame's box, in place
        cv2.merge([to_half(rgb), pha_half[region]], dst=rgba[region])
        return rgba

    def write(self, out: FrameOut) -> None:
        from cmn_vfx.job.finished import source_id
        step, image, alpha, fgr = out.step, out.plate, out.alpha, out.fgr
        people = None
        if alpha.ndim == 3:                      # A plus one alpha per picked person
            alpha, people = alpha[..., 0], output_pixels.quantise_alpha(alpha[..., 1:])
        pha, pha_half = output_pixels.alpha_and_half(alpha)
        rgba = self.foreground(image, pha, fgr, out.working, pha_half)
        meta = {k: image.metadata[k] for k in _CARRIED if k in image.metadata}
        meta.update(frame_metadata(self.model_name, self.sha256, image.path or None, step.source,
                                   self.settings, self.fg_colorspace, source_id(image.path or None), version=__version__))
        meta["oiio:ColorSpace"] = self.fg_colorspace
        windows = (image.data_window, image.display_window)
        paths = self.layout.paths(step.frame)
        try:
            for path in paths.values():
                os.makedirs(os.path.dirname(path), exist_ok=True)
            write_exr(paths["fg"], rgba, FG_CHANNELS, *windows, meta)
            if people is None:
                write_exr(paths["alpha"], pha_half[..., None], ALPHA_CHANNELS, *windows, meta)
            else:
                channels = person_channels(people.shape[-1])
                write_exr(paths["alpha"], np.dstack([pha, people]), channels, *windows, meta)
        except (OSError, CMNError) as exc:
            if _disk_full(exc):
                raise BadInputError(f"{self.layout.out_dir}: disk full while writing frame {step.frame}; "
                                    "free space and rerun (finished frames are kept and skipped)") from None
            raise
        self.written.append(step.frame)
