import os

import cv2
import numpy as np
import pytest

ASSETS = os.path.join(os.path.dirname(__file__), "..", "..", "assets")


def _portrait(name: str, height: int) -> tuple[np.ndarray, np.ndarray]:
    folder = "p3m_dev" if os.path.isfile(os.path.join(ASSETS, "p3m_dev", "original", name + ".jpg")) else "p3m_samples"
    fgr = cv2.imread(os.path.join(ASSETS, folder, "original", name + ".jpg"))[:, :, ::-1]
    pha = cv2.imread(os.path.join(ASSETS, folder, "alpha", name + ".png"), cv2.IMREAD_GRAYSCALE)
    w = round(fgr.shape[1] * height / fgr.shape[0])
    fgr = cv2.resize(fgr, (w, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    pha = cv2.resize(pha, (w, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    return fgr, pha


@pytest.fixture(scope="session")
def portrait():
    """Held-out portrait p_22fc0130 at 256 px tall: (src [H,W,3] 0..1 sRGB, pha [H,W] 0..1)."""
    return _portrait("p_22fc0130", 256)


def _iou(pred: np.ndarray, gt: np.ndarray) -> float:
    return float(((pred > 0.5) & (gt > 0.5)).sum() / max(1, ((pred > 0.5) | (gt > 0.5)).sum()))


@pytest.fixture(scope="session")
def iou():
    """IoU of two masks thresholded at 0.5."""
    return _iou


@pytest.fixture(scope="session")
def walker():
    """Validation portrait p_819ea202 (a man walking, full figure), 540 px tall."""
    return _portrait("p_819ea202", 540)
