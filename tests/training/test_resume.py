"""Resume: N steps, save, resume M steps == N + M straight steps."""
import json

import pytest
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx_training.loop import train

from training_helpers import TINY_PWC_MODEL, tiny_data


def _losses(out_dir):
    with open(f"{out_dir}/log.jsonl", encoding="utf-8") as fh:
        return [(r["iteration"], r["total"]) for r in map(json.loads, fh) if "total" in r]


def test_resume_continues_the_same_run(tiny_config, tmp_path):
    # Random (augmented) clips, batch 2 then 1, PWC-Net frozen then trained: the resumed
    # run must see the same clips, lr and optimizer state, across the phase switch.
    common = dict(model=dict(TINY_PWC_MODEL), lr=1e-3,
                  data=tiny_data(length=5, fixed=False, augment={"flip": 0.5, "gamma": 0.5}),
                  phase1={"iterations": 2, "batch_size": 2, "train_flow": False},
                  phase2={"iterations": 2, "batch_size": 1, "train_flow": True})
    straight = tiny_config(out_dir=str(tmp_path / "straight"), **common)
    train(straight, progress=False)

    split = tiny_config(out_dir=str(tmp_path / "split"), **common)
    train(split, stop_after=1, progress=False)
    assert torch.load(tmp_path / "split" / "last.pt", weights_only=True)["iteration"] == 1
    with open(tmp_path / "split" / "log.jsonl", "a", encoding="utf-8") as fh:  # a crash after the checkpoint
        fh.write(json.dumps({"iteration": 2, "total": -1.0}) + "\n")
    train(tiny_config(out_dir=str(tmp_path / "split"), **common), resume=str(tmp_path / "split" / "last.pt"),
          progress=False)

    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    assert a["iteration"] == b["iteration"] == 4
    for name, value in a["model"].items():
        assert torch.allclose(value.float(), b["model"][name].float(), atol=1e-6), name
    la, lb = _losses(tmp_path / "straight"), _losses(tmp_path / "split")
    assert [i for i, _ in la] == [i for i, _ in lb] == [1, 2, 3, 4]   # the stale record is gone
    assert all(x == pytest.approx(y, rel=1e-6) for (_, x), (_, y) in zip(la, lb))
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"] == 4

    # Resuming with other phases would silently change the schedule: refused.
    other = tiny_config(out_dir=str(tmp_path / "split"), **dict(common, phase2={
        "iterations": 5, "batch_size": 1, "train_flow": True}))
    with pytest.raises(BadInputError):
        train(other, resume=str(tmp_path / "split" / "last.pt"), progress=False)
    with pytest.raises(BadInputError):
        train(other, resume=str(tmp_path / "nowhere.pt"), progress=False)
