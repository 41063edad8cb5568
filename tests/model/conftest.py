"""Shared tiny model configs. One torch thread: the test machine is shared, and extra
threads only add contention at these sizes."""
import pytest
import torch

from cmn_vfx.model import ModelConfig

torch.set_num_threads(1)


def tiny(**kw) -> ModelConfig:
    """A small but complete model: paper layout, thin channels."""
    base = dict(variant="full", encoder="mobilenetv2", flow="pwcnet", width=4, context=8, pwc_width=0.125)
    base.update(kw)
    return ModelConfig(**base)


@pytest.fixture
def frames():
    """Two batches of three 67x93 frames (odd sizes on purpose), [B,T,3,H,W] 0..1."""
    g = torch.Generator().manual_seed(0)
    return torch.rand(2, 3, 3, 67, 93, generator=g)
