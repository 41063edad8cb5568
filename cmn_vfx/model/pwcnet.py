"""PWC-Net (Sun et al. 2018) in plain torch: g_flow of the paper (eq. 3).

Layout follows the common PyTorch port (sniklaus/pytorch-pwc) one-to-one so its Sintel
weights load with a key rename (cmn_vfx/model/pwc_weights.py): a 6-level feature pyramid,
coarse-to-fine decoders with a cost volume (search range 4 -> 81 channels) over the
backwarped second image, densely connected conv stacks, and a dilated context network
(the refiner). Flows inside are stored /20 (the FlowNet convention the weights expect).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cmn_vfx.model.backwarp import backwarp

SEARCH = 4
VOLUME = (2 * SEARCH + 1) ** 2  # 81
PYRAMID = (16, 32, 64, 96, 128, 196)
DENSE = (128, 128, 96, 64, 32)
REFINER = ((128, 1), (128, 2), (128, 4), (96, 8), (64, 16), (32, 1))


def lrelu() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.1, inplace=False)


def cost_volume(f1: torch.Tensor, f2: torch.Tensor) -> torch.Tensor:
    """Correlation of f1 with f2 shifted by every (dy, dx) in [-4, 4]^2, mean over channels.

    f1, f2: [B,C,H,W] -> [B,81,H,W]; channel (dy+4)*9 + (dx+4) holds mean_c f1(p) f2(p + (dx, dy)),
    zero where the shifted position leaves the frame (the port's CUDA kernel order and scale).
    """
    b, _, h, w = f1.shape
    f2p = F.pad(f2, (SEARCH,) * 4)
    span = 2 * SEARCH + 1
    rows = []
    for dy in range(span):
        band = f2p[:, :, dy:dy + h].unfold(3, w, 1)            # [B,C,h,9,w] view: the 9 x-shifts
        rows.append((f1.unsqueeze(3) * band).mean(1))           # [B,h,9,w]
    return torch.stack(rows, 1).permute(0, 1, 3, 2, 4).reshape(b, span * span, h, w)


class Extractor(nn.Module):
    """Feature pyramid: 6 levels at 1/2 .. 1/64, three 3x3 convs each (first stride 2)."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        cins = (3,) + channels[:-1]
        self.levels = nn.ModuleList([
            nn.Sequential(nn.Conv2d(ci, co, 3, 2, 1), lrelu(), nn.Conv2d(co, co, 3, 1, 1), lrelu(),
                          nn.Conv2d(co, co, 3, 1, 1), lrelu())
            for ci, co in zip(cins, channels)])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for level in self.levels:
            x = level(x)
            feats.append(x)
        return feats


class Decoder(nn.Module):
    """Flow estimator at pyramid level `level` (2..6, i.e. 1/4 .. 1/64)."""

    def __init__(self, level: int, pyramid: tuple[int, ...], dense: tuple[int, ...],
                 cost_norm: bool = False) -> None:
        super().__init__()
        self.cost_norm = cost_norm
        def inputs(lvl: int) -> int:
            return VOLUME if lvl == 6 else VOLUME + pyramid[lvl - 1] + 2 + 2
        cin = inputs(level)
        if level < 6:
            self.upflow = nn.ConvTranspose2d(2, 2, 4, 2, 1)
            self.upfeat = nn.ConvTranspose2d(inputs(level + 1) + sum(dense), 2, 4, 2, 1)
            self.warp_scale = 20.0 / 2 ** level
        self.level = level
        self.dense = nn.ModuleList()
        for cout in dense:
            self.dense.append(nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), lrelu()))
            cin += cout
        self.predict = nn.Conv2d(cin, 2, 3, 1, 1)

    def volume(self, f1: torch.Tensor, f2: torch.Tensor) -> torch.Tensor:
        """The leaky-ReLU'd cost volume [B,81,h,w]; with cost_norm the cosine of unit features.

        At random init the features are ~0.03 RMS, so the port's raw volume starts ~1e-3 and
        the decoders learn to ignore it; the cosine volume is O(1) and trains from scratch.
        """
        if self.cost_norm:
            return F.leaky_relu(cost_volume(F.normalize(f1, dim=1), F.normalize(f2, dim=1)) * f1.shape[1], 0.1)
        return F.leaky_relu(cost_volume(f1, f2), 0.1)

    def forward(self, f1: torch.Tensor, f2: torch.Tensor,
                prev: tuple[torch.Tensor, torch.Tensor] | None) -> tuple[torch.Tensor, torch.Tensor]:
        """f1, f2: level features of the two frames; prev: (flow/20, features) of the coarser level."""
        if prev is None:
            feat = self.volume(f1, f2)
        else:
            flow, feat_up = self.upflow(prev[0]), self.upfeat(prev[1])
            warped, _ = backwarp(f2, flow * self.warp_scale)
            feat = torch.cat([self.volume(f1, warped), f1, flow, feat_up], 1)
        for conv in self.dense:
            feat = torch.cat([conv(feat), feat], 1)
        return self.predict(feat), feat


class PWCNet(nn.Module):
    """Backward flow provider: forward(src, prev_src) -> flow f(t->t-1).

    src, prev_src: [B,3,H,W] float 0..1 sRGB, any H, W (padded inside to a multiple of 64 by
    edge replication, cropped back; padding keeps the pixel scale, so no flow rescale).
    Returns [B,2,H,W] float pixels (x, y): src(p) ~ prev_src(p + flow(p)). The network works
    in BGR like the port, so its Sintel weights apply unchanged. `width` scales every
    channel count (1.0 = the published network, required for the port's weights).
    `cost_norm` correlates unit-length features (cosine) instead of raw ones: use it when
    training from scratch (the raw volume starts ~1e-3 and the net learns nothing in hundreds
    of steps; tests/model/test_pwc_learns.py); keep it off for the port's Sintel weights.
    """

    differentiable = True

    def __init__(self, width: float = 1.0, cost_norm: bool = False) -> None:
        super().__init__()
        def scale(c: int) -> int:
            return max(2, int(round(c * width)))
        pyramid = tuple(scale(c) for c in PYRAMID)
        dense = tuple(scale(c) for c in DENSE)
        self.width = width
        self.extractor = Extractor(pyramid)
        self.decoders = nn.ModuleList([Decoder(level, pyramid, dense, cost_norm) for level in (2, 3, 4, 5, 6)])
        layers: list[nn.Module] = []
        cin = VOLUME + pyramid[1] + 2 + 2 + sum(dense)
        for cout, dil in REFINER:
            layers += [nn.Conv2d(cin, scale(cout), 3, 1, dil, dilation=dil), lrelu()]
            cin = scale(cout)
        layers.append(nn.Conv2d(cin, 2, 3, 1, 1))
        self.refiner = nn.Sequential(*layers)

    def forward(self, src: torch.Tensor, prev_src: torch.Tensor,
                return_pyramid: bool = False) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Flow f(t->t-1) [B,2,H,W] in pixels; with return_pyramid=True also the per-level flows.

        The pyramid is a list of 5 tensors for levels 6, 5, 4, 3, 2 (coarse to fine), each
        [B,2,Hp/2^l,Wp/2^l] for the input padded to Hp, Wp (multiples of 64), in the network's
        own units: full-resolution pixels / 20 (level 2 includes the context network). This is
        what PWC-Net's multi-scale training loss supervises (multiscale_epe below).
        """
        h, w = src.shape[-2:]
        pad = (0, (-w) % 64, 0, (-h) % 64)
        one = F.pad(src.flip(1), pad, mode="replicate")
        two = F.pad(prev_src.flip(1), pad, mode="replicate")
        feats1, feats2 = self.extractor(one), self.extractor(two)
        est = None
        pyramid: list[torch.Tensor] = []
        for decoder in reversed(self.decoders):
            est = decoder(feats1[decoder.level - 1], feats2[decoder.level - 1], est)
            pyramid.append(est[0])
        pyramid[-1] = est[0] + self.refiner(est[1])
        flow = F.interpolate(pyramid[-1] * 20.0, scale_factor=4.0, mode="bilinear", align_corners=False)
        flow = flow[:, :, :h, :w]
        return (flow, pyramid) if return_pyramid else flow


LEVEL_WEIGHTS = (0.32, 0.08, 0.02, 0.01, 0.005)  # PWC-Net's training loss, levels 6..2


def multiscale_epe(pyramid: list[torch.Tensor], flow: torch.Tensor,
                   weights: tuple[float, ...] = LEVEL_WEIGHTS) -> torch.Tensor:
    """PWC-Net's multi-scale training loss (Sun et al. 2018, eq. 2 without weight decay).

    pyramid: PWCNet(..., return_pyramid=True)[1]; flow: ground truth [B,2,H,W] in pixels at the
    input size (padded here like the images, by edge replication). The target per level is the
    flow area-averaged to that level's size and scaled by 1/20; the loss is sum_l weight_l *
    sum over pixels of the L2 end-point error, averaged over the batch. Returns a scalar.
    """
    h, w = flow.shape[-2:]
    target = F.pad(flow, (0, (-w) % 64, 0, (-h) % 64), mode="replicate") / 20.0
    loss = flow.new_zeros(())
    for est, weight in zip(pyramid, weights):
        gt = F.adaptive_avg_pool2d(target, est.shape[-2:])
        loss = loss + weight * (est - gt).norm(dim=1).sum() / flow.shape[0]
    return loss
