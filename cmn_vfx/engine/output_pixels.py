"""The engine's output pixels: alpha quantised through half, the premultiplied foreground.

    OUT/alpha/<name>.<frame>.exr   channel A, half, zip, the plate's windows
    OUT/fg/<name>.<frame>.exr      R,G,B,A premultiplied, scene-linear (the plate's colourspace when
                                   that is scene-linear, else the OCIO scene_linear role), clamped to +-65504

Names, channels and metadata keys: cmn_vfx.job.layout. What makes a frame finished
(resume, cmn-farm status): cmn_vfx.job.finished.
"""
from __future__ import annotations

import cv2
import numpy as np

def quantise_alpha(pha: np.ndarray) -> np.ndarray:
    """Clamp to 0..1 and round through half, so the fg uses exactly the alpha that is written."""
    return alpha_and_half(pha)[0]


def alpha_and_half(pha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(quantise_alpha(pha) float32, the same values as half, as written)."""
    from cmn_vfx.io.image import to_float, to_half     # OpenCV's conversions: numpy's, bit for bit, 2x faster
    half = to_half(np.clip(pha, 0.0, 1.0))
    return to_float(half), half


def premultiplied_fg(plate: np.ndarray, pha: np.ndarray, fgr_band: np.ndarray | None,
                     band: np.ndarray | None = None) -> np.ndarray:
    """[H,W,4] float32 RGBA: premultiplied_rgb and alpha."""
    return cv2.merge([premultiplied_rgb(plate, pha, fgr_band, band), np.ascontiguousarray(pha, np.float32)])


def premultiplied_rgb(plate: np.ndarray, pha: np.ndarray, fgr_band: np.ndarray | None,
                      band: np.ndarray | None = None, index: np.ndarray | None = None,
                      in_place: bool = False) -> np.ndarray:
    """The premultiplied foreground's colour in the plate's colourspace.

    Args:
        plate: [H,W,3] float32 scene-linear plate (the data window).
        pha: [H,W] float32 alpha 0..1, already quantised (quantise_alpha).
        fgr_band: [N,3] the foreground's colour (estimated, or the network's), linearised into the plate's
            colourspace, for the N pixels where 0 < pha < 1 (row-major order);
            None to use the plate there too.
        band: transition_band(pha) when the caller has it already.
        index: np.flatnonzero(band), when the caller has that (then `band` is not needed).
        in_place: multiply `plate` itself (a C-contiguous copy the caller owns: no second 12 MB at 1080p).
    Returns:
        [H,W,3] float32 RGB: plate x alpha (exactly the plate where alpha == 1, so highlights above 1.0
        survive), fgr x alpha in the transition band.
    """
    # contiguous (merged with alpha later: 1.7x faster than writing RGBA's strided channels)
    own = in_place and plate.dtype == np.float32 and plate.flags.c_contiguous and plate.flags.writeable
    rgb = np.multiply(plate, pha[..., None], out=plate if own else None, dtype=np.float32)
    if fgr_band is not None and len(fgr_band):
        if index is None:                                          # row-major, as the colours are
            index = np.flatnonzero(transition_band(pha) if band is None else band)
        pha = np.ascontiguousarray(pha)                            # (a view of the frame's box: gathered once)
        rgb.reshape(-1, 3)[index] = fgr_band * pha.reshape(-1)[index][:, None]
    return rgb


HALF_MAX = float(np.finfo(np.float16).max)   # 65504


def clamp_to_half(rgba: np.ndarray) -> int:
    """Clamp values beyond +-65504 in place (they would be Inf in a half EXR); return how many.

    Clamping, not a float fg: the fg stays half like the alpha (half the disk of float on every
    frame), and only plate values no display or comp grade resolves (e.g. 1e6 speculars) change.
    """
    if -HALF_MAX <= float(rgba.min()) and float(rgba.max()) <= HALF_MAX:   # the usual frame: two reductions, no copy
        return 0
    count = int((np.abs(rgba) > HALF_MAX).sum())
    np.clip(rgba, -HALF_MAX, HALF_MAX, out=rgba)
    return count


def transition_band(pha: np.ndarray) -> np.ndarray:
    """[H,W] bool: pixels with 0 < alpha < 1 (where the network's foreground colour is used)."""
    return (pha > 0.0) & (pha < 1.0)
