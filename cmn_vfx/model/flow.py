"""The flow provider interface and its factory.

A provider is an nn.Module called as `provider(src, prev_src) -> flow`:
    src, prev_src: [B,3,H,W] float 0..1 sRGB (the current and the previous frame), any H, W.
    flow: [B,2,H,W] float32, the backward flow f(t->t-1) in pixels (channel 0 = x, 1 = y):
          src(p) ~ prev_src(p + flow(p)).
`differentiable` says whether gradients flow through it (PWC-Net yes, DIS no).
"""
from __future__ import annotations

from torch import nn

from cmn_vfx.model.config import ModelConfig


def build_flow(config: ModelConfig, load_weights: bool = True) -> nn.Module:
    """The provider named by config.flow; loads config.flow_weights (PWC-Net port file) if set."""
    if config.flow == "dis":
        from cmn_vfx.model.dis_flow import DISFlow

        return DISFlow(config.dis_preset)
    from cmn_vfx.model.pwcnet import PWCNet
    from cmn_vfx.model.pwc_weights import load_pwc_port

    net = PWCNet(config.pwc_width, config.pwc_cost_norm)
    if load_weights and config.flow_weights:
        load_pwc_port(net, config.flow_weights)
    return net
