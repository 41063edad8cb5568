"""A frozen ImageNet trunk that sees RGB only, with the guidance (prior, previous alpha) joined after it.

Encoder `efficientnet_lite0` with `frozen_trunk: true` (ModelConfig). The trunk's weights and batch-norm
statistics never train, and it sees the frame alone, so its features are a pure function of the frame:
training computes the deep ones once per whole frame and caches them (training/features.py), and the
learned heads see the person prior and the warped previous alpha beside the trunk's features at every
scale (the skips, and Fea_t through the 1x1 context conv). The prior therefore never has to pass through
the pretrained stem, where v4 had to retrain the whole trunk at lr 1e-3 (its features drifted 50x).

The trunk is split where the cache cuts it: `early` (stem to 1/4, cheap: recomputed on every training
crop) and `late` (1/4 to 1/16, cached at whole frames as fp16).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cmn_vfx.model.efficientnet_lite import CHANNELS, EfficientNetLite0, load_lite_weights
from cmn_vfx.model.encoder import LITE_MEAN, LITE_STD, conv_relu

GUIDES = 2          # person prior, warped previous alpha (0..1 each)
EARLY_BLOCKS = 3    # blocks 0..2: features at 1/2 (after block 0) and 1/4 (after block 2)


class FrozenTrunkEncoder(nn.Module):
    """x [B,5,H,W] = RGB 0..1 sRGB, person prior 0..1, warped previous alpha 0..1; H, W multiples of 16.

    Returns Fea_t [B,context,H/16,W/16] and skips [s1, s2, s4, s8], each [B,width,H/k,W/k] (Encoder's contract).
    `late` [f8, f16] may be given (the cached trunk features of these pixels) to skip the trunk's deep part.
    """

    def __init__(self, width: int, context: int, pretrained: str | None = None) -> None:
        super().__init__()
        self.trunk = EfficientNetLite0()
        if pretrained:
            load_lite_weights(self.trunk, pretrained)
        self.trunk.requires_grad_(False)
        c2, c4, c8, c16 = CHANNELS
        self.skips = nn.ModuleList([conv_relu(3 + GUIDES, width), conv_relu(c2 + GUIDES, width),
                                    conv_relu(c4 + GUIDES, width), conv_relu(c8 + GUIDES, width)])
        self.context = nn.Sequential(nn.Conv2d(c16 + GUIDES, context, 1), nn.ReLU(inplace=True))
        self.register_buffer("mean", torch.tensor(LITE_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(LITE_STD).view(1, 3, 1, 1), persistent=False)

    def normalise(self, rgb: torch.Tensor) -> torch.Tensor:
        """rgb [B,3,H,W] 0..1 sRGB -> the trunk's input, Lite's (x*255 - 127) / 128."""
        return (rgb - self.mean) / self.std

    def early(self, rgb: torch.Tensor, normalised: bool = False) -> list[torch.Tensor]:
        """rgb [B,3,H,W] 0..1 sRGB (or already `normalise`d) -> [f2, f4] (16 and 24 channels)."""
        x = F.relu6(self.trunk._bn0(self.trunk._conv_stem(rgb if normalised else self.normalise(rgb))))
        out = []
        for block in self.trunk._blocks[:EARLY_BLOCKS]:
            x = block(x)
            out.append(x)
        return [out[0], out[2]]

    def late(self, f4: torch.Tensor) -> list[torch.Tensor]:
        """f4 [B,24,H/4,W/4] -> [f8, f16] (40 and 320 channels): what training caches."""
        out = []
        x = f4
        for i, block in enumerate(self.trunk._blocks[EARLY_BLOCKS:], EARLY_BLOCKS):
            x = block(x)
            if i in (4, len(self.trunk._blocks) - 1):
                out.append(x)
        return out

    @torch.no_grad()
    def cached_features(self, rgb: torch.Tensor) -> list[torch.Tensor]:
        """rgb [B,3,H,W] 0..1 sRGB (H, W multiples of 16) -> [f8, f16]: what training and teach compute once
        per whole frame and pass to forward() as `late`."""
        return self.late(self.early(rgb)[1])

    def forward(self, x: torch.Tensor, late: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        rgb, guide = self.normalise(x[:, :3]), x[:, 3:] * 2 - 1
        with torch.no_grad():
            f2, f4 = self.early(rgb, normalised=True)
            f8, f16 = self.late(f4) if late is None else late
        feats = (rgb, f2, f4, f8)
        skips = [conv(torch.cat([f, _pool(guide, f)], 1)) for conv, f in zip(self.skips, feats)]
        return self.context(torch.cat([f16, _pool(guide, f16)], 1)), skips

    def train(self, mode: bool = True) -> "FrozenTrunkEncoder":
        super().train(mode)
        self.trunk.eval()          # the statistics stay ImageNet's
        return self


def _pool(guide: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The guidance at like's grid (an area mean: sizes are multiples of 16, so an exact 2^k pooling)."""
    k = guide.shape[-1] // like.shape[-1]
    return guide if k == 1 else F.avg_pool2d(guide, k)
