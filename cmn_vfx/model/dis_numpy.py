"""OpenCV DIS optical flow on numpy frames: the one flow computation of both runtimes (torch-free).

cmn_vfx.model.dis_flow.DISFlow (torch) and cmn_vfx.model.onnx_network (ONNX Runtime) both call
`backward_flow`, so the two runtimes see the same flow to the bit.
"""
from __future__ import annotations

import cv2
import numpy as np

PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
           "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


def grey(rgb: np.ndarray) -> np.ndarray:
    """[H,W,3] float 0..1 sRGB -> [H,W] uint8 grey (rounded, clipped)."""
    code = (np.clip(rgb, 0.0, 1.0).astype(np.float32) * 255 + 0.5).astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(code), cv2.COLOR_RGB2GRAY)


def backward_flow(src: np.ndarray, prev_src: np.ndarray, preset: str) -> np.ndarray:
    """src, prev_src [H,W,3] float 0..1 sRGB -> [H,W,2] float32 backward flow t->t-1 in pixels.

    A fresh DIS object per pair: a reused one starts from its last solution, and its flow differs.
    """
    return cv2.DISOpticalFlow_create(PRESETS[preset]).calc(grey(src), grey(prev_src), None)
