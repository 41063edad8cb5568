"""The upsampler: one decoder design used twice (alpha and foreground)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cmn_vfx.model.encoder import conv_relu


class Decoder(nn.Module):
    """Bilinear x2, concat the encoder skip, two 3x3 convs at `width`; repeated 1/16 -> 1/1.

    At full resolution the last stage is two convs: conv+ReLU, then a conv to `out` channels
    with no activation (the caller applies sigmoid for alpha, nothing for the foreground).
    x: [B,cin,H/16,W/16]; skips: [s1, s2, s4, s8] each [B,width,H/k,W/k] -> [B,out,H,W].
    """

    def __init__(self, cin: int, width: int, out: int) -> None:
        super().__init__()
        self.stages = nn.ModuleList([
            nn.Sequential(conv_relu(c + width, width), conv_relu(width, width)) for c in (cin, width, width)])
        self.last = nn.Sequential(conv_relu(2 * width, width), nn.Conv2d(width, out, 3, padding=1))

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        for stage, skip in zip(self.stages, (skips[3], skips[2], skips[1])):
            x = stage(torch.cat([upsample(x, skip), skip], 1))
        return self.last(torch.cat([upsample(x, skips[0]), skips[0]], 1))


def upsample(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Bilinear resize of x to like's spatial size (x2 here: sizes are multiples of 16)."""
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)
