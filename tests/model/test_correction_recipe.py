"""The correction net's recipe (cmn_vfx.model.correction, cmn_vfx.teach.correct): its 'both' mode, its channel cap,
the config's check of them, and the crops placed on the person."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.model.config import ModelConfig
from cmn_vfx.model.correction import CorrectionNet, corrected
from cmn_vfx.teach import correct as C


def _frames(t: int = 2, h: int = 48, w: int = 64):
    """A dark square person on a grey plate and an automatic alpha that is confidently wrong: 1 on the person and
    on a bright false blob beside it (small_b's failure: a tower matted with the person)."""
    src, pha, truth = [], [], []
    for i in range(t):
        s = np.full((h, w, 3), 0.5, np.float32)
        s[10:30, 8 + i:24 + i] = 0.1                      # the person
        s[12:28, 40:56] = 0.9                             # the false blob
        a = np.zeros((h, w), np.float32)
        a[10:30, 8 + i:24 + i] = 1.0
        a[12:28, 40:56] = 1.0
        g = np.zeros((h, w), np.float32)
        g[10:30, 8 + i:24 + i] = 1.0
        src.append(s), pha.append(a), truth.append(g)
    return src, pha, truth


def _mad(out, truth) -> float:
    return float(np.mean([np.abs(o - g).mean() for o, g in zip(out, truth)]))


def test_both_mode_starts_as_the_identity_bit_for_bit():
    torch.manual_seed(0)
    net = CorrectionNet(8, 3, max_channels=16, mode="both").eval()
    src, pha = torch.rand(1, 3, 20, 36), torch.rand(1, 1, 20, 36)
    assert torch.equal(corrected(net, src, pha), pha)
    assert net.head.out_channels == 2


def test_the_shipped_net_starts_with_its_channels_alive():
    """He initialisation: on a frame, before any step, almost every channel of every block is positive somewhere
    and the activations keep their scale through the net. With torch's default init 30-50% of the deeper blocks'
    channels were dead and the last blocks' activations a tenth of the first's: some seeds never learnt."""
    frame = torch.rand(1, 3, 64, 96)
    pha = torch.zeros(1, 1, 64, 96)
    pha[..., 16:48, 30:60] = 1.0
    for seed, config in [(s, C.CorrectSettings().correction) for s in range(4)] + [(0, {"width": 16, "levels": 5})]:
        torch.manual_seed(seed)
        net = CorrectionNet(**config).eval()
        acts = []
        hooks = [m.register_forward_hook(lambda m, i, o: acts.append(o.detach().clone()))
                 for m in net.modules() if isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU))]
        assert len(hooks) == 18
        with torch.no_grad():
            assert torch.equal(corrected(net, frame, pha), pha)     # still the identity
        for h in hooks:
            h.remove()
        dead = [float((a.amax(dim=(0, 2, 3)) <= 0).float().mean()) for a in acts]
        assert max(dead) < 0.2, dead
        assert float(acts[-1].std()) > 0.3 * float(acts[0].std())
        assert all(float(m.bias.abs().max()) == 0.0 for m in net.modules() if isinstance(m, torch.nn.Conv2d))


def test_the_slope_is_the_configs_and_a_net_taught_before_it_keeps_its_relu():
    shipped = CorrectionNet(**C.CorrectSettings().correction)
    assert C.CorrectSettings().correction["slope"] == 0.1 and shipped.config["slope"] == 0.1
    assert {type(m) for m in shipped.modules()} >= {torch.nn.LeakyReLU} and not any(
        type(m) is torch.nn.ReLU for m in shipped.modules())
    old = CorrectionNet(**{"width": 16, "levels": 5, "max_channels": 64, "mode": "both"})     # a config of before
    assert "slope" not in old.config and not any(isinstance(m, torch.nn.LeakyReLU) for m in old.modules())
    assert CorrectionNet(**shipped.config).config == shipped.config


def test_channel_cap():
    capped = CorrectionNet(16, 5, max_channels=64)
    assert [b[0].out_channels for b in capped.down] == [16, 32, 64, 64, 64]
    assert [b[0].out_channels for b in CorrectionNet(16, 3).down] == [16, 32, 64]


def test_both_mode_undoes_a_confident_mistake_the_logit_alone_did_not():
    """Where the alpha is exactly 1 the logit residual's gradient vanishes; the alpha residual still learns. Why
    'both' was chosen: the logit alone failed under the L1 loss and ReLU of then (kept here as slope 0, l2 0). With
    the shipped slope (or the squared error) the logit alone learns this toy too; not measured on clips."""
    torch.set_num_threads(1)
    src, pha, truth = _frames()
    base = _mad(pha, truth)
    errors = {}
    for mode, l2, slope in (("logit", 0.0, 0.0), ("both", 0.0, 0.0), ("both", 1.0, 0.1), ("logit", 0.0, 0.1)):
        settings = C.CorrectSettings(minutes=None, iterations=60, width=8, levels=3, max_channels=16, mode=mode,
                                     crop=32, lr=5e-3, l2_weight=l2, slope=slope)
        net, _ = C.teach_correction(src, pha, truth, settings)
        errors[mode, l2, slope] = _mad(C.apply_correction(net, src, pha), truth)
    assert errors["both", 0.0, 0.0] < 0.3 * base and errors["both", 1.0, 0.1] < 0.3 * base     # shipped: l2 1, 0.1
    assert errors["logit", 0.0, 0.0] > 0.8 * base                   # the failure 'both' was chosen for
    assert errors["logit", 0.0, 0.1] < 0.3 * base                   # a leaky slope keeps that gradient


@pytest.mark.parametrize("bf16", [False, True])
def test_both_precisions_learn_and_say_which_ran(bf16):
    """bf16 autocast (on where the CPU has it natively, C.native_bf16) learns as float32 does."""
    torch.set_num_threads(1)
    src, pha, truth = _frames()
    settings = C.CorrectSettings(minutes=None, iterations=60, width=8, levels=3, max_channels=16, crop=32, lr=5e-3,
                                 bf16=bf16)
    net, report = C.teach_correction(src, pha, truth, settings)
    assert report["bf16"] is bf16
    assert _mad(C.apply_correction(net, src, pha), truth) < 0.3 * _mad(pha, truth)


def test_native_bf16_is_what_openvino_reports_for_the_cpu(monkeypatch):
    from cmn_vfx.engine import onnx_sessions
    for listed, want in (({"fp32", "bf16"}, True), ({"fp32"}, False), ({"fp32", "fp16"}, False)):
        monkeypatch.setattr(onnx_sessions, "openvino_precisions", lambda listed=listed: listed)
        assert C.native_bf16() is want

    def missing():
        raise ImportError("no openvino")
    monkeypatch.setattr(onnx_sessions, "openvino_precisions", missing)
    assert C.native_bf16() is False


def test_config_checks_the_recipe_keys():
    ModelConfig(correction={"width": 16, "levels": 5, "max_channels": 64, "mode": "both"})
    ModelConfig(correction={"width": 16, "levels": 3})
    ModelConfig(correction={"width": 16, "levels": 5, "mode": "both", "slope": 0.1})
    for bad in ({"width": 16, "levels": 5, "mode": "alpha"}, {"width": 16, "levels": 5, "max_channels": 0},
                {"width": 16, "levels": 5, "slope": 1.5}, {"width": 16, "levels": 5, "slope": "0.1"},
                {"width": 16, "levels": 5, "extra": 1}, {"width": 16}):
        with pytest.raises(BadInputError):
            ModelConfig(correction=bad)


def test_person_share_centres_crops_on_the_person(monkeypatch):
    """With person_share 1 every crop holds the key's person, however small it is in the frame."""
    h, w = 96, 128
    src = [np.full((h, w, 3), 0.5, np.float32)]
    pha = [np.zeros((h, w), np.float32)]
    truth = np.zeros((h, w), np.float32)
    truth[80:86, 110:116] = 1.0                           # a small person in a corner
    seen = []
    real = C._augment

    def spy(stack, crop, gen, centre=None):
        out = real(stack, crop, gen, centre)
        seen.append(float(out[0, 4].max()))
        return out
    monkeypatch.setattr(C, "_augment", spy)
    settings = C.CorrectSettings(minutes=None, iterations=5, width=4, levels=2, max_channels=8, crop=32,
                                 hard_share=0.0, person_share=1.0)
    C.teach_correction(src, pha, [truth], settings)
    assert len(seen) == 5 * settings.batch and min(seen) > 0.5


def test_levels_fall_on_a_small_frame():
    """The deepest level keeps MIN_DEEPEST px of the crop: 5 levels on a working frame, fewer on a tiny one."""
    settings = C.CorrectSettings()
    assert C.levels_for(settings, (288, 512)) == 5
    assert C.levels_for(settings, (42, 68)) == 3
    assert C.levels_for(C.CorrectSettings(crop=16), (288, 512)) == 2
    net, _ = C.teach_correction(*[[x[0][:40, :60]] for x in _frames()], C.CorrectSettings(minutes=None, iterations=1))
    assert net.levels == 3 and net.config["levels"] == 3
