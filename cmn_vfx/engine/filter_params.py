"""The engine's filter parameters, torch-free: every runtime, the classical baselines and cmn:settings read them.

Guided upsampling (cmn_vfx.engine.numpy_filters.guided_upsample): LUMA, UPSAMPLE_RADIUS, UPSAMPLE_EPS.
Edge refinement (`--refine guided`, cmn_vfx.engine.numpy_filters.refine_edges): the rest. Retuning any of
them changes the resume key (cmn_vfx.engine.resume_key.engine_constants).
"""
from __future__ import annotations

import cv2
import numpy as np

# Rec.709 luma weights applied to network-space (sRGB-encoded) RGB: the guide
# only needs to carry edges, not be colourimetrically exact.
LUMA = (0.2126, 0.7152, 0.0722)
UPSAMPLE_RADIUS = 2    # window radius at the working resolution (5x5 windows)
UPSAMPLE_EPS = 1e-4    # regulariser: smaller follows weaker plate edges

# Refinement, best of a sweep on the training portraits (prior_eval.py's clips; script removed in issue 30):
BAND_FRACTION = 0.01   # the trimap's unknown half band: 1% of the frame's short side ...
MIN_BAND = 2           # ... and at least 2 px
RADIUS_BANDS = 4       # guided filter radius, in bands
SUBSAMPLE_SIDE = 288   # the fast guided filter solves at 1/s size, s = short side // 288 (>= 1)
REFINE_EPS = 1e-4      # guided filter regulariser (0..1 colour units squared)


def guided_settings() -> dict:
    """The refinement parameters, as cmn:settings records them."""
    return {"band_fraction": BAND_FRACTION, "min_band": MIN_BAND, "radius_bands": RADIUS_BANDS,
            "subsample_side": SUBSAMPLE_SIDE, "eps": REFINE_EPS}


def guided_params(h: int, w: int, band: int | None = None) -> tuple[int, int, int]:
    """An [h,w] frame -> (band, radius, s): trimap half band (px), filter radius (px) and
    subsampling factor of the fast guided filter."""
    band = band or max(MIN_BAND, round(BAND_FRACTION * min(h, w)))
    return band, RADIUS_BANDS * band, max(1, min(h, w) // SUBSAMPLE_SIDE)


def band_element(band: int) -> np.ndarray:
    """The trimap's structuring element: a (2*band+1)^2 uint8 ellipse, each row a centred run of 1s."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
