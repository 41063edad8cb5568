"""build_dataset: the one call the training loop makes."""
from __future__ import annotations

import importlib
import os

from cmn_vfx.errors import BadInputError
from cmn_vfx_training.data.config import DataConfig
from cmn_vfx_training.data.dataset import MattingDataset

# type -> (module, class, cache subfolder or None when the source takes no split/cache options)
FOREGROUNDS = {
    'procedural': ('cmn_vfx_training.data.procedural', 'ProceduralSource', None),
    'portraits': ('cmn_vfx_training.data.portraits', 'PortraitSource', 'foreground'),
    'videomatte': ('cmn_vfx_training.data.videomatte', 'VideoMatteSource', None),
}
BACKGROUNDS = {
    'procedural': ('cmn_vfx_training.data.backgrounds', 'ProceduralBackgrounds', None),
    'folder': ('cmn_vfx_training.data.backgrounds', 'BackgroundSource', 'backgrounds'),
}


def _source(entry: dict, table: dict, what: str, cfg: DataConfig):
    """Instantiate one `{type: ..., weight: ..., **options}` entry of data.<what>."""
    if entry['type'] not in table:
        raise BadInputError(f'data.{what}: unknown type {entry["type"]!r}; use one of {", ".join(table)}')
    module, name, cache = table[entry['type']]
    opts = {k: v for k, v in entry.items() if k not in ('type', 'weight')}
    if cache:
        opts.setdefault('split', cfg.split)
        opts.setdefault('cache_dir', cfg.cache_dir and os.path.join(cfg.cache_dir, cache))
    try:
        return getattr(importlib.import_module(module), name)(**opts)
    except TypeError as exc:  # an unknown option in the entry
        raise BadInputError(f'data.{what} ({entry["type"]}): {exc}; see docs/data.md for its options') from exc


def build_dataset(cfg: 'dict | DataConfig') -> MattingDataset:
    """A torch Dataset of T-frame samples from a `data:` config (dict or DataConfig)."""
    if not isinstance(cfg, DataConfig):
        cfg = DataConfig.from_dict(dict(cfg or {}))
    fgs = [_source(e, FOREGROUNDS, 'foregrounds', cfg) for e in cfg.foregrounds]
    bgs = [_source(e, BACKGROUNDS, 'backgrounds', cfg) for e in cfg.backgrounds]
    return MattingDataset(cfg, fgs, [float(e.get('weight', 1.0)) for e in cfg.foregrounds],
                          bgs, [float(e.get('weight', 1.0)) for e in cfg.backgrounds])
