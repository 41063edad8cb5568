"""Combinations of the selfie and BlazePose priors."""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.prior.base import PersonPrior
from cmn_vfx.prior.geometry import warp_out
from cmn_vfx.prior.pose import LANDMARK, PosePrior
from cmn_vfx.prior.selfie import SelfiePrior


class CombinedPrior(PersonPrior):
    """Selfie and pose together.

    mode 'max':  max(selfie, pose) everywhere.
    mode 'gate': max(pose, selfie * roi) where roi is BlazePose's (square, 2.5 body radii)
                 crop of the chosen person, so selfie keeps the subject's hair and edges
                 but not other people away from the subject; with no detection, selfie alone.
    mode 'consensus': pose where the two agree (IoU of their masks >= `agree`), else selfie:
                 pose is sharper and ignores other people, but when its detector misses
                 or picks a passer-by, the whole-frame selfie net is the safer answer.
    mode 'union':  where the two agree, pose plus the selfie net's regions that touch it (the
                 selfie net keeps a torso cut by the frame edge that pose drops; regions not
                 touching the pose mask, e.g. passers-by, stay out); else selfie.
    """

    def __init__(self, selfie: SelfiePrior, pose: PosePrior, mode: str = "gate", agree: float = 0.5):
        self.selfie, self.pose, self.mode, self.agree = selfie, pose, mode, agree
        self.name = f"{mode}_{selfie.name}"

    def predict(self, src: np.ndarray) -> np.ndarray:
        h, w = src.shape[:2]
        a, b = self.selfie.predict(src), self.pose.predict(src)
        if self.mode == "max":
            return np.maximum(a, b)
        if self.pose.last_roi is None:
            return a
        if self.mode == "consensus":
            return b if _iou(a, b) >= self.agree else a
        if self.mode == "union":
            return np.maximum(b, a * _touching(a, b)) if _iou(a, b) >= self.agree else a
        roi = warp_out(np.ones((LANDMARK, LANDMARK), np.float32), self.pose.last_roi, h, w)
        return np.maximum(b, a * roi)


def _touching(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[H,W] 0/1: the connected regions of a > 0.5 that overlap b > 0.5, grown by 2% of the short side."""
    count, labels = cv2.connectedComponents((a > 0.5).astype(np.uint8))
    keep = np.unique(labels[(b > 0.5) & (labels > 0)])
    mask = np.isin(labels, keep[keep > 0]).astype(np.uint8)
    r = max(1, round(0.02 * min(a.shape)))
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))).astype(np.float32)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = ((a > 0.5) | (b > 0.5)).sum()
    return float(((a > 0.5) & (b > 0.5)).sum() / union) if union else 1.0
