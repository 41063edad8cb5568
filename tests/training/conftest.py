"""Tiny training set-ups shared by the loop and resume tests (32x32, T=2, tiny models)."""
import pytest
import torch

from training.config import TrainConfig

TINY_MODEL = {"variant": "full", "encoder": "mobilenetv2", "flow": "dis", "width": 8, "context": 16}
TINY_PWC_MODEL = dict(TINY_MODEL, flow="pwcnet", pwc_width=0.25)
NO_AUGMENT = {"crop": 0, "flip": 0.0, "jitter": 0.0, "gamma": 0.0, "jpeg": 0.0, "h264": 0.0}


def tiny_data(length=1, fixed=True, augment=None, seed=0):
    """One procedural clip (fixed) or a few random ones, 32x32, 2 frames."""
    return {"seq_length": 2, "size": [32, 32], "length": length, "fixed": fixed, "flow": False,
            "cache_dir": None, "seed": seed,
            "foregrounds": [{"type": "procedural", "weight": 1.0}],
            "backgrounds": [{"type": "procedural", "weight": 1.0}],
            "augment": dict(NO_AUGMENT, **(augment or {}))}


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
