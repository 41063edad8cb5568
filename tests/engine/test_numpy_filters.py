"""The numpy twins of the torch filters (cmn_vfx.engine.numpy_filters), which the onnx runtime uses."""
import numpy as np
import pytest
import torch

from cmn_vfx.engine import numpy_filters as nf
from cmn_vfx.engine.guided_filter import box_mean, guided_upsample, luminance


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a[..., None] if a.ndim == 2 else a).permute(2, 0, 1)[None]


@pytest.mark.parametrize("lr,hr", [((36, 64), (45, 70)), ((18, 32), (1080 // 8, 1920 // 8)), ((5, 3), (17, 9))])
def test_guided_upsample_equals_torch(lr, hr):
    rng = np.random.default_rng(lr[0])
    pha, guide = rng.random(lr, dtype=np.float32), rng.random(lr, dtype=np.float32)
    guide_hr = rng.random(hr, dtype=np.float32)
    want = guided_upsample(_t(pha), _t(guide), _t(guide_hr))[0, 0].numpy()
    np.testing.assert_allclose(nf.guided_upsample(pha, guide, guide_hr), want, atol=2e-6)


@pytest.mark.parametrize("r", [1, 2, 5, 9])
def test_clipped_box_mean_equals_avg_pool(r):
    x = np.random.default_rng(r).random((7, 11, 2), dtype=np.float32)
    np.testing.assert_allclose(nf.box_clip(x, r), box_mean(_t(x), r)[0].permute(1, 2, 0).numpy(), atol=1e-6)


def test_luminance_equals_torch():
    src = np.random.default_rng(0).random((4, 5, 3), dtype=np.float32)
    np.testing.assert_allclose(nf.luminance(src), luminance(_t(src))[0, 0].numpy(), atol=1e-7)
