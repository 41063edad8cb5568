import numpy as np
import pytest

from cmn_vfx.errors import BadInputError
from cmn_vfx.prior import load_prior
from cmn_vfx.prior.classical import classical_matte, trimap_from_prior


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
