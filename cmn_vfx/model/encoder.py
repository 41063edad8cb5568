"""Feature extraction g_encoder (paper eq. 2): torchvision backbones at output stride 16.

The encoder returns the context feature Fea_t at 1/16 (reduced to `context` channels by a
1x1 conv) and the decoder skips at 1/1 (the image), 1/2, 1/4 and 1/8, each mapped to
`width` channels by a 3x3 conv. Input normalisation (ImageNet mean/std) happens here, so
callers pass 0..1 sRGB.
"""
from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

from cmn_vfx.errors import BadInputError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LITE_MEAN, LITE_STD = (127.0 / 255.0,) * 3, (128.0 / 255.0,) * 3   # EfficientNet-Lite: (x*255 - 127) / 128


def conv_relu(cin: int, cout: int, kernel: int | tuple[int, int] = 3) -> nn.Sequential:
    """Conv (same padding) + ReLU: the building block of skips, decoders and the operator."""
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=(k[0] // 2, k[1] // 2)), nn.ReLU(inplace=True))


def load_torchvision_weights(net: nn.Module, path: str) -> None:
    """Load a torchvision-format ImageNet state dict file into `net` (strict)."""
    if not os.path.isfile(path):
        raise BadInputError(f"pretrained: {path} does not exist; give the path of a torchvision .pth file or leave it empty")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise BadInputError(f"pretrained: {path} is not a readable torch state dict ({type(exc).__name__}); re-download it") from exc
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1:2] or [str(exc)]
        raise BadInputError(f"pretrained: {path} does not fit {type(net).__name__} ({first[0].strip()}); use the matching torchvision weights") from exc


def widen_first_conv(conv: nn.Conv2d, in_channels: int) -> nn.Conv2d:
    """Copy of `conv` taking `in_channels` inputs; the extra inputs' weights start at zero
    so a 3-channel pretrained encoder behaves exactly as before until training moves them."""
    new = type(conv)(in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                     conv.dilation, conv.groups, conv.bias is not None)
    with torch.no_grad():
        new.weight.zero_()
        new.weight[:, : conv.in_channels] = conv.weight
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    return new


def dilate(stage: nn.Module) -> None:
    """Turn a stride-2 stage into stride 1 + dilation 2 (keeps the receptive field, OS 32 -> 16)."""
    for m in stage.modules():
        if isinstance(m, nn.Conv2d) and m.stride == (2, 2):
            m.stride = (1, 1)
        if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3):
            m.dilation, m.padding = (2, 2), (2, 2)


class Backbone(nn.Module):
    """torchvision trunk split into stages: returns features at 1/2, 1/4, 1/8 and 1/16."""

    def __init__(self, name: str, in_channels: int, pretrained: str | None) -> None:
        super().__init__()
        if name == "efficientnet_lite0":
            from cmn_vfx.model.efficientnet_lite import CHANNELS, EfficientNetLite0, load_lite_weights
            lite = EfficientNetLite0()
            if pretrained:
                load_lite_weights(lite, pretrained)
            if in_channels != 3:
                lite._conv_stem = widen_first_conv(lite._conv_stem, in_channels)
            self.stages = nn.ModuleList([lite])      # one stage returning the four features
            self.channels = CHANNELS
            return
        from torchvision import models  # here, not at import: the frozen-trunk model needs only torch

        if name == "resnet50":
            net = models.resnet50(weights=None, replace_stride_with_dilation=[False, False, True])
        elif name == "resnet18":
            net = models.resnet18(weights=None)
        else:
            net = models.mobilenet_v2(weights=None)
        if pretrained:
            load_torchvision_weights(net, pretrained)
        if name.startswith("resnet"):
            if name == "resnet18":
                dilate(net.layer4)
            if in_channels != 3:
                net.conv1 = widen_first_conv(net.conv1, in_channels)
            self.stages = nn.ModuleList([
                nn.Sequential(net.conv1, net.bn1, net.relu),
                nn.Sequential(net.maxpool, net.layer1),
                net.layer2,
                nn.Sequential(net.layer3, net.layer4),
            ])
            self.channels = (64, _out(net.layer1), _out(net.layer2), _out(net.layer4))
        else:
            feats = net.features
            dilate(feats[14:18])
            if in_channels != 3:
                feats[0][0] = widen_first_conv(feats[0][0], in_channels)
            self.stages = nn.ModuleList([feats[0:2], feats[2:4], feats[4:7], feats[7:18]])
            self.channels = (16, 24, 32, 320)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if len(self.stages) == 1:
            return self.stages[0](x)
        out = []
        for stage in self.stages:
            x = stage(x)
            out.append(x)
        return out


def _out(layer: nn.Sequential) -> int:
    """Output channels of a torchvision ResNet stage."""
    block = layer[-1]
    return (block.conv3 if hasattr(block, "conv3") else block.conv2).out_channels


class Encoder(nn.Module):
    """g_encoder: src (+prior) -> (Fea_t, skips).

    Input x: [B,3|4,H,W], RGB float 0..1 sRGB (+ person prior 0..1), H and W multiples of 16.
    Returns fea [B,context,H/16,W/16] and skips [s1, s2, s4, s8], each [B,width,H/k,W/k].
    """

    def __init__(self, name: str, in_channels: int, width: int, context: int, pretrained: str | None = None,
                 context_norm: bool = False) -> None:
        super().__init__()
        self.backbone = Backbone(name, in_channels, pretrained)
        c2, c4, c8, c16 = self.backbone.channels
        self.skips = nn.ModuleList([conv_relu(in_channels, width), conv_relu(c2, width),
                                    conv_relu(c4, width), conv_relu(c8, width)])
        norm = [nn.GroupNorm(8 if context % 8 == 0 else 1, context)] if context_norm else []
        self.context = nn.Sequential(nn.Conv2d(c16, context, 1), *norm, nn.ReLU(inplace=True))
        mean, std = (IMAGENET_MEAN, IMAGENET_STD) if not name.startswith("efficientnet_lite") else (LITE_MEAN, LITE_STD)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise RGB as the backbone was trained (ImageNet mean/std; Lite: (x*255 - 127) / 128);
        the prior channel (if any) goes from 0..1 to -1..1."""
        rgb = (x[:, :3] - self.mean) / self.std
        return torch.cat([rgb, x[:, 3:] * 2 - 1], 1) if x.shape[1] > 3 else rgb

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = self.normalise(x)
        f2, f4, f8, f16 = self.backbone(x)
        skips = [conv(f) for conv, f in zip(self.skips, (x, f2, f4, f8))]
        return self.context(f16), skips
