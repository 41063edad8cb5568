"""cmn_vfx.engine.guided_filter.box_mean: its 'reflect' border against cv2.boxFilter."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from cmn_vfx.engine.guided_filter import box_mean


@pytest.mark.parametrize("radius", [1, 4, 12, 30])   # 30: wider than the 9 x 13 image, reflected again
def test_box_mean_reflect_equals_cv2_box_filter(radius):
    x = np.random.default_rng(radius).random((9, 13, 3), dtype=np.float32)
    want = cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)
    got = box_mean(torch.from_numpy(x).permute(2, 0, 1)[None], radius, "reflect")[0].permute(1, 2, 0).numpy()
    assert np.abs(got - want).max() < 1e-6


def test_box_mean_clip_is_a_mean_over_the_window_inside_the_image():
    x = torch.arange(12.0).view(1, 1, 3, 4)
    assert box_mean(x, 1)[0, 0, 0, 0].item() == pytest.approx((0 + 1 + 4 + 5) / 4)
