"""BlazePose (detector + full landmark model) segmentation mask as a PersonPrior.

Pipeline per frame, as MediaPipe's pose_landmark_cpu graph (no tracking between frames):
1. pose_detection.tflite on the letterboxed frame (224x224, -1..1) -> people (weighted NMS);
   the subject is the largest detection (its face box); hip centre (keypoint 0) and a point
   on the body circle (keypoint 1).
2. ROI: square centred on the hips, side 2*|kp1-kp0|*1.25, rotated so the body is upright.
3. pose_landmark_full.tflite on the ROI crop (256x256, 0..1) -> pose flag + segmentation
   logits; sigmoid, warped back to the frame (0 outside the ROI).
Unlike MediaPipe, both networks see the frame's edge pixels replicated beyond the frame (the
letterbox bands, the part of the ROI outside the frame) instead of black. With black, a body
cut by the frame edge ends in a hard line: the detector then puts a close-up's hips at chest
height and the landmark net drops the shoulders (the `make demo` shot: prior MAD 52 -> 13;
prior_eval.py, script removed in issue 30, all clips 5.5 -> 5.3; docs/prior.md).
It segments ONE person (the largest detected), which is the point: other people in a busy
background stay out of the prior.
"""
from __future__ import annotations

import math

import numpy as np

from cmn_vfx.prior.anchors import INPUT, clusters, decode, ssd_anchors, subject
from cmn_vfx.prior.base import PersonPrior
from cmn_vfx.prior.geometry import letterbox_affine, roi_affine, warp_in, warp_out
from cmn_vfx.prior.litert import LiteRtRuntime, Runtime

ROI_SCALE = 1.25
LANDMARK = 256


class PosePrior(PersonPrior):
    """BlazePose segmentation of the largest detected person (zeros when nobody is found).

    Args:
        threads: CPU threads for both networks.
        min_score: detector threshold (MediaPipe uses 0.5; 0.3 measured better here).
        detector, landmark: replace the tflite runtimes (torch/ONNX ports).
        border: what both networks see beyond the frame (geometry.warp_in): 'replicate'
            (default, measured better) or 'zero' (MediaPipe's black).
    """

    name = "pose"

    def __init__(self, threads: int = 1, min_score: float = 0.3,
                 detector: Runtime | None = None, landmark: Runtime | None = None, border: str = "replicate"):
        self.detector = detector or LiteRtRuntime("pose_detection.tflite", threads)
        self.landmark = landmark or LiteRtRuntime("pose_landmark_full.tflite", threads)
        self.min_score, self.border = min_score, border
        self.anchors = ssd_anchors()
        self.last_roi: np.ndarray | None = None  # 2x3 frame->crop matrix of the last call (for gating)

    def roi(self, src: np.ndarray) -> np.ndarray | None:
        """src [H,W,3] 0..1 -> 2x3 affine frame->256x256 crop of the best person, or None."""
        h, w = src.shape[:2]
        M = letterbox_affine(h, w, INPUT, INPUT)
        x = warp_in(src, M, INPUT, INPUT, self.border) * 2.0 - 1.0
        raw, logits = self.detector.run(x[None])
        best = subject(clusters(*decode(raw[0], logits[0, :, 0], self.anchors, self.min_score)))
        if best is None:
            return None
        kps = best[0] * INPUT  # tensor pixels -> frame pixels through the inverse letterbox
        inv = np.linalg.inv(np.vstack([M, [0, 0, 1]]))[:2]
        (x0, y0), (x1, y1) = (inv[:, :2] @ kps[:2].T + inv[:, 2:]).T
        size = 2.0 * math.hypot(x1 - x0, y1 - y0) * ROI_SCALE
        angle = math.pi / 2 - math.atan2(-(y1 - y0), x1 - x0)
        return roi_affine(x0, y0, max(size, 1.0), angle, LANDMARK)

    def predict(self, src: np.ndarray) -> np.ndarray:
        h, w = src.shape[:2]
        self.last_roi = M = self.roi(src)
        if M is None:
            return np.zeros((h, w), np.float32)
        crop = warp_in(src, M, LANDMARK, LANDMARK, self.border)
        out = self.landmark.run(crop[None])
        # the pose flag (out[1]) is not used: it rejects good masks when the face is blurred or small
        seg = out[2][0, :, :, 0]
        return warp_out(1.0 / (1.0 + np.exp(-np.clip(seg, -60, 60))), M, h, w)
