"""OpenCV DIS optical flow on numpy frames: the one flow computation of both runtimes (torch-free).

cmn_vfx.model.dis_flow.DISFlow (torch) and cmn_vfx.engine.onnx_backend (OpenVINO, ONNX Runtime) both call
`backward_flow`, so the two runtimes see the same flow to the bit. OpenCV is imported on the first
call, not with the module: the model imports (and trains with a given flow, training/gpu_train.py) where
there is no OpenCV.
"""
from __future__ import annotations

import numpy as np

PRESETS = ("ultrafast", "fast", "medium")  # cv2.DISOPTICAL_FLOW_PRESET_<NAME>


def grey(rgb: np.ndarray) -> np.ndarray:
    """[H,W,3] float 0..1 sRGB -> [H,W] uint8 grey (rounded, clipped)."""
    import cv2

    code = (np.clip(rgb, 0.0, 1.0).astype(np.float32) * 255 + 0.5).astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(code), cv2.COLOR_RGB2GRAY)


def backward_flow(src: np.ndarray, prev_src: np.ndarray, preset: str) -> np.ndarray:
    """src, prev_src [H,W,3] float 0..1 sRGB -> [H,W,2] float32 backward flow t->t-1 in pixels.

    A fresh DIS object per pair: a reused one starts from its last solution, and its flow differs.
    """
    import cv2

    dis = cv2.DISOpticalFlow_create(getattr(cv2, f"DISOPTICAL_FLOW_PRESET_{preset.upper()}"))
    return dis.calc(grey(src), grey(prev_src), None)
