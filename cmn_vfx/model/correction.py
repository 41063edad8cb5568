"""A shot's correction net (`cmn-matte teach --method correct`, docs/teach.md): a small U-Net, trained from
scratch on the shot's keys (cmn_vfx.teach.correct), that corrects the working-size alpha.

    net = CorrectionNet(width=16, levels=5, max_channels=64, mode="both")
    pha = corrected(net, src, pha_in)           # exactly pha_in while the residual is zero

Input per pixel: the frame (sRGB RGB 0..1 at the working size), the alpha and its edge band (1 within EDGE_PX of
the alpha's 0.5 contour). Output: sigmoid(logit(pha) + residual), written as
pha + (sigmoid(logit(pha) + residual) - sigmoid(logit(pha))) so that a zero residual gives pha back bit for bit,
and in mode 'both' a second residual added in alpha itself (corrected()); the residual's last conv starts at zero,
so an untrained net changes nothing. The logit is log(p) - log(1 - p) and the band a max pool, so it exports to
ONNX and OpenVINO (cmn_vfx.model.onnx_export).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EDGE_PX = 3          # the alpha's edge band: pixels within this many of its 0.5 contour
LOGIT_EPS = 1e-4     # alpha clamped to [eps, 1-eps] before its logit
SLOPE = 0.1          # the negative slope of the activations of a net taught now (CorrectionNet: why not ReLU)


def _act(slope: float) -> nn.Module:
    return nn.LeakyReLU(slope, inplace=True) if slope else nn.ReLU(inplace=True)


def _block(cin: int, cout: int, slope: float) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), _act(slope),
                         nn.Conv2d(cout, cout, 3, padding=1), _act(slope))


class CorrectionNet(nn.Module):
    """A U-Net of `levels` levels (the full-resolution one included; channels min(width * 2**i, max_channels) at
    level i: width 16, levels 3 is 16-32-64, about 118k parameters; levels 5 with max_channels 64 is
    16-32-64-64-64, about 488k) from [B,5,H,W] (sRGB RGB 0..1, alpha 0..1, edge band 0/1; H and W multiples of
    2**(levels-1)) to the residual [B,R,H,W]: R 1, the logit's, in mode 'logit'; R 2, the logit's and the
    alpha's, in mode 'both' (corrected()). The last conv starts at zero, the others He-initialised (normal, fan-in)
    with zero biases; activations LeakyReLU(slope) (slope 0: ReLU, as the nets taught before SLOPE).

    Why both: the teach 'stalled' (learnt nothing in thousands of iterations) when a block of ReLUs died. With
    torch's default init (uniform, a third of He's variance, biases up to 1/sqrt(fan-in)) the activations shrank
    tenfold over the net (std 0.14 -> 0.01 on two_a), 30-50% of the deeper blocks' channels were dead on a frame
    before any step, and seeds whose last block started mostly dead never learnt (two_a seed 3, dark_b seed 0). He
    init fixed those, but a step could still kill all 16 channels of the last block (two_a with carried keys,
    between iterations 100 and 150; the net was the base's from then on); a leaky slope keeps a gradient through
    every unit (docs/teach.md, "The stalls: initialisation and dead units")."""

    def __init__(self, width: int = 16, levels: int = 3, max_channels: int | None = None, mode: str = "logit",
                 slope: float = 0.0) -> None:
        super().__init__()
        self.width, self.levels, self.max_channels, self.mode, self.slope = width, levels, max_channels, mode, slope
        chans = [min(width * 2 ** i, max_channels or width * 2 ** i) for i in range(levels)]
        self.down = nn.ModuleList([_block(5, chans[0], slope)]
                                  + [_block(chans[i - 1], chans[i], slope) for i in range(1, levels)])
        self.up = nn.ModuleList([_block(chans[i + 1] + chans[i], chans[i], slope) for i in range(levels - 1)])
        self.head = nn.Conv2d(width, 2 if mode == "both" else 1, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=slope, nonlinearity="leaky_relu")
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @property
    def config(self) -> dict:
        """ModelConfig.correction for this net: CorrectionNet(**config) builds it again."""
        return {"width": self.width, "levels": self.levels, "max_channels": self.max_channels, "mode": self.mode,
                **({"slope": self.slope} if self.slope else {})}

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
    """The corrected alpha [B,1,H,W] 0..1 from src [B,3,H,W] sRGB 0..1 and the alpha pha [B,1,H,W] 0..1 (any H, W:
    edge-padded inside to a multiple of net.multiple); exactly pha where the residual is zero.

    Mode 'logit': sigmoid(logit(pha) + r). Mode 'both': that plus a residual in alpha itself, clamped to 0..1
    (with a straight-through gradient while training). The logit alone cannot undo a confident mistake: where the
    alpha is 0 or 1 its sigmoid's gradient vanishes, and on small_b (a person and a tower both matted) the logit
    net learnt an empty matte (0.67x the automatic error; 'both': 0.03x)."""
    h, w = pha.shape[-2:]
    pad = (0, -w % net.multiple, 0, -h % net.multiple)
    x = torch.cat([src, pha, edge_band(pha)], 1)
    if any(pad):        # never inside CMN, whose frames are padded to 16
        x = F.pad(x, pad, mode="replicate")
    residual = net(x)[..., :h, :w] if any(pad) else net(x)
    p = pha.clamp(LOGIT_EPS, 1 - LOGIT_EPS)
    logit = torch.log(p) - torch.log(1 - p)     # torch.logit has no ONNX export
    out = pha + (torch.sigmoid(logit + residual[:, :1]) - torch.sigmoid(logit))
    if net.mode != "both":
        return out
    out = out + residual[:, 1:2]
    if net.training:        # clamped forward, identity backward: a pixel pushed past 1 still learns
        return out + (out.clamp(0, 1) - out).detach()
    return out.clamp(0, 1)
