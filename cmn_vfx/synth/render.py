"""Drawing a moving still: warp, motion blur, camera move, ``src = pha*fgr + (1-pha)*bgr``.

numpy + OpenCV only. Alpha and foreground come out exact, so a plate composited here
has a known truth. Conventions as cmn_vfx/synth/still.py.
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.synth.motion import Motion
from cmn_vfx.synth.still import Still


def warp_still(still: Still, matrix: np.ndarray, canvas: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Warp a still with a 3x3 still->canvas matrix: (fgr [H,W,3], pha [H,W])."""
    m = matrix[:2].astype(np.float64)
    pha = cv2.warpAffine(still.pha, m, canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    fgr = cv2.warpAffine(still.fgr, m, canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return fgr, pha


def render_subject(still: Still, motion: Motion, idx: int, blur_samples: int = 1,
                   shutter: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The subject at frame ``idx``: (fgr [H,W,3], pha [H,W]).

    With ``blur_samples > 1``, motion blur: alpha and premultiplied colour are
    averaged over sub-frame poses spanning ``shutter`` of the interval before the
    frame, and fgr = mean(pha*fgr) / mean(pha), so ``pha*fgr`` stays exact.
    """
    if blur_samples <= 1 or idx == 0:
        return warp_still(still, motion.subject_matrix(idx), motion.canvas)
    premult, pha_sum, centre_fgr = 0.0, 0.0, None
    for t in np.linspace(idx - shutter, idx, blur_samples):
        fgr, pha = warp_still(still, motion.subject_matrix(t), motion.canvas)
        premult = premult + fgr * pha[..., None]
        pha_sum = pha_sum + pha
        centre_fgr = fgr
    pha = pha_sum / blur_samples
    fgr = np.where(pha[..., None] > 1e-6, premult / blur_samples / np.maximum(pha[..., None], 1e-6), centre_fgr)
    return np.clip(fgr, 0.0, 1.0).astype(np.float32), pha.astype(np.float32)


def move_background(bgr: np.ndarray, motion: Motion, idx: int) -> np.ndarray:
    """Apply the camera move of frame ``idx`` to a background [H,W,3] already at canvas size."""
    m = motion.camera_matrix(idx)
    if np.allclose(m, np.eye(3)):
        return bgr
    return cv2.warpAffine(bgr, m[:2], motion.canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def composite(fgr: np.ndarray, pha: np.ndarray, bgr: np.ndarray) -> np.ndarray:
    """``src = pha*fgr + (1-pha)*bgr``; fgr/bgr [...,H,W,3], pha [...,H,W] (float32)."""
    a = pha[..., None]
    return (a * fgr + (1.0 - a) * bgr).astype(np.float32)
