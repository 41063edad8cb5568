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

# the pyramid and the edge-weighted loss live in the core (cmn-matte teach uses them too); re-exported here
from cmn_vfx.losses import LAPLACIAN_LEVELS, edge_weight, gauss_kernel, laplacian_pyramid, weighted_alpha_loss  # noqa: F401

FGR_WEIGHT = 0.1


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
