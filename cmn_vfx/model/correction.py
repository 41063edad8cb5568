"""A shot's correction net (`cmn-matte teach --method correct`, docs/teach.md): a small U-Net, trained from
scratch on the shot's keys (cmn_vfx.teach.correct), that corrects the network's alpha in logit space.

    net = CorrectionNet(width=16, levels=3)
    pha = corrected(net, src, pha_raw)          # exactly pha_raw while the residual is zero

Input per pixel: the frame (sRGB RGB 0..1 at the working size), the network's alpha and its edge band (1 within
EDGE_PX of the alpha's 0.5 contour). Output: sigmoid(logit(pha) + residual), written as
pha + (sigmoid(logit(pha) + residual) - sigmoid(logit(pha))) so that a zero residual gives pha back bit for bit;
the residual's last conv starts at zero, so an untrained net changes nothing. CMN.forward applies it after the
alpha decoder (cmn_vfx.model.cmn); the logit is log(p) - log(1 - p) and the band a max pool, so it exports to
ONNX and OpenVINO with the step (cmn_vfx.model.onnx_export).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EDGE_PX = 3          # the alpha's edge band: pixels within this many of its 0.5 contour
LOGIT_EPS = 1e-4     # alpha clamped to [eps, 1-eps] before its logit


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class CorrectionNet(nn.Module):
    """A U-Net of `levels` levels (the full-resolution one included; channels width * 2**i at level i: width 16,
    levels 3 is 16-32-64, about 118k parameters) from [B,5,H,W] (sRGB RGB 0..1, alpha 0..1, edge band 0/1; H and
    W multiples of 2**(levels-1)) to a logit residual [B,1,H,W]. The last conv starts at zero."""

    def __init__(self, width: int = 16, levels: int = 3) -> None:
        super().__init__()
        self.width, self.levels = width, levels
        chans = [width * 2 ** i for i in range(levels)]
        self.down = nn.ModuleList([_block(5, chans[0])] + [_block(chans[i - 1], chans[i]) for i in range(1, levels)])
        self.up = nn.ModuleList([_block(chans[i + 1] + chans[i], chans[i]) for i in range(levels - 1)])
        self.head = nn.Conv2d(width, 1, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @property
    def multiple(self) -> int:
        """The input's sides must be multiples of this."""
        return 2 ** (self.levels - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for block in reversed(self.up):
            x = block(torch.cat([F.interpolate(x, scale_factor=2.0), skips.pop()], 1))
        return self.head(x)


def edge_band(pha: torch.Tensor) -> torch.Tensor:
    """[B,1,H,W] 0/1: pixels within EDGE_PX of the 0.5 contour of pha [B,1,H,W] 0..1 (a square window)."""
    person = (pha > 0.5).float()
    k = 2 * EDGE_PX + 1
    grown = F.max_pool2d(person, k, 1, EDGE_PX)
    shrunk = -F.max_pool2d(-person, k, 1, EDGE_PX)
    return grown - shrunk


def corrected(net: CorrectionNet, src: torch.Tensor, pha: torch.Tensor) -> torch.Tensor:
    """The corrected alpha [B,1,H,W] 0..1 from src [B,3,H,W] sRGB 0..1 and the network's alpha pha [B,1,H,W]
    0..1 (any H, W: edge-padded inside to a multiple of net.multiple); exactly pha where the residual is zero."""
    h, w = pha.shape[-2:]
    pad = (0, -w % net.multiple, 0, -h % net.multiple)
    x = torch.cat([src, pha, edge_band(pha)], 1)
    if any(pad):        # never inside CMN, whose frames are padded to 16
        x = F.pad(x, pad, mode="replicate")
    residual = net(x)[..., :h, :w] if any(pad) else net(x)
    p = pha.clamp(LOGIT_EPS, 1 - LOGIT_EPS)
    logit = torch.log(p) - torch.log(1 - p)     # torch.logit has no ONNX export
    return pha + (torch.sigmoid(logit + residual) - torch.sigmoid(logit))
