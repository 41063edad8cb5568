"""context_norm keeps the GRU's gates working when the trunk's features grow (the v4 stage-1 failure)."""
import torch

from cmn_vfx.model import ModelConfig, build_model


def _gate_saturation(context_norm: bool, scale: float) -> float:
    torch.manual_seed(0)
    model = build_model(ModelConfig(encoder="mobilenetv2", flow="dis", dis_preset="ultrafast", width=8, context=16,
                                    context_norm=context_norm), load_weights=False).eval()
    with torch.no_grad():
        model.encoder.context[0].weight *= scale  # features 'grown' by training
        model.encoder.context[0].bias *= scale
    gates = {}
    model.operator.gru.horizontal.convz.register_forward_hook(lambda m, i, o: gates.__setitem__("z", torch.sigmoid(o)))
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        _, _, state = model(x)
        model(x, x, state)
    z = gates["z"]
    return float(((z > 0.99) | (z < 0.01)).float().mean())


def test_without_the_norm_large_features_pin_the_gates_and_with_it_they_do_not():
    assert _gate_saturation(False, 1.0) < 0.05
    assert _gate_saturation(False, 3000.0) > 0.5
    assert _gate_saturation(True, 3000.0) < 0.05


def test_old_configs_build_without_the_norm():
    model = build_model(ModelConfig.from_dict({"encoder": "mobilenetv2", "flow": "dis", "width": 8, "context": 16}),
                        load_weights=False)
    assert len(model.encoder.context) == 2 and not model.config.context_norm


def test_a_model_with_the_norm_starts_from_a_checkpoint_without_it(tmp_path):
    from cmn_vfx.model import save_checkpoint
    from cmn_vfx_training.loop import init_weights

    config = {"encoder": "mobilenetv2", "flow": "dis", "width": 8, "context": 16}
    torch.manual_seed(0)
    source = build_model(ModelConfig.from_dict(config), load_weights=False)
    save_checkpoint(str(tmp_path / "s1.pt"), source, {})
    target = build_model(ModelConfig.from_dict(dict(config, context_norm=True)), load_weights=False)
    init_weights(target, str(tmp_path / "s1.pt"))
    assert torch.equal(target.encoder.context[0].weight, source.encoder.context[0].weight)
    assert torch.equal(target.decoder_pha.last[-1].weight, source.decoder_pha.last[-1].weight)
    assert torch.equal(target.encoder.context[1].weight, torch.ones(16))
    assert torch.equal(target.encoder.context[1].bias, torch.zeros(16))
