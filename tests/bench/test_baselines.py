"""bench/baselines.py: prior + classical matting, the baselines the default model must beat."""
import os

import cv2
import numpy as np
import pytest

from bench.baselines import classical_matte, trimap_from_prior
from bench.validation_clips import ASSETS, portrait_paths
from cmn_vfx.errors import BadInputError
from cmn_vfx.prior import load_prior


@pytest.fixture(scope="module")
def street_composite():
    """Held-out full-body-ish portrait p_a09f6d7a over the first street frame, 288 px tall:
    (src [H,W,3] 0..1 sRGB, pha [H,W] 0..1)."""
    image, alpha = portrait_paths("p_a09f6d7a")
    fgr, pha = cv2.imread(image)[:, :, ::-1], cv2.imread(alpha, cv2.IMREAD_GRAYSCALE)
    size = (round(fgr.shape[1] * 288 / fgr.shape[0]), 288)
    fgr = cv2.resize(fgr, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    pha = cv2.resize(pha, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    cap = cv2.VideoCapture(os.path.join(ASSETS, "backgrounds", "vtest.avi"))
    ok, bgr = cap.read()
    cap.release()
    bgr = cv2.resize(bgr[:, :, ::-1], size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    src = pha[..., None] * fgr + (1 - pha[..., None]) * bgr
    return src.astype(np.float32), pha


def mad(a, b):
    return float(np.abs(a - b).mean() * 1e3)


@pytest.mark.parametrize("method,gain", [("guided", 0.8), ("closed_form", 0.8)])
def test_classical_refinement_lowers_mad(street_composite, method, gain):
    src, gt = street_composite
    prior = load_prior("selfie")(src)
    pha = classical_matte(src, prior, method)
    assert pha.shape == gt.shape and 0 <= pha.min() and pha.max() <= 1
    assert mad(pha, gt) < gain * mad(prior, gt)


def test_trimap_band():
    prior = np.zeros((40, 40), np.float32)
    prior[10:30, 10:30] = 1
    tri = trimap_from_prior(prior, 3)
    assert set(np.unique(tri)) == {0.0, 0.5, 1.0}
    assert tri[20, 20] == 1 and tri[0, 0] == 0 and tri[20, 10] == 0.5
    assert (tri[20] == 0.5).sum() == 12  # 2*band = 6 px unknown across each edge


def test_closed_form_with_an_empty_prior_returns_zeros(street_composite):
    src, _ = street_composite
    pha = classical_matte(src, np.zeros(src.shape[:2], np.float32), "closed_form")
    assert pha.shape == src.shape[:2] and pha.max() == 0.0


def test_bad_method_is_a_user_error(street_composite):
    src, _ = street_composite
    with pytest.raises(BadInputError):
        classical_matte(src, np.zeros(src.shape[:2], np.float32), "knn")
