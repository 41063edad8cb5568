"""The v4 recipe's pieces: a second person, a faulty prior, truncated backprop, the coherence loss."""
import numpy as np
import pytest
import torch

from cmn_vfx_training import distributed
from cmn_vfx_training.data import build_dataset
from cmn_vfx_training.data.crowd import FAULTS, add_person, fault_prior
from cmn_vfx_training.data.sources import ForegroundClip
from cmn_vfx_training.loop import Trainer
from cmn_vfx_training.losses import temporal_loss

from training_helpers import tiny_data


def _person(x0, x1, value, t=3, h=40, w=60):
    pha = np.zeros((t, h, w), np.float32)
    pha[:, 10:40, x0:x1] = 1.0
    fgr = np.full((t, h, w, 3), value, np.float32)
    return ForegroundClip(fgr=fgr, pha=pha, flow=np.zeros((t, h, w, 2), np.float32), camera=None,
                          real_person=True, name=f'p{x0}')


def test_a_second_person_adds_to_the_alpha_and_keeps_the_first():
    first, second = _person(5, 20, 0.2), _person(30, 55, 0.8)
    added = 0
    for seed in range(8):
        out = add_person(first, second, np.random.default_rng(seed))
        assert out.pha.shape == first.pha.shape and out.flow is None and out.real_person
        assert (out.pha >= first.pha - 1e-6).all()             # the first person is never removed
        added += out.pha.sum() > first.pha.sum() + 20         # the second one is there (not hidden behind)
        assert out.pha.max() <= 1.0 and np.isfinite(out.fgr).all()
        only_second = (first.pha < 1e-6) & (out.pha > 0.99)
        assert np.allclose(out.fgr[only_second], 0.8, atol=2e-3)  # its own colour where it is alone
        inside = out.pha > 1e-3
        assert out.fgr[inside].min() >= 0.2 - 2e-3 and out.fgr[inside].max() <= 0.8 + 2e-3
    assert added >= 6


@pytest.mark.parametrize('kind', FAULTS)
def test_prior_faults_leave_frame_0_and_change_a_later_run_of_frames(kind):
    prior = np.zeros((6, 40, 60), np.float32)
    prior[:, 5:35, 5:20] = 1.0
    prior[:, 5:35, 35:55] = 1.0  # two people: 'drop' takes one of them away
    for seed in range(5):
        out = fault_prior(prior, np.random.default_rng(seed), kind)
        assert np.array_equal(out[0], prior[0])
        changed = [t for t in range(6) if not np.array_equal(out[t], prior[t])]
        assert changed and changed == list(range(changed[0], changed[-1] + 1)), changed
        if kind == 'drop':
            t = changed[0]
            kept = [(out[t][:, 5:20] > 0.5).any(), (out[t][:, 35:55] > 0.5).any()]
            assert sorted(kept) == [False, True]
        if kind == 'blink':
            assert out[changed[0]].max() <= 0.3


def test_dataset_options_give_two_people_and_faulty_priors():
    cfg = dict(tiny_data(length=8), seq_length=4, size=[48, 64], prior='simulated', extra_person=1.0,
               prior_faults=1.0)
    ds = build_dataset(cfg)
    samples = [ds.clip(i) for i in range(4)]
    assert all(s['prior'].shape == (4, 48, 64) for s in samples)
    plain = build_dataset(dict(cfg, extra_person=0.0, prior_faults=0.0))
    assert sum(float(ds.clip(i)['pha'].sum()) for i in range(4)) > sum(float(plain.clip(i)['pha'].sum())
                                                                           for i in range(4))


def test_temporal_loss_is_zero_when_the_change_matches_and_counts_the_seam():
    true = torch.rand(2, 3, 1, 8, 8)
    assert float(temporal_loss(true + 0.3, true)) == pytest.approx(0.0, abs=1e-10)
    pred = true.clone()
    pred[:, 1] += 0.5  # a one-frame flicker: frame pairs (0,1) and (1,2) each off by 0.5
    assert float(temporal_loss(pred, true)) == pytest.approx(2 * 0.25, rel=1e-5)
    # a segment after a seam: the previous frame takes part
    assert float(temporal_loss(true[:, :1] + 0.5, true[:, :1], true[:, 0], true[:, 0])) == pytest.approx(0.25, rel=1e-5)


def _grads(tiny_config, **over):
    cfg = tiny_config(data=dict(tiny_data(), seq_length=4), seq_length=4, lr=1e-3, **over)
    trainer = Trainer(cfg, distributed.Runtime(0, 1, torch.device('cpu')))
    trainer._enter_phase('phase1')
    start = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    terms = trainer.step()
    moved = {n: (p.detach() - start[n]) for n, p in trainer.model.named_parameters()}
    return terms, moved


def test_tbptt_of_the_whole_clip_is_the_plain_step_and_shorter_segments_differ(tiny_config):
    plain, moved_plain = _grads(tiny_config)
    whole, moved_whole = _grads(tiny_config, tbptt=4)
    assert plain == whole
    assert all(torch.equal(moved_plain[n], moved_whole[n]) for n in moved_plain)
    seg, moved_seg = _grads(tiny_config, tbptt=2)
    # the same losses (the state is carried forward), different gradients (cut at the seam)
    assert seg['total'] == pytest.approx(plain['total'], rel=1e-5)
    assert any(not torch.allclose(moved_plain[n], moved_seg[n]) for n in moved_plain)


def test_temporal_weight_adds_the_coherence_term(tiny_config):
    terms, _ = _grads(tiny_config, tbptt=2, temporal_weight=5.0)
    assert terms['temporal'] > 0
    assert terms['total'] == pytest.approx(terms['l1_alpha'] + terms['lap_alpha'] + 0.1 * terms['l1_fgr']
                                           + 5.0 * terms['temporal'], rel=1e-5)


def test_fault_kinds_choose_which_faults_are_drawn():
    from cmn_vfx.errors import BadInputError
    cfg = dict(tiny_data(length=6), seq_length=4, size=[48, 64], prior='simulated', prior_faults=1.0,
               fault_kinds=['blink'])
    blinked = build_dataset(cfg)
    plain = build_dataset(dict(cfg, prior_faults=0.0))
    for i in range(4):
        a, b = blinked.clip(i)['prior'], plain.clip(i)['prior']
        assert a.sum() < b.sum() or b.sum() == 0      # a blink only ever removes prior
    with pytest.raises(BadInputError, match='fault_kinds'):
        build_dataset(dict(cfg, fault_kinds=['wobble']))
