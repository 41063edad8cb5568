"""Compare a state dict with what a module expects, for one-line error messages."""
from __future__ import annotations

from collections.abc import Mapping

import torch


def state_mismatch(expected: Mapping[str, torch.Tensor], got: Mapping[str, torch.Tensor]) -> str | None:
    """None if `got` fits `expected` key for key and shape for shape, else what is wrong first."""
    missing = sorted(set(expected) - set(got))
    if missing:
        return f"missing keys {missing[:3]}"
    unexpected = sorted(set(got) - set(expected))
    if unexpected:
        return f"unexpected keys {unexpected[:3]}"
    for key, value in expected.items():
        if tuple(got[key].shape) != tuple(value.shape):
            return f"{key} has shape {tuple(got[key].shape)}, the model has {tuple(value.shape)}"
    return None


def identity_batchnorms(module: torch.nn.Module) -> list[str]:
    """Names of the BatchNorm layers still at their initial values (running mean 0, variance 1, weight 1,
    bias 0): frozen like that they normalise nothing. A pretrained encoder has none; the default v3's
    MobileNetV2 has all of them (trained from scratch with batch norm frozen)."""
    out = []
    for name, m in module.named_modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
            if (torch.all(m.running_mean == 0) and torch.all(m.running_var == 1)
                    and (m.weight is None or (torch.all(m.weight == 1) and torch.all(m.bias == 0)))):
                out.append(name)
    return out
