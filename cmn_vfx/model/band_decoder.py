"""The alpha decoder of v5: a coarse residual on the prior at 1/2, then a full-resolution stage gated
to the edge band.

57% of the validation suite's error lies within 3 px of the true edge on 3.6% of the pixels
(../shared/notes/training-on-the-cpu.md), and a full-resolution stage left free to act everywhere
leaks onto textures (a probe made the suite 67% worse ungated). So the last stage only corrects
pixels near the coarse alpha's transition: where the coarse alpha is within BAND_LO..BAND_HI, dilated
by BAND_RADIUS pixels. Everywhere else alpha is the coarse one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cmn_vfx.model.decoder import upsample
from cmn_vfx.model.encoder import conv_relu

BAND_LO, BAND_HI = 0.02, 0.98
BAND_RADIUS = 4


class BandDecoder(nn.Module):
    """hidden [B,cin,H/16,W/16], skips [s1, s2, s4, s8] ([B,width,H/k,W/k]), prior [B,1,H,W] 0..1
    -> alpha [B,1,H,W] 0..1 (linear coverage, as the training truth)."""

    def __init__(self, cin: int, width: int) -> None:
        super().__init__()
        self.stages = nn.ModuleList([
            nn.Sequential(conv_relu(c + width, width), conv_relu(width, width)) for c in (cin, width, width)])
        self.coarse = nn.Conv2d(width, 1, 3, padding=1)
        self.fine = nn.Sequential(conv_relu(2 * width + 1, width), nn.Conv2d(width, 1, 3, padding=1))
        for conv in (self.coarse, self.fine[-1]):     # both start at zero: an untrained net returns the prior
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor], prior: torch.Tensor) -> torch.Tensor:
        for stage, skip in zip(self.stages, (skips[3], skips[2], skips[1])):
            x = stage(torch.cat([upsample(x, skip), skip], 1))
        coarse = clamp_straight(prior + upsample(self.coarse(x), prior))
        x = upsample(x, skips[0])
        fine = self.fine(torch.cat([x, skips[0], coarse], 1))
        return clamp_straight(coarse + band(coarse.detach()) * fine)


def band(pha: torch.Tensor) -> torch.Tensor:
    """1 within BAND_RADIUS px of a pixel of pha [B,1,H,W] strictly between BAND_LO and BAND_HI, else 0."""
    inside = ((pha > BAND_LO) & (pha < BAND_HI)).to(pha.dtype)
    return F.max_pool2d(inside, 2 * BAND_RADIUS + 1, stride=1, padding=BAND_RADIUS)


def clamp_straight(pha: torch.Tensor) -> torch.Tensor:
    """Clamp to 0..1; in training the gradient passes through the clamp only where it moves the value back
    towards 0..1 (a pixel pushed past 1 where the truth is 0.8 still learns to come down).

    A plain straight-through clamp (identity backward) also passes gradients that push an already
    clamped value further out; nothing pulls it back, and in the v5 heads such pushes added up until the
    coarse residual reached -48,000 and alpha collapsed to 0 (200 iterations at lr 3e-4). Forward values
    are the same either way; without a gradient (inference, the ONNX export) it is a plain clamp.
    """
    if torch.is_grad_enabled() and pha.requires_grad:
        return _ClampBack.apply(pha)
    return pha.clamp(0.0, 1.0)


class _ClampBack(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(0.0, 1.0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        inward = ((x >= 0) & (x <= 1)) | ((x < 0) & (grad < 0)) | ((x > 1) & (grad > 0))
        return grad * inward
