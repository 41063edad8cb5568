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


import pytest  # noqa: E402


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_inputs_and_autocast_warp_like_float32(dtype):
    """Grid and validity mask are built in float32: in bf16 the mask threshold 0.999 rounds to 1.0 (all
    zero) and arange is inexact above 256; in fp16 the grid misplaced samples by up to 0.4 px at 480 wide."""
    g = torch.Generator().manual_seed(1)
    prev = torch.rand(1, 4, 40, 480, generator=g)
    flow = torch.randn(1, 2, 40, 480, generator=g) * 3
    want, want_valid = backwarp(prev, flow)
    got, valid = backwarp(prev.to(dtype), flow.to(dtype))
    assert got.dtype == dtype and valid.dtype == dtype
    assert torch.equal(valid.float(), backwarp(prev, flow.to(dtype).float())[1])       # same mask as fp32
    assert valid.float().mean() > 0.8
    ref = backwarp(prev.to(dtype).float(), flow.to(dtype).float())[0]                  # fp32 math, same inputs
    assert (got.float() - ref).abs().max() <= 2 * torch.finfo(dtype).eps               # only the output rounding
    with torch.autocast("cpu", dtype=dtype):
        auto, auto_valid = backwarp(prev, flow)
    assert torch.equal(auto_valid, want_valid) and torch.allclose(auto, want, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_pwcnet_under_cpu_autocast_is_close_to_float32(dtype):
    from cmn_vfx.model.pwcnet import PWCNet
    torch.manual_seed(0)
    net = PWCNet(width=0.25).eval()
    src, prev = torch.rand(1, 3, 64, 96), torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        want = net(src, prev)
        with torch.autocast("cpu", dtype=dtype):
            got = net(src, prev)
    want = want[0] if isinstance(want, (tuple, list)) else want
    got = got[0] if isinstance(got, (tuple, list)) else got
    scale = want.abs().mean()
    assert scale > 0 and (got.float() - want).abs().mean() < 0.05 * scale
