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
