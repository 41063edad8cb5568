"""Checkpoints: one torch.save dict holding the model config, so loading rebuilds the exact model.

    {'format': 'cmn-vfx-checkpoint', 'version': 1, 'model_config': dict, 'model': state_dict,
     + training keys ('train_config', 'iteration', 'optimizer', 'scheduler', 'rng', 'metrics')}

A bare name such as 'default' resolves to cmn_vfx/models/<name>.pt (see cmn_vfx/models/README.md).
"""
from __future__ import annotations

import os
import pickle

import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.installed import MODELS_DIR, bundled_names, resolve_checkpoint  # noqa: F401 - re-exported
from cmn_vfx.io.atomic import atomic_path
from cmn_vfx.io.digest import sha256_of  # noqa: F401 - re-exported
from cmn_vfx.model.cmn import CMN, build_model
from cmn_vfx.model.config import ModelConfig
from cmn_vfx.model.state_check import state_mismatch

FORMAT = "cmn-vfx-checkpoint"
VERSION = 1


def save_checkpoint(path: str, model: CMN, extra: dict | None = None) -> None:
    """Write model + config (+ `extra` training keys) to `path` atomically."""
    ckpt = {"format": FORMAT, "version": VERSION, "model_config": model.config.to_dict(),
            "model": model.state_dict(), **(extra or {})}
    with atomic_path(path) as tmp:
        torch.save(ckpt, tmp)


def read_checkpoint(path: str) -> dict:
    """torch.load a checkpoint dict; BadInputError for anything that is not one of ours."""
    try:
        # weights only, never arbitrary objects: a pickle can run code, and a spec's `model:` path is
        # opened on every farm node (training's RNG state is saved as plain tensors: training/state.py)
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise BadInputError(f"{path}: holds Python objects other than weights, which are never loaded (they could run "
                            "code); use a checkpoint saved by cmn-train or save_checkpoint") from exc
    except Exception as exc:
        raise BadInputError(f"{path}: not a readable checkpoint ({type(exc).__name__}); the file is corrupt or "
                            "truncated, copy it again") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise BadInputError(f"{path}: not a cmn-vfx checkpoint (no format={FORMAT!r} key); save it with save_checkpoint")
    if ckpt.get("version") != VERSION:
        raise BadInputError(f"{path}: checkpoint version {ckpt.get('version')} is not {VERSION}; upgrade cmn-vfx")
    return ckpt


def load_model(name_or_path: str, device: str | torch.device = "cpu") -> tuple[CMN, dict]:
    """Rebuild the model saved in a checkpoint (eval mode, on `device`).

    Returns (model, info) with info = {name, path, sha256, model_config, metrics, taught_with}.
    Pretrained / flow weight files named in the config are NOT read: the checkpoint has the weights.
    """
    path = resolve_checkpoint(name_or_path)
    ckpt = read_checkpoint(path)
    try:
        config = ModelConfig.from_dict(dict(ckpt["model_config"]))
    except BadInputError as exc:
        raise BadInputError(f"{path}: {exc}; the checkpoint was edited or saved by another version") from None
    model = build_model(config, load_weights=False)
    state = ckpt.get("model")
    if not isinstance(state, dict):
        raise BadInputError(f"{path}: checkpoint has no 'model' state dict; re-save it")
    bad = next((k for k, v in state.items() if torch.is_tensor(v) and v.is_floating_point()
                and not bool(torch.isfinite(v).all())), None)
    if bad is not None:
        raise BadInputError(f"{path}: tensor {bad!r} holds NaN/Inf weights (a diverged training run); "
                            "use an earlier checkpoint or the best one of that run")
    detail = state_mismatch(model.state_dict(), state)
    if detail:
        raise BadInputError(f"{path}: weights do not match its model_config ({detail}); the file was edited or "
                            "saved by another version")
    model.load_state_dict(state)
    model.to(device).eval()
    name = os.path.splitext(os.path.basename(path))[0]
    teach = ckpt.get("teach") if isinstance(ckpt.get("teach"), dict) else {}
    info = {"name": name, "path": os.path.abspath(path), "sha256": sha256_of(path),
            "model_config": config.to_dict(), "metrics": ckpt.get("metrics", {}),
            "taught_with": teach.get("run")}        # what its correction net learnt under (cmn_vfx.engine.taught)
    return model, info


INFERENCE_KEYS = ("format", "version", "model_config", "model", "train_config", "iteration", "metrics", "best")


def strip_checkpoint(src: str, dst: str) -> dict:
    """Write an inference-only copy of a training checkpoint (no optimizer, scheduler or RNG state).

    What ships in cmn_vfx/models/ is made this way: the model, both configs (so the recipe
    stays with the weights), the iteration and the validation metrics. Returns what was kept.
    """
    ckpt = read_checkpoint(resolve_checkpoint(src))
    kept = {k: ckpt[k] for k in INFERENCE_KEYS if k in ckpt}
    with atomic_path(dst) as tmp:
        torch.save(kept, tmp)
    return kept
