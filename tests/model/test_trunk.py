"""The v5 layout (cmn_vfx/model/trunk.py, band_decoder.py): a frozen RGB-only trunk with the guidance
joined after it, and a full-resolution alpha stage that acts only in the coarse alpha's edge band."""
import numpy as np
import pytest
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.model import ModelConfig, build_model
from cmn_vfx.model.band_decoder import band
from tests.model.conftest import tiny

V5 = dict(encoder="efficientnet_lite0", flow="dis", dis_preset="ultrafast", prior="person", prior_residual=True,
          prev_alpha=True, frozen_trunk=True, band_refine=True)


def v5(**kw):
    torch.manual_seed(0)
    return build_model(tiny(**dict(V5, **kw)), load_weights=False)


def _clip(t=3, h=48, w=80):
    g = torch.Generator().manual_seed(1)
    src = torch.rand(1, t, 3, h, w, generator=g)
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    prior = torch.stack([((ys - h / 2) ** 2 + (xs - 30 - 4 * i) ** 2 < 150).float() for i in range(t)])[None, :, None]
    return src, prior


def test_untrained_returns_the_prior_on_every_frame():
    model = v5().eval()
    src, prior = _clip()
    with torch.no_grad():
        pha, fgr, _ = model.forward_clip(src, prior)
    assert fgr is None                       # v5 has no fg decoder (the engine estimates the colour)
    assert torch.equal(pha, prior)


def test_trunk_is_frozen_and_keeps_imagenet_statistics():
    model = v5().train()
    stats = {k: v.clone() for k, v in model.encoder.trunk.state_dict().items()}
    src, prior = _clip()
    pha, _, _ = model.forward_clip(src, prior)
    (pha - 0.5).abs().mean().backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and not any(n.startswith("encoder.trunk.") for n in trainable)
    assert all(p.grad is None for p in model.encoder.trunk.parameters())
    assert all(torch.equal(v, model.encoder.trunk.state_dict()[k]) for k, v in stats.items())   # BN stats too
    assert sum(p.numel() for n, p in model.named_parameters() if n in trainable) < 0.2 * sum(
        p.numel() for p in model.parameters())


def test_cached_late_features_give_the_same_alpha():
    model = v5().eval()
    with torch.no_grad():
        for p in model.decoder_pha.parameters():
            p.add_(0.05 * torch.randn_like(p))
    src, prior = _clip(t=2)
    enc = model.encoder
    with torch.no_grad():
        late = [enc.cached_features(src[:, t]) for t in range(2)]
        a0, _, s0 = model(src[:, 0], None, None, prior[:, 0])
        b0, _, s1 = model(src[:, 0], None, None, prior[:, 0], late=late[0])
        flow = model.flow(src[:, 1], src[:, 0])
        a1, _, _ = model(src[:, 1], src[:, 0], s0, prior[:, 1])
        b1, _, _ = model(src[:, 1], src[:, 0], s1, prior[:, 1], flow=flow, late=late[1])
        c1, _, _ = model(src[:, 1], src[:, 0], s1, prior[:, 1], flow=flow + 3.0, late=late[1])
    assert torch.equal(a0, b0) and torch.allclose(a1, b1, atol=1e-6)
    assert not torch.allclose(b1, c1, atol=1e-4)             # the given flow is the one used
    assert float((a1 - prior[:, 1]).abs().max()) > 1e-3      # the heads did something to compare


def test_the_full_resolution_stage_changes_only_the_edge_band():
    model = v5().eval()
    src, prior = _clip(t=1)
    soft = torch.nn.functional.avg_pool2d(prior[:, 0], 5, 1, 2)        # a prior with a soft edge
    with torch.no_grad():
        before, _, _ = model(src[:, 0], None, None, soft)
        model.decoder_pha.fine[-1].bias.fill_(-0.3)
        after, _, _ = model(src[:, 0], None, None, soft)
    changed = (after - before).abs() > 1e-6
    gate = band(before) > 0
    assert changed.any() and gate.float().mean() < 0.5
    assert not (changed & ~gate).any()


def test_config_refuses_a_frozen_trunk_without_its_inputs():
    with pytest.raises(BadInputError, match="frozen_trunk needs"):
        tiny(**dict(V5, prev_alpha=False))
    with pytest.raises(BadInputError, match="band_refine needs"):
        tiny(**dict(V5, prior_residual=False))


@pytest.mark.parametrize("executor", ["onnx", "openvino"])
def test_onnx_export_equals_torch(executor, tmp_path):
    from cmn_vfx.model.onnx_export import export_onnx
    from cmn_vfx.engine.onnx_backend import OnnxNetwork

    def perturbed():
        model = v5().eval()
        with torch.no_grad():
            g = torch.Generator().manual_seed(5)
            for name, p in model.named_parameters():
                if p.requires_grad:
                    p.add_(0.1 * torch.randn(p.shape, generator=g))
        return model

    path = str(tmp_path / "v5.onnx")
    export_onnx(perturbed(), {"name": "tiny-v5", "sha256": "abc"}, path, size=(48, 64))
    model, net = perturbed(), OnnxNetwork(path, threads=1, executor=executor)
    src, prior = _clip(t=3, h=37, w=75)
    state_t = state_o = prev = None
    for t in range(3):
        frame, p = src[0, t].permute(1, 2, 0).numpy(), prior[0, t, 0].numpy()
        with torch.no_grad():
            pha_t, _, state_t = model(src[:, t], None if prev is None else src[:, t - 1], state_t, prior[:, t])
        pha_o, _, state_o = net.step(np.ascontiguousarray(frame), prev, state_o, np.ascontiguousarray(p))
        np.testing.assert_allclose(pha_o, pha_t[0, 0].numpy(), atol=3e-5)
        prev = np.ascontiguousarray(frame)
    assert float((pha_t - prior[:, 2]).abs().max()) > 1e-3


def test_the_clamp_passes_only_gradients_that_bring_alpha_back_into_range():
    from cmn_vfx.model.band_decoder import clamp_straight

    x = torch.tensor([-0.5, 0.5, 1.5, -0.5, 1.5], requires_grad=True)
    y = clamp_straight(x)
    assert torch.equal(y.detach(), torch.tensor([0.0, 0.5, 1.0, 0.0, 1.0]))
    y.backward(torch.tensor([-1.0, 1.0, 1.0, 1.0, -1.0]))    # descent moves x by -grad
    # inward: -0.5 pushed up, 0.5 in range, 1.5 pushed down; outward: -0.5 pushed down, 1.5 pushed up
    assert x.grad.tolist() == [-1.0, 1.0, 1.0, 0.0, 0.0]
    with torch.no_grad():
        assert torch.equal(clamp_straight(x), y.detach())
