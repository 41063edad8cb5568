"""Context-motion updating operator (paper eqs. 4-12) and the ConvGRU-only ablation.

Shapes at feature resolution (1/16 of the padded frame, h x w):
    fea, fea_prev: [B,C,h,w] context features (C = config.context), flow: [B,2,h,w] in pixels
    of the feature grid, H: [B,C,h,w] the GRU hidden state (same channel count as Fea_t).
"""
from __future__ import annotations

import torch
from torch import nn

from cmn_vfx.model.backwarp import backwarp
from cmn_vfx.model.encoder import conv_relu

CORR = 32         # g_corr channels (paper)
FLOW_ENC = 32     # g_flow_encode channels (paper)
MOTION = 62       # g_motion channels (paper: 62, so [M_t, f] has 64 channels)


class ConvGRU(nn.Module):
    """One ConvGRU whose gates are `kernel` convolutions (eqs. 9-12): z, r sigmoid; q tanh."""

    def __init__(self, hidden: int, inputs: int, kernel: tuple[int, int]) -> None:
        super().__init__()
        pad = (kernel[0] // 2, kernel[1] // 2)
        self.convz = nn.Conv2d(hidden + inputs, hidden, kernel, padding=pad)
        self.convr = nn.Conv2d(hidden + inputs, hidden, kernel, padding=pad)
        self.convq = nn.Conv2d(hidden + inputs, hidden, kernel, padding=pad)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        hx = torch.cat([h, x], 1)
        z = torch.sigmoid(self.convz(hx))
        r = torch.sigmoid(self.convr(hx))
        q = torch.tanh(self.convq(torch.cat([r * h, x], 1)))
        return (1 - z) * h + z * q


class SepConvGRU(nn.Module):
    """Two ConvGRUs, 1x5 then 5x1: a 5x5 receptive field at the cost of two thin kernels."""

    def __init__(self, hidden: int, inputs: int) -> None:
        super().__init__()
        self.horizontal = ConvGRU(hidden, inputs, (1, 5))
        self.vertical = ConvGRU(hidden, inputs, (5, 1))

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.vertical(self.horizontal(h, x), x)


class MotionEncoder(nn.Module):
    """M_t = g_motion([g_corr([Fea_t, B_t-1]), g_flow_encode(f)]) (eqs. 5-7)."""

    def __init__(self, context: int) -> None:
        super().__init__()
        self.corr = nn.Sequential(conv_relu(2 * context, CORR), conv_relu(CORR, CORR))
        self.flow_encode = nn.Sequential(conv_relu(2, FLOW_ENC, 7), conv_relu(FLOW_ENC, FLOW_ENC, 7))
        self.motion = conv_relu(CORR + FLOW_ENC, MOTION)

    def forward(self, fea: torch.Tensor, warped: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        c = self.corr(torch.cat([fea, warped], 1))
        flo = self.flow_encode(flow)
        return self.motion(torch.cat([c, flo], 1))


class ContextMotionOperator(nn.Module):
    """The full operator: backwarp, motion features, Fus_t = [Fea_t, M_t, f], SepConvGRU -> H_t."""

    def __init__(self, context: int) -> None:
        super().__init__()
        self.motion = MotionEncoder(context)
        self.gru = SepConvGRU(context, context + MOTION + 2)

    def forward(self, h: torch.Tensor, fea: torch.Tensor, fea_prev: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        warped, _ = backwarp(fea_prev, flow)
        motion = self.motion(fea, warped, flow)
        fus = torch.cat([fea, motion, flow], 1)
        return self.gru(h, fus)


class ConvGRUOperator(nn.Module):
    """The '+ConvGRU' ablation: the SepConvGRU over Fea_t alone (no flow, no motion)."""

    def __init__(self, context: int) -> None:
        super().__init__()
        self.gru = SepConvGRU(context, context)

    def forward(self, h: torch.Tensor, fea: torch.Tensor) -> torch.Tensor:
        return self.gru(h, fea)
