"""g_backwarp and the flow resize."""
import torch

from cmn_vfx.model.backwarp import backwarp, resize_flow


def test_integer_flow_reproduces_shifted_features_in_the_interior():
    g = torch.Generator().manual_seed(0)
    prev = torch.randn(2, 5, 20, 24, generator=g)
    dx, dy = 3, -2
    flow = torch.zeros(2, 2, 20, 24)
    flow[:, 0], flow[:, 1] = dx, dy
    warped, valid = backwarp(prev, flow)
    # out(y, x) = prev(y + dy, x + dx) wherever that is inside
    assert torch.allclose(warped[:, :, 2:, :-3], prev[:, :, :-2, 3:], atol=1e-5)
    assert valid[:, :, 2:, :-3].min() == 1
    assert valid[:, :, :2].max() == 0 and valid[:, :, :, -3:].max() == 0
    assert warped[:, :, :, -3:].abs().max() == 0  # zeros outside, not smeared borders


def test_zero_flow_is_identity():
    x = torch.randn(1, 3, 7, 9)
    warped, valid = backwarp(x, torch.zeros(1, 2, 7, 9))
    assert torch.allclose(warped, x, atol=1e-6) and valid.min() == 1


def test_resize_flow_scales_values_with_the_grid():
    flow = torch.ones(1, 2, 64, 96)
    flow[:, 0] *= 16.0
    flow[:, 1] *= -8.0
    small = resize_flow(flow, (4, 6))
    assert small.shape == (1, 2, 4, 6)
    assert torch.allclose(small[:, 0], torch.full((1, 4, 6), 1.0))
    assert torch.allclose(small[:, 1], torch.full((1, 4, 6), -0.5))
