"""Training data: foreground sources x background sources -> augmented T-frame samples.

    from cmn_vfx_training.data import build_dataset
    dataset = build_dataset(cfg)      # cfg: the `data:` dict of a training config, or a DataConfig
    sample = dataset[0]               # src/pha/fgr/bgr [T,C,H,W] float 0..1 (+ prior, flow, flow_valid)

Keys and defaults: training/data/config.py and docs/data.md.
"""
from __future__ import annotations

from cmn_vfx_training.data.config import DataConfig
from cmn_vfx_training.data.factory import build_dataset

__all__ = ['DataConfig', 'build_dataset']
