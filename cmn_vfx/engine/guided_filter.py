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

from cmn_vfx.engine.filter_params import LUMA  # noqa: F401 - re-exported
from cmn_vfx.engine.filter_params import UPSAMPLE_EPS as EPS
from cmn_vfx.engine.filter_params import UPSAMPLE_RADIUS as RADIUS


def luminance(src: torch.Tensor) -> torch.Tensor:
    """src: [B,3,H,W] float 0..1 sRGB -> [B,1,H,W] luma, same range."""
    weights = torch.tensor(LUMA, dtype=src.dtype, device=src.device).view(1, 3, 1, 1)
    return (src * weights).sum(dim=1, keepdim=True)


def box_mean(x: torch.Tensor, radius: int, border: str = "clip") -> torch.Tensor:
    """Mean over (2r+1)^2 windows. x: [B,C,H,W] float, any range.

    border 'clip': windows clipped at the image edge. 'reflect': the image mirrored about its edge
    pixel, which is repeated (cv2.BORDER_REFLECT, `cba|abcd|dcb`), so it equals
    cv2.boxFilter(x, -1, (2r+1, 2r+1), borderType=cv2.BORDER_REFLECT) to float32 rounding.
    """
    if border == "clip":
        return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)
    if border != "reflect":
        raise ValueError(f"box_mean border {border!r}: use 'clip' or 'reflect'")
    k = 2 * radius + 1
    # Two 1-D passes, each over dim -2 of the transposed image: a sum over unfold(-2) runs along
    # contiguous rows (avg_pool2d and unfold(-1) are 3-10x slower on CPU for r ~ 12) and the
    # padding's copy makes the transposed image contiguous. No conv, so no TF32 on GPUs: the
    # guided filter's E[I^2] - E[I]^2 against eps = 1e-4 needs float32 sums.
    for _ in range(2):
        x = _pad_reflect(x.transpose(-1, -2), radius).unfold(-2, k, 1).sum(-1)
    return x / (k * k)


def _pad_reflect(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Pad dim -2 by `radius` on both sides, cv2.BORDER_REFLECT; a pad wider than x repeats the
    reflection, as cv2 does (x padded by its full length reflects like x itself)."""
    while radius > 0:
        n = min(radius, x.shape[-2])
        x = torch.cat([x[..., :n, :].flip(-2), x, x[..., -n:, :].flip(-2)], -2)
        radius -= n
    return x


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
