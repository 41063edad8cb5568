"""Training checkpoints: the model checkpoint of cmn_vfx.model plus what resuming needs.

Keys added to the model checkpoint (docs/contracts.md): 'train_config' (dict),
'iteration' (completed iterations), 'optimizer', 'scheduler', 'rng' (python,
numpy, torch and CUDA states), 'metrics' (last validation), 'best' (best value of
the selection metric so far). Everything is plain tensors/lists/dicts, so
`torch.load(weights_only=True)` reads it.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

from cmn_vfx.errors import BadInputError


def rng_state() -> dict:
    """All global random states of this process, in a weights_only-safe form."""
    kind, key, pos, has_gauss, gauss = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": {"kind": kind, "key": torch.from_numpy(key.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng(state: dict) -> None:
    """Inverse of rng_state()."""
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state((n["kind"], n["key"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_training_checkpoint(path: str, model: torch.nn.Module, extra: dict) -> None:
    """Write model + training state (atomically, by cmn_vfx.model.save_checkpoint)."""
    from cmn_vfx.model import save_checkpoint

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_checkpoint(path, model, dict(extra, rng=rng_state()))


def load_training_checkpoint(path: str) -> dict:
    """The checkpoint dict; BadInputError when it is missing or was not written by training."""
    if not os.path.isfile(path):
        raise BadInputError(f"{path}: no checkpoint to resume from; train without --resume first or pass the right path")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or foreign file: torch raises many types
        raise BadInputError(f"{path}: cannot read checkpoint ({exc.__class__.__name__}); "
                            "use a checkpoint written by cmn-train") from exc
    missing = [k for k in ("model", "model_config", "train_config", "iteration", "optimizer", "scheduler")
               if k not in ckpt]
    if missing:
        raise BadInputError(f"{path}: not a training checkpoint (missing {', '.join(missing)}); "
                            "resume only from last.pt/best.pt written by cmn-train")
    return ckpt
