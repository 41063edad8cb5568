"""The network made ready for inference: batch norm folded into convolutions, channels-last on the CPU.

A frozen BatchNorm after a convolution is an affine map per channel, so it can be folded into
the convolution's weights and bias: conv(x) * s + t == conv'(x). The network then runs one op
where it ran two (48 of them in the EfficientNet-Lite0 trunk, 52 in MobileNetV2's); outputs
agree to float rounding (tests/model/test_fold.py). Training never folds: batch norm stays a
module there, frozen as the paper says, and checkpoints keep it (state_check.identity_batchnorms
reads them).

Channels-last (NHWC) memory lets oneDNN run the depthwise and 3x3 convolutions without
reordering: measured at 512x288 on 1 thread with the v4 architecture, a network step went
365 -> 345 ms (folding) -> 282 ms (and channels-last); max |alpha diff| 6e-8 (docs/benchmarks.md).
"""
from __future__ import annotations

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from cmn_vfx.model.efficientnet_lite import EfficientNetLite0, MBConv

# (conv, bn) attribute pairs of the EfficientNet-Lite modules, which call them in forward()
_LITE_PAIRS = {MBConv: (("_expand_conv", "_bn0"), ("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2")),
               EfficientNetLite0: (("_conv_stem", "_bn0"),)}


def fold_batchnorms(model: nn.Module) -> int:
    """Fold every BatchNorm that directly follows a Conv2d into it (model in eval mode); returns how many.

    Covers nn.Sequential chains (torchvision's MobileNetV2 and ResNet stems, conv -> bn -> act),
    ResNet blocks (conv1/bn1 ...) and the EfficientNet-Lite blocks; the folded BatchNorm becomes
    nn.Identity. BatchNorms that follow anything else are left alone.
    """
    if model.training:
        raise ValueError("fold_batchnorms: put the model in eval mode first (running statistics are folded)")
    folded = 0
    for module in list(model.modules()):
        pairs = list(_LITE_PAIRS.get(type(module), ()))
        pairs += [(f"conv{i}", f"bn{i}") for i in (1, 2, 3)]  # torchvision ResNet blocks and stem
        for conv_name, bn_name in pairs:
            conv, bn = getattr(module, conv_name, None), getattr(module, bn_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(module, conv_name, fuse_conv_bn_eval(conv, bn))
                setattr(module, bn_name, nn.Identity())
                folded += 1
        if isinstance(module, nn.Sequential):
            children = list(module.named_children())
            for (cname, conv), (bname, bn) in zip(children, children[1:]):
                if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                    setattr(module, cname, fuse_conv_bn_eval(conv, bn))
                    setattr(module, bname, nn.Identity())
                    folded += 1
    return folded


def prepare_for_inference(model: nn.Module, device: "torch.device | str" = "cpu") -> nn.Module:
    """eval(), batch norms folded, and on the CPU channels-last weights and inputs; returns the model."""
    import torch

    model.eval()
    fold_batchnorms(model)
    if torch.device(device).type == "cpu":
        model.to(memory_format=torch.channels_last)
        model.channels_last = True
    return model
