"""Batch norm folded into convolutions for inference: same outputs, no BatchNorm left in the encoder."""
import pytest
import torch
from torch import nn

from cmn_vfx.model import ModelConfig, build_model
from cmn_vfx.model.fold import fold_batchnorms, prepare_for_inference


def _random_statistics(model: nn.Module) -> None:
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=g) * 0.3)
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=g) * 0.2)


@pytest.mark.parametrize("encoder", ["mobilenetv2", "resnet18", "efficientnet_lite0"])
def test_folding_keeps_the_outputs_and_removes_every_encoder_batchnorm(encoder):
    torch.manual_seed(0)
    model = build_model(ModelConfig(encoder=encoder, flow="dis", dis_preset="ultrafast", prior="person",
                                    width=8, context=16), load_weights=False)
    _random_statistics(model)
    model.eval()
    src, prior = torch.rand(1, 3, 64, 96), torch.rand(1, 1, 64, 96)
    with torch.no_grad():
        pha0, fgr0, state = model(src, None, None, prior)
        pha1, fgr1, _ = model(src, src, state, prior)
        count = fold_batchnorms(model)
        assert count > 0
        assert not any(isinstance(m, nn.BatchNorm2d) for m in model.encoder.modules())
        qha0, ggr0, state = model(src, None, None, prior)
        qha1, ggr1, _ = model(src, src, state, prior)
    for a, b in ((pha0, qha0), (fgr0, ggr0), (pha1, qha1), (fgr1, ggr1)):
        assert (a - b).abs().max() < 1e-4


def test_folding_a_training_model_is_refused():
    model = build_model(ModelConfig(encoder="mobilenetv2", flow="dis", width=8, context=16), load_weights=False)
    with pytest.raises(ValueError, match="eval mode"):
        fold_batchnorms(model.train())


def test_a_prepared_model_runs_channels_last_with_the_same_alpha():
    torch.manual_seed(1)
    config = ModelConfig(encoder="efficientnet_lite0", flow="dis", dis_preset="ultrafast", prior="person",
                         prior_residual=True, width=8, context=16)
    plain = build_model(config, load_weights=False)
    _random_statistics(plain)
    nn.init.normal_(plain.decoder_pha.last[-1].weight, std=0.1)  # a residual head that is not zero
    prepared = build_model(config, load_weights=False)
    prepared.load_state_dict(plain.state_dict())
    plain.eval()
    prepare_for_inference(prepared, "cpu")
    assert prepared.channels_last and not prepared.training
    frames = [torch.rand(1, 3, 48, 80) for _ in range(3)]
    prior = torch.rand(1, 1, 48, 80)
    with torch.no_grad():
        a, _, sa = plain(frames[0], None, None, prior)
        b, _, sb = prepared(frames[0], None, None, prior)
        for prev, cur in zip(frames, frames[1:]):
            a, fa, sa = plain(cur, prev, sa, prior)
            b, fb, sb = prepared(cur, prev, sb, prior)
    assert b.shape == a.shape and (a - b).abs().max() < 1e-4 and (fa - fb).abs().max() < 1e-4
    assert sb[0].is_contiguous(memory_format=torch.channels_last)
