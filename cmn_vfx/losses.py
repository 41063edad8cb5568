"""The alpha losses that training (cmn_vfx_training) and `cmn-matte teach` (cmn_vfx.teach) both use.

The Laplacian pyramid of eq. 14 (paper) and the edge-weighted L1 + Laplacian of the v5 heads: the error
sits at the edge, so the loss does too. training/losses.py re-exports these names; the core package never
imports training (tests/test_import_cycles.py), so they live here.

Pyramid: the 5x5 binomial Gaussian kernel ([1,4,6,4,1]/16 outer itself) of Context Matting and RVM.
Borders: the downsampling blur replicates and the upsampling is normalised by the upsampled ones, so crops
as small as 32 px have 5 exact levels (RVM reflects, which needs 3 px at the coarsest level).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LAPLACIAN_LEVELS = 5


def gauss_kernel(device: torch.device | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """5x5 binomial kernel [1,1,5,5], sums to 1."""
    k = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=device, dtype=dtype)
    k = torch.outer(k, k)
    return (k / k.sum())[None, None]


def _blur(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), kernel.expand(c, 1, 5, 5), groups=c)


def _upsample(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    # Zero insertion and blur, normalised by the same of ones, so that borders and
    # 1-pixel levels stay exact (a constant upsamples to the same constant).
    def spread(v: torch.Tensor) -> torch.Tensor:
        b, c, h, w = v.shape
        up = v.new_zeros(b, c, h * 2, w * 2)
        up[:, :, ::2, ::2] = v
        return F.conv2d(up, kernel.expand(c, 1, 5, 5), padding=2, groups=c)

    return spread(x) / spread(torch.ones_like(x[:1, :1]))


def laplacian_pyramid(x: torch.Tensor, levels: int = LAPLACIAN_LEVELS) -> list[torch.Tensor]:
    """Band-pass levels of x [B,C,H,W], finest first; odd sizes are cropped to even per level."""
    kernel = gauss_kernel(x.device, x.dtype)
    pyramid = []
    current = x
    for _ in range(levels):
        h, w = current.shape[-2:]
        current = current[..., : h - h % 2, : w - w % 2]
        down = _blur(current, kernel)[..., ::2, ::2]
        pyramid.append(current - _upsample(down, kernel))
        current = down
    return pyramid


def edge_weight(true_pha: torch.Tensor, prior: torch.Tensor | None = None, band_gain: float = 4.0,
                radius: int = 6, prior_gain: float = 2.0) -> torch.Tensor:
    """Per-pixel loss weight [B,1,H,W]: 1, plus band_gain within `radius` px of the truth's transition
    (0 < alpha < 1, or a step between neighbours), plus prior_gain where the prior is wrong by more than 0.5.

    The suite's error sits at the edge (57% within 3 px, on 3.6% of the pixels) and where the prior fails;
    a plain mean spends 94% of its weight more than 6 px from any edge. true_pha, prior: [B,1,H,W] 0..1.
    """
    soft = ((true_pha > 0.01) & (true_pha < 0.99)).to(true_pha.dtype)
    step = (F.max_pool2d(true_pha, 3, 1, 1) + F.max_pool2d(-true_pha, 3, 1, 1) > 0.5).to(true_pha.dtype)
    band = F.max_pool2d(torch.maximum(soft, step), 2 * radius + 1, 1, radius)
    weight = 1 + band_gain * band
    if prior is not None:
        weight = weight + prior_gain * ((prior - true_pha).abs() > 0.5).to(true_pha.dtype)
    return weight


def weighted_alpha_loss(pred_pha: torch.Tensor, true_pha: torch.Tensor, weight: torch.Tensor,
                        levels: int = LAPLACIAN_LEVELS) -> dict[str, torch.Tensor]:
    """L1 + Laplacian (eq. 14) of alpha, each pixel's error scaled by `weight` (edge_weight), normalised
    by the weight's mean so the scale matches the unweighted loss. All [B,1,H,W]; returns named terms."""
    norm = weight.mean()
    l1 = (weight * (pred_pha - true_pha).abs()).mean() / norm
    lap = pred_pha.new_zeros(())
    w = weight
    for i, (p, t) in enumerate(zip(laplacian_pyramid(pred_pha, levels), laplacian_pyramid(true_pha, levels))):
        w = w[..., : p.shape[-2], : p.shape[-1]] if i == 0 else F.avg_pool2d(w, 2)[..., : p.shape[-2], : p.shape[-1]]
        lap = lap + (2 ** i) * (w * (p - t).abs()).mean() / w.mean()
    return {"l1_alpha": l1, "lap_alpha": lap}
