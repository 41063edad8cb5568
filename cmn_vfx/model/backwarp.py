"""g_backwarp (paper eq. 4): sample a tensor at x + flow(x), bilinear, zero outside the frame."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def backwarp(x: torch.Tensor, flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Warp `x` (the previous frame's tensor) to the current frame with the backward flow.

    x: [B,C,H,W] any values. flow: [B,2,H,W] backward flow t->t-1 in pixels of THIS grid
    (channel 0 = x/right, 1 = y/down): out(p) = x(p + flow(p)).
    Returns (warped * valid, valid): valid [B,1,H,W] is 1 where the bilinear footprint lies
    fully inside the frame, else 0 (PWC-Net's convention), so samples from outside are zeros
    instead of smeared border pixels. Differentiable w.r.t. x and flow (not through `valid`).
    """
    b, _, h, w = x.shape
    # The grid and the validity mask in float32 whatever the input's dtype or autocast: in bf16 0.999
    # rounds to 1.0 (the mask would be all zero) and arange is inexact above 256; in fp16 the grid
    # would misplace samples by up to 0.4 px at width 480.
    with torch.autocast(x.device.type, enabled=False):
        flow32 = flow.float()
        ys = torch.arange(h, dtype=torch.float32, device=x.device).view(1, h, 1).expand(b, h, w)
        xs = torch.arange(w, dtype=torch.float32, device=x.device).view(1, 1, w).expand(b, h, w)
        gx = (xs + flow32[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
        gy = (ys + flow32[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
        grid = torch.stack([gx, gy], dim=3)
        x32 = x.float()
        out = F.grid_sample(torch.cat([x32, torch.ones_like(x32[:, :1])], 1), grid, mode="bilinear",
                            padding_mode="zeros", align_corners=True)
        valid = (out[:, -1:] > 0.999).float()
        warped = out[:, :-1] * valid
    return warped.to(x.dtype), valid.to(x.dtype)


def resize_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinearly resize a flow field to `size` (h, w) and scale its values with the resize.

    flow: [B,2,H,W] pixels of the source grid -> [B,2,h,w] pixels of the new grid.
    Downsampling uses antialiasing so a 16x reduction averages instead of point-sampling.
    """
    h0, w0 = flow.shape[-2:]
    h, w = size
    if (h, w) == (h0, w0):
        return flow
    out = F.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False, antialias=h < h0 or w < w0)
    scale = torch.tensor([w / w0, h / h0], dtype=flow.dtype, device=flow.device).view(1, 2, 1, 1)
    return out * scale
