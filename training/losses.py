"""The CMN training loss (paper eq. 13-16).

    L_total = sum_t  L1(a_t, a^_t) + L_lap(a_t, a^_t) + 0.1 * L1(I(a^_t > 0) * (F_t - F^_t))

Each per-frame term is a mean over the batch and the frame's pixels (as
RobustVideoMatting's F.l1_loss), then summed over the T frames as eq. 16 says.
An optional coherence term (not in the paper; RobustVideoMatting's): temporal_loss, the squared
error of alpha's frame-to-frame change against the truth's, so the net is taught not to flicker
where the truth does not move.

The Laplacian loss is eq. 14 as printed: sum over 5 levels of 2^(i-1) * L1 of
the level (RVM additionally divides by 5; we do not). The pyramid uses the
5x5 binomial Gaussian kernel ([1,4,6,4,1]/16 outer itself) of Context Matting
and RVM. Borders: the downsampling blur replicates and the upsampling is
normalised by the upsampled ones, so crops as small as 32 px have 5 exact levels
(RVM reflects, which needs 3 px at the coarsest level).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LAPLACIAN_LEVELS = 5
FGR_WEIGHT = 0.1


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


def laplacian_loss(pred: torch.Tensor, true: torch.Tensor, levels: int = LAPLACIAN_LEVELS) -> torch.Tensor:
    """Eq. 14: sum_i 2^(i-1) * mean|L^i(pred) - L^i(true)|. pred, true: [B,1,H,W] 0..1."""
    pairs = zip(laplacian_pyramid(pred, levels), laplacian_pyramid(true, levels))
    return sum((2 ** i) * F.l1_loss(p, t) for i, (p, t) in enumerate(pairs))


def matting_loss(pred_pha: torch.Tensor, pred_fgr: torch.Tensor, true_pha: torch.Tensor,
                 true_fgr: torch.Tensor) -> dict[str, torch.Tensor]:
    """Eq. 16 over a clip, with its named terms (each already summed over frames).

    pred_pha, true_pha: [B,T,1,H,W] 0..1; pred_fgr, true_fgr: [B,T,3,H,W] 0..1 sRGB.
    Returns {'l1_alpha', 'lap_alpha', 'l1_fgr', 'total'} (scalar tensors; total has grad).
    """
    if pred_pha.shape != true_pha.shape or pred_fgr.shape != true_fgr.shape:
        raise ValueError(f"prediction {tuple(pred_pha.shape)}/{tuple(pred_fgr.shape)} and target "
                         f"{tuple(true_pha.shape)}/{tuple(true_fgr.shape)} differ")
    terms = {"l1_alpha": pred_pha.new_zeros(()), "lap_alpha": pred_pha.new_zeros(()),
             "l1_fgr": pred_pha.new_zeros(())}
    for t in range(true_pha.shape[1]):
        visible = (true_pha[:, t] > 0).to(pred_fgr.dtype)
        terms["l1_alpha"] = terms["l1_alpha"] + F.l1_loss(pred_pha[:, t], true_pha[:, t])
        terms["lap_alpha"] = terms["lap_alpha"] + laplacian_loss(pred_pha[:, t], true_pha[:, t])
        terms["l1_fgr"] = terms["l1_fgr"] + F.l1_loss(pred_fgr[:, t] * visible, true_fgr[:, t] * visible)
    terms["total"] = terms["l1_alpha"] + terms["lap_alpha"] + FGR_WEIGHT * terms["l1_fgr"]
    return terms


def temporal_loss(pred_pha: torch.Tensor, true_pha: torch.Tensor, prev_pred: torch.Tensor | None = None,
                  prev_true: torch.Tensor | None = None) -> torch.Tensor:
    """sum_t mean((a_t - a_{t-1}) - (a^_t - a^_{t-1}))^2 over a clip segment [B,T,1,H,W].

    prev_pred / prev_true [B,1,H,W]: the frame before the segment (truncated backprop carries the
    previous segment's last frame, detached), so no frame pair is skipped at a segment seam.
    """
    if prev_pred is not None:
        pred_pha = torch.cat([prev_pred[:, None], pred_pha], 1)
        true_pha = torch.cat([prev_true[:, None], true_pha], 1)
    if pred_pha.shape[1] < 2:
        return pred_pha.new_zeros(())
    d_pred = pred_pha[:, 1:] - pred_pha[:, :-1]
    d_true = true_pha[:, 1:] - true_pha[:, :-1]
    return ((d_pred - d_true) ** 2).mean(dim=(0, 2, 3, 4)).sum()


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
