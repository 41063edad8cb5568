"""The shot's correction net as a model component (cmn_vfx.model.correction): checkpoints hold it, the step (torch
and its ONNX export) is the same with or without it, and the engine's correction stage (Backend.correct) gives the
same alpha in torch and from the export's sidecar in ONNX Runtime and OpenVINO; a sidecar of another checkpoint, or
none, is refused; checkpoints without it load as before."""
import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from cmn_vfx.engine.onnx_backend import OnnxBackend, OnnxNetwork
from cmn_vfx.engine.torch_backend import TorchBackend
from cmn_vfx.errors import BadInputError
from cmn_vfx.model import ModelConfig, build_model, load_model, save_checkpoint
from cmn_vfx.model.correction import CorrectionNet, corrected
from cmn_vfx.model.onnx_export import export_onnx
from cmn_vfx.model.onnx_format import correction_path
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


def test_the_step_no_longer_changes_with_a_correction(tmp_path):
    base, taught = _pair()
    frames = _clip(4, 37, 75)
    priors = _priors(frames)
    for (pha_a, state_a), (pha_b, state_b) in zip(_run(base, frames, priors), _run(taught, frames, priors)):
        assert np.array_equal(pha_a, pha_b) and all(torch.equal(x, y) for x, y in zip(state_a, state_b))
    nets = []
    for name, model in (("base", base), ("taught", taught)):
        export_onnx(model, {"name": name, "sha256": "abc"}, str(tmp_path / f"{name}.onnx"), size=(48, 64))
        nets.append(OnnxNetwork(str(tmp_path / f"{name}.onnx"), threads=1))
    assert nets[0].outputs == nets[1].outputs == ["pha", "h_out", "fea"]
    assert nets[0].correction is None and nets[1].correction is not None
    assert not os.path.exists(correction_path(str(tmp_path / "base.onnx")))
    states, prev = [None, None], None
    for src, prior in zip(frames, priors):
        (pha_a, _, states[0]), (pha_b, _, states[1]) = (n.step(src, prev, s, prior) for n, s in zip(nets, states))
        assert np.array_equal(pha_a, pha_b)
        prev = src


def _torch_backend(model) -> TorchBackend:
    settings = SimpleNamespace(threads=None, device="cpu", precision="fp32", refine="guided", fg_colour="estimate")
    return TorchBackend(settings, model, {"name": "taught", "sha256": "abc"})


def _alpha(h: int, w: int) -> np.ndarray:
    """A soft disc [h,w] 0..1 that the correction visibly moves."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.clip(1.2 - np.hypot(ys - h / 2, xs - w / 3) / 10, 0, 1).astype(np.float32)


@pytest.mark.parametrize("executor", ["onnx", "openvino"])
def test_the_sidecar_corrects_as_the_torch_backend_does(executor, tmp_path):
    _, taught = _pair()
    path = str(tmp_path / "taught.onnx")
    export_onnx(taught, {"name": "taught", "sha256": "abc"}, path, size=(48, 64))
    onnx = OnnxBackend(SimpleNamespace(refine="guided"), OnnxNetwork(path, threads=1, executor=executor))
    torch_ = _torch_backend(_pair()[1])
    onnx.prepare((75, 37))
    src, pha = _clip(1, 37, 75)[0], _alpha(37, 75)              # odd sizes: padded to the net's multiple
    want = torch_.plane(torch_.correct(torch_.frame(pha), torch_.frame(src)))
    got = onnx.correct(pha, src)
    onnx.settle()
    assert got.shape == pha.shape and np.abs(want - pha).max() > 0.05        # the correction changes the alpha
    np.testing.assert_allclose(got, want, atol=2e-5)
    plain = _torch_backend(_pair()[0])                                       # no correction: pha itself
    frame = plain.frame(pha)
    assert plain.correct(frame, plain.frame(src)) is frame


def test_a_sidecar_of_another_checkpoint_or_none_is_refused(tmp_path):
    _, taught = _pair()
    path, other = str(tmp_path / "a.onnx"), str(tmp_path / "b.onnx")
    export_onnx(taught, {"name": "a", "sha256": "abc"}, path, size=(48, 64))
    export_onnx(_pair()[1], {"name": "b", "sha256": "def"}, other, size=(48, 64))
    os.replace(correction_path(other), correction_path(path))
    with pytest.raises(BadInputError, match="another checkpoint") as refused:
        OnnxNetwork(path, threads=1)
    assert "\n" not in str(refused.value) and "a.correction.onnx" in str(refused.value)
    os.remove(correction_path(path))
    with pytest.raises(BadInputError, match="a.correction.onnx is not beside it") as refused:
        OnnxNetwork(path, threads=1)
    assert "\n" not in str(refused.value)


def test_an_interrupted_export_leaves_neither_file(tmp_path, monkeypatch):
    from cmn_vfx.model import onnx_export
    export_correction = onnx_export.export_correction

    def interrupted(*args, **kwargs):       # once the sidecar is written, before either file is in place
        export_correction(*args, **kwargs)
        raise KeyboardInterrupt
    monkeypatch.setattr(onnx_export, "export_correction", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_onnx(_pair()[1], {"name": "a", "sha256": "abc"}, str(tmp_path / "a.onnx"), size=(48, 64))
    assert os.listdir(tmp_path) == []


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
