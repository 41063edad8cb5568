"""The CMN: shapes and ranges for every variant, the clip helper, state semantics, gradients."""
import pytest
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.model import MIN_SIZE, build_model
from tests.model.conftest import tiny

VARIANTS = [("baseline", "mobilenetv2", "pwcnet"), ("convgru", "mobilenetv2", "pwcnet"),
            ("full", "mobilenetv2", "pwcnet"), ("full", "mobilenetv2", "dis"),
            ("baseline", "resnet18", "pwcnet"), ("convgru", "resnet18", "pwcnet"), ("full", "resnet18", "dis")]
STATE_LEN = {"baseline": 0, "convgru": 1, "full": 2}


@pytest.mark.parametrize("variant,encoder,flow", VARIANTS)
def test_every_variant_shapes_and_alpha_range(variant, encoder, flow, frames):
    torch.manual_seed(0)
    model = build_model(tiny(variant=variant, encoder=encoder, flow=flow)).eval()
    with torch.no_grad():
        pha, fgr, state = model.forward_clip(frames[:, :2])
    assert pha.shape == (2, 2, 1, 67, 93) and fgr.shape == (2, 2, 3, 67, 93)
    assert 0.0 <= float(pha.min()) and float(pha.max()) <= 1.0
    assert len(state) == STATE_LEN[variant]
    assert all(s.shape[-2:] == (5, 6) for s in state)  # 67x93 padded to 80x96, /16


def test_resnet50_full_once():
    model = build_model(tiny(encoder="resnet50")).eval()
    src = torch.rand(1, 3, 40, 50)
    with torch.no_grad():
        pha, fgr, state = model(src)
        pha2, _, _ = model(src, src, state)
    assert pha.shape == (1, 1, 40, 50) and fgr.shape == (1, 3, 40, 50)
    assert 0 <= float(pha2.min()) <= float(pha2.max()) <= 1


def test_person_prior_adds_an_input_channel():
    model = build_model(tiny(prior="person")).eval()
    assert model.encoder.backbone.stages[0][0][0].in_channels == 4
    src, prior = torch.rand(1, 3, 32, 48), torch.rand(1, 1, 32, 48)
    with torch.no_grad():
        pha, _, _ = model(src, prior=prior)
    assert pha.shape == (1, 1, 32, 48)
    with pytest.raises(BadInputError, match="prior"):
        model(src)


def test_too_small_input_is_refused():
    model = build_model(tiny(variant="baseline"))
    with pytest.raises(BadInputError, match=str(MIN_SIZE)):
        model(torch.rand(1, 3, MIN_SIZE - 1, 64))


@pytest.mark.parametrize("variant", ["convgru", "full"])
def test_forward_clip_equals_frame_loop_exactly(variant, frames):
    frames = frames[:, :, :, :40, :48]
    torch.manual_seed(1)
    model = build_model(tiny(variant=variant)).eval()
    with torch.no_grad():
        pha_clip, fgr_clip, state_clip = model.forward_clip(frames)
        state, prev = None, None
        for t in range(frames.shape[1]):
            pha, fgr, state = model(frames[:, t], prev, state)
            prev = frames[:, t]
            assert torch.equal(pha, pha_clip[:, t]) and torch.equal(fgr, fgr_clip[:, t])
    assert all(torch.equal(a, b) for a, b in zip(state, state_clip))


def test_clip_split_in_two_equals_one_clip(frames):
    """Chunking: carrying state and prev_src across clips gives the same result as one clip."""
    frames = frames[:1, :, :, :40, :48]
    model = build_model(tiny()).eval()
    with torch.no_grad():
        pha_all, _, _ = model.forward_clip(frames)
        pha_a, _, state = model.forward_clip(frames[:, :2])
        pha_b, _, _ = model.forward_clip(frames[:, 2:], state=state, prev_src=frames[:, 1])
    assert torch.equal(torch.cat([pha_a, pha_b], 1), pha_all)


def test_state_none_means_zero_hidden_and_static_previous_frame(frames):
    """state=None == H=0, Fea_t-1 = Fea_t, zero flow; prev_src is ignored on a fresh start."""
    model = build_model(tiny()).eval()
    src = frames[:, 0]
    with torch.no_grad():
        pha, _, (h, fea) = model(src, None, None)
        pha_prev_given, _, _ = model(src, frames[:, 1], None)
        zeros = torch.zeros_like(h)
        pha_explicit, _, _ = model(src, None, (zeros, fea))
    assert torch.equal(pha, pha_prev_given)
    assert torch.allclose(pha, pha_explicit, atol=1e-6)


def test_flow_net_is_not_run_without_motion(frames):
    model = build_model(tiny(variant="convgru"))
    assert model.flow is None
    calls = []
    full = build_model(tiny())
    full.flow.register_forward_hook(lambda *a: calls.append(1))
    with torch.no_grad():
        full.forward_clip(frames[:1, :, :, :32, :32])
    assert len(calls) == 2  # frames 2 and 3; the first frame has no previous frame


def test_gradients_reach_every_parameter_of_full(frames):
    torch.manual_seed(2)
    model = build_model(tiny()).train()
    pha, fgr, _ = model.forward_clip(frames[:1, :2, :, :48, :64])
    (pha.mean() + fgr.mean()).backward()
    without = [n for n, p in model.named_parameters() if p.grad is None or not torch.any(p.grad != 0)]
    assert without == []


def test_frozen_flow_and_batchnorm_get_no_gradient(frames):
    model = build_model(tiny())
    model.freeze_flow()
    model.freeze_batchnorm()
    model.train()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)
    pha, _, _ = model.forward_clip(frames[:1, :2, :, :48, :64])
    pha.mean().backward()
    assert all(p.grad is None for p in model.flow.parameters())
    assert all(p.grad is None for m in bns for p in m.parameters())
    assert model.decoder_pha.last[1].weight.grad is not None


def test_prior_residual_starts_at_the_prior_and_learns_a_correction():
    model = build_model(tiny(prior="person", prior_residual=True))
    src, prior = torch.rand(1, 3, 32, 48), torch.rand(1, 1, 32, 48)
    with torch.no_grad():
        pha, _, _ = model.eval()(src, prior=prior)
    assert torch.equal(pha, prior)  # zero-initialised head: an untrained network returns the prior
    # a wrong prior (1 where the truth is 0) must still pass gradients: the clamp is straight-through
    model.train()
    ones = torch.ones(1, 1, 32, 48)
    pha, _, _ = model(src, prior=ones)
    pha.abs().mean().backward()
    head = model.decoder_pha.last[-1]
    assert float(head.bias.grad) > 0.5
    with torch.no_grad():
        head.bias.fill_(3.0)
        pha, _, _ = model(src, prior=prior)
    assert float(pha.min()) == 1.0  # clamped to 0..1 on the way out
    with pytest.raises(BadInputError, match="prior_residual"):
        tiny(prior="none", prior_residual=True)
