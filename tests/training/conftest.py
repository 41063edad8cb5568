"""Tiny training set-ups shared by the loop and resume tests (32x32, T=2, tiny models)."""
import pytest
import torch

from cmn_vfx_training.config import TrainConfig

from training_helpers import TINY_MODEL, tiny_data


@pytest.fixture
def tiny_config(tmp_path):
    def make(**overrides) -> TrainConfig:
        base = dict(model=dict(TINY_MODEL), data=tiny_data(), seq_length=2,
                    phase1={"iterations": 2, "batch_size": 1, "train_flow": False},
                    phase2={"iterations": 2, "batch_size": 1, "train_flow": True},
                    num_workers=0, log_every=1, val_every=1000, checkpoint_every=1000,
                    out_dir=str(tmp_path / "run"), device="cpu", seed=3, threads=1)
        base.update(overrides)
        return TrainConfig.from_dict(base)
    return make


@pytest.fixture(autouse=True)
def one_thread():
    """Two intra-op threads on a shared 2-core machine spin-wait and run ~10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
