"""ModelConfig.prev_alpha: the previous alpha, warped by the flow, as an input channel (the v4 blink experiment)."""
import pytest
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.model import ModelConfig, build_model, save_checkpoint
from tests.model.conftest import tiny
from cmn_vfx_training.loop import init_weights

KW = dict(flow="dis", dis_preset="ultrafast", prior="person", prior_residual=True)


def _clip(t: int = 3):
    g = torch.Generator().manual_seed(1)
    src = torch.rand(1, t, 3, 40, 56, generator=g)
    prior = torch.zeros(1, t, 1, 40, 56)
    prior[..., 8:32, 16 + 0:40] = 1.0
    return src, prior


def test_a_model_widened_with_the_input_starts_with_its_source_outputs(tmp_path):
    torch.manual_seed(0)
    source = build_model(tiny(**KW), load_weights=False).eval()
    with torch.no_grad():
        source.decoder_pha.last[-1].weight.normal_(0, 0.1)     # a correction that is not zero
    path = str(tmp_path / "source.pt")
    save_checkpoint(path, source)
    widened = build_model(tiny(prev_alpha=True, **KW), load_weights=False).eval()
    assert widened.config.in_channels == 5
    init_weights(widened, path)
    src, prior = _clip()
    with torch.no_grad():
        want, _, _ = source.forward_clip(src, prior)
        got, _, state = widened.forward_clip(src, prior)
    assert len(state) == 3 and state[2].shape == (1, 1, 48, 64)          # the padded frame's alpha
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)


def test_the_warped_previous_alpha_reaches_the_output():
    torch.manual_seed(0)
    model = build_model(tiny(prev_alpha=True, **KW), load_weights=False).eval()
    with torch.no_grad():
        model.decoder_pha.last[-1].weight.normal_(0, 0.1)
        for conv in (model.encoder.skips[0][0],):
            conv.weight[:, 4].normal_(0, 1.0)                           # the previous alpha's input weights
    src, prior = _clip(2)
    with torch.no_grad():
        _, _, state = model(src[:, 0], None, None, prior[:, 0])
        a, _, _ = model(src[:, 1], src[:, 0], state, prior[:, 1])
        held = state[:2] + (torch.ones_like(state[2]),)               # another previous alpha, same rest
        b, _, _ = model(src[:, 1], src[:, 0], held, prior[:, 1])
    assert float((a - b).abs().mean()) > 1e-3


def test_prev_alpha_needs_the_flow():
    with pytest.raises(BadInputError, match="variant: full"):
        ModelConfig(variant="convgru", prev_alpha=True)
