"""Fast guided filter (He, Sun, Tang 2013; He & Sun 2015 "Fast Guided Filter").

The network runs at a working resolution; the full-resolution alpha is
recovered by fitting, in every low-resolution window, a linear model
`alpha = a * guide + b` against the plate's luminance, then applying the
bilinearly upsampled (a, b) to the full-resolution luminance. Edges follow the
plate at full resolution, while memory stays a few full-size single-channel
planes (no full-size RGB tensor on the device).

All tensors live on the caller's device; nothing here is CPU-specific.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

# Rec.709 luma weights applied to network-space (sRGB-encoded) RGB: the guide
# only needs to carry edges, not be colourimetrically exact.
LUMA = (0.2126, 0.7152, 0.0722)
RADIUS = 2      # window radius at the working resolution (5x5 windows)
EPS = 1e-4      # regulariser: smaller follows weaker plate edges


def luminance(src: torch.Tensor) -> torch.Tensor:
    """src: [B,3,H,W] float 0..1 sRGB -> [B,1,H,W] luma, same range."""
    weights = torch.tensor(LUMA, dtype=src.dtype, device=src.device).view(1, 3, 1, 1)
    return (src * weights).sum(dim=1, keepdim=True)


def box_mean(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over (2r+1)^2 windows, windows clipped at the border. x: [B,C,H,W]."""
    return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)


def guided_upsample(pha_lr: torch.Tensor, guide_lr: torch.Tensor, guide_hr: torch.Tensor,
                    radius: int = RADIUS, eps: float = EPS) -> torch.Tensor:
    """Upsample a matte with the fast guided filter.

    Args:
        pha_lr: [B,1,h,w] alpha 0..1 at the working resolution.
        guide_lr: [B,1,h,w] plate luminance (network space, 0..1) at the working resolution.
        guide_hr: [B,1,H,W] the same luminance at full resolution.
        radius, eps: window radius (low-res pixels) and regulariser.
    Returns:
        [B,1,H,W] alpha clamped to 0..1.
    """
    mean_i = box_mean(guide_lr, radius)
    mean_p = box_mean(pha_lr, radius)
    cov_ip = box_mean(guide_lr * pha_lr, radius) - mean_i * mean_p
    var_i = box_mean(guide_lr * guide_lr, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    size = guide_hr.shape[-2:]
    a_hr = F.interpolate(box_mean(a, radius), size=size, mode="bilinear", align_corners=False)
    b_hr = F.interpolate(box_mean(b, radius), size=size, mode="bilinear", align_corners=False)
    return (a_hr * guide_hr + b_hr).clamp_(0.0, 1.0)
