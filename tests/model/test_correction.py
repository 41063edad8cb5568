"""The shot's correction net as a model component (cmn_vfx.model.correction in CMN and its ONNX export): the
step's alpha is the corrected one in torch, ONNX Runtime and OpenVINO alike, the state keeps the raw alpha, a zero
residual gives the base's alpha bit for bit, and checkpoints without it load as before."""
import numpy as np
import pytest
import torch

from cmn_vfx.engine.onnx_backend import OnnxNetwork
from cmn_vfx.errors import BadInputError
from cmn_vfx.model import ModelConfig, build_model, load_model, save_checkpoint
from cmn_vfx.model.correction import CorrectionNet, corrected
from cmn_vfx.model.onnx_export import export_onnx
from tests.model.conftest import tiny
from tests.model.test_onnx_export import _clip, _nchw

CONFIG = dict(flow="dis", prior="person", prior_residual=True, prev_alpha=True)
CORRECTION = {"width": 4, "levels": 3}


def _pair(seed: int = 3, residual: float = 1.0) -> tuple[torch.nn.Module, torch.nn.Module]:
    """(base, the same base with a correction net whose residual is scaled by `residual`), eval mode."""
    torch.manual_seed(seed)
    base = build_model(tiny(**CONFIG), load_weights=False).eval()
    with torch.no_grad():
        for p in base.operator.parameters():
            p *= 5.0
        base.decoder_pha.last[1].weight *= 20.0
    taught = build_model(tiny(**CONFIG, correction=CORRECTION), load_weights=False).eval()
    missing = taught.load_state_dict(base.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith("correction.") for k in missing)
    torch.manual_seed(seed + 1)
    with torch.no_grad():
        taught.correction.head.weight.normal_(0, residual)
        taught.correction.head.bias.fill_(8.0 * residual)     # the base alpha is often a clamped 0
    return base, taught


def _run(model, frames, priors):
    state, prev, out = None, None, []
    with torch.no_grad():
        for src, prior in zip(frames, priors):
            pha, _, state = model(_nchw(src), None if prev is None else _nchw(prev), state, _nchw(prior))
            out.append((pha[0, 0].numpy(), state))
            prev = src
    return out


def _priors(frames):
    h, w = frames[0].shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    return [(np.hypot(ys - h / 2, xs - 20 - 3 * t) < 12).astype(np.float32) for t in range(len(frames))]


def test_the_net_of_width_16_and_3_levels_is_the_probes_16_32_64_unet():
    net = CorrectionNet(16, 3)
    assert [b[0].out_channels for b in net.down] == [16, 32, 64]
    assert [b[0].in_channels for b in net.up] == [48, 96]
    assert sum(p.numel() for p in net.parameters()) == 118_689     # bench/harness/teach_correct.py's net had the same
    assert CorrectionNet(8, 4)(torch.rand(1, 5, 24, 40)).shape == (1, 1, 24, 40)


def test_corrected_pads_inside_and_an_untrained_net_is_the_identity():
    pha = torch.rand(1, 1, 37, 51)
    assert torch.equal(corrected(CorrectionNet(4, 3), torch.rand(1, 3, 37, 51), pha), pha)


def test_the_step_is_corrected_and_the_state_stays_raw():
    base, taught = _pair()
    frames = _clip(4, 37, 75)
    priors = _priors(frames)
    a, b = _run(base, frames, priors), _run(taught, frames, priors)
    for (pha_a, state_a), (pha_b, state_b) in zip(a, b):
        assert np.abs(pha_a - pha_b).max() > 0.05            # the correction changes the alpha...
        assert all(torch.equal(x, y) for x, y in zip(state_a, state_b))     # ...never the recurrence
    _, zero = _pair(residual=0.0)
    for (pha_a, _), (pha_z, _) in zip(a, _run(zero, frames, priors)):
        assert np.array_equal(pha_a, pha_z)                 # a zero residual: the base's alpha bit for bit


@pytest.mark.parametrize("executor", ["onnx", "openvino"])
def test_the_export_runs_the_correction_as_torch_does(executor, tmp_path):
    _, taught = _pair()
    path = str(tmp_path / "taught.onnx")
    export_onnx(taught, {"name": "taught", "sha256": "abc"}, path, size=(48, 64))
    _, taught = _pair()             # the export folded its model's batch norms: compare with a fresh one
    net = OnnxNetwork(path, threads=1, executor=executor)
    assert "pha_raw" in net.outputs
    frames = _clip(4, 37, 75)
    priors = _priors(frames)
    state, prev = None, None
    for src, prior, (pha_t, state_t) in zip(frames, priors, _run(taught, frames, priors)):
        pha_o, _, state = net.step(src, prev, state, prior)
        np.testing.assert_allclose(pha_o, pha_t, atol=2e-5)
        np.testing.assert_allclose(state[2], state_t[2].numpy(), atol=2e-5)    # pha_prev is the raw alpha
        prev = src


def test_checkpoints_keep_the_correction_and_old_ones_load_without_it(tmp_path):
    base, taught = _pair()
    save_checkpoint(str(tmp_path / "t.pt"), taught)
    loaded, meta = load_model(str(tmp_path / "t.pt"))
    assert meta["model_config"]["correction"] == CORRECTION
    assert torch.equal(loaded.correction.head.weight, taught.correction.head.weight)
    old = base.config.to_dict()
    del old["correction"]
    assert ModelConfig.from_dict(old).correction is None
    for bad in ({"width": 4}, {"width": 4, "levels": 6}, {"width": 0, "levels": 2}, 3):
        with pytest.raises(BadInputError, match="correction"):
            tiny(**CONFIG, correction=bad)
