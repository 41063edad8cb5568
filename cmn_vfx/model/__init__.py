"""The Context Motion Network (paper section 3). See docs/model.md.

The names below load on first use (module __getattr__), so the torch-free modules of this package
(cmn_vfx.model.dis_numpy, which the ONNX runtime shares) import without torch.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # also what the import-cycle walker (tests/test_import_cycles.py) sees
    from cmn_vfx.model.checkpoint import load_model, save_checkpoint
    from cmn_vfx.model.cmn import CMN, MIN_SIZE, build_model
    from cmn_vfx.model.config import ModelConfig

_HOMES = {"load_model": "checkpoint", "save_checkpoint": "checkpoint", "CMN": "cmn", "MIN_SIZE": "cmn",
          "build_model": "cmn", "ModelConfig": "config"}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f"cmn_vfx.model.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'cmn_vfx.model' has no attribute {name!r}")
