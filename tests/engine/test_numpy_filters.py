"""The post-network maths, written once (cmn_vfx.engine.numpy_filters): every runtime refines and upsamples with it."""
from types import SimpleNamespace

import numpy as np
import torch

from cmn_vfx.engine import numpy_filters as nf
from cmn_vfx.engine.filter_params import LUMA
from cmn_vfx.engine.torch_backend import TorchBackend


def _settings(**kw) -> SimpleNamespace:
    """What open_backend reads (cmn_vfx.engine.backend.BackendSettings)."""
    return SimpleNamespace(**{"model": "x.pt", "device": "cpu", "runtime": "torch", "precision": "fp32",
                              "threads": None, "refine": "guided", "fg_colour": "estimate", **kw})


def _frame(h: int = 72, w: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """(src [h,w,3], pha [h,w]) float32 0..1: a soft disc with an edge for the refinement to work on."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    disc = np.clip(1 - (np.hypot(xs - w / 2, ys - h / 2) - h / 3) / 3, 0, 1)
    src = np.stack([0.2 + 0.6 * disc, 0.3 + 0.2 * xs / w, 0.5 - 0.3 * disc], -1)
    src += 0.05 * np.random.default_rng(0).random((h, w, 3))
    return src.astype(np.float32), disc.astype(np.float32)


def test_the_torch_backend_refines_and_upsamples_with_the_numpy_code_to_the_bit():
    src, pha = _frame()
    guide_hr = np.random.default_rng(1).random((180, 320), dtype=np.float32)
    backend = TorchBackend(_settings(), torch.nn.Identity(), {})
    src_t, pha_t = backend.frame(src), backend.frame(pha)
    refined = backend.refine(pha_t, src_t)
    assert isinstance(refined, torch.Tensor) and refined.shape == pha_t.shape        # stays the backend's form
    want = nf.refine_alpha(pha, src, "guided")
    assert 0 < ((want > 0) & (want < 1)).mean() < 0.5                                 # a band, 0 / 1 elsewhere
    np.testing.assert_array_equal(backend.plane(refined), want)
    np.testing.assert_array_equal(backend.upsample(refined, src_t, guide_hr), nf.upsample_alpha(want, src, guide_hr))
    assert backend.upsample(refined, src_t, guide_hr).shape == (180, 320)
    assert TorchBackend(_settings(refine="none"), torch.nn.Identity(), {}).refine(pha_t, src_t) is pha_t


def test_refine_none_and_a_plate_at_the_working_size_pass_the_alpha_through():
    src, pha = _frame()
    assert nf.refine_alpha(pha, src, "none") is pha
    np.testing.assert_array_equal(nf.upsample_alpha(pha, src, np.zeros(pha.shape, np.float32)), pha)


def test_the_guide_is_the_rec709_luma_of_the_network_space_frame():
    src = np.random.default_rng(0).random((4, 5, 3), dtype=np.float32)
    np.testing.assert_allclose(nf.luminance(src), (src * np.float32(LUMA)).sum(-1), atol=1e-7)


def test_the_torch_backend_on_the_cpu_leaves_the_cores_to_torch():
    """OpenCV's thread pool beside torch's OpenMP threads made torch runs 2-3x slower and erratic on a busy node."""
    import cv2
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        TorchBackend(_settings(), torch.nn.Identity(), {})
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(before)
