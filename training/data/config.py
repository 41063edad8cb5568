"""DataConfig: the ``data:`` (and ``val_data:``) section of a training config.

    data:
      seq_length: 3                 # T frames per clip
      size: [288, 512]              # canvas [H, W] the clip is rendered at, before the crop
      length: 10000                 # clips per epoch (sources are endless; this is the sampler's range)
      seed: 0
      fixed: false                  # true: clip idx is always the same clip (validation sets)
      split: train                  # train | val | all: held-out portraits and background frames
      cache_dir: .cache/cmn_data    # foreground estimates and decoded background frames (null: none)
      prior: none                   # none | simulated | real | mixed
      prior_model: selfie           # cmn_vfx.prior.load_prior name for real / mixed
      flow: true                    # add flow [T,2,H,W] (+ flow_valid) to every sample
      extra_person: 0.0             # probability of a second person in the clip (cmn_vfx_training.data.crowd)
      prior_faults: 0.0             # probability that the prior blinks, jumps or drops a person
                                    # for some frames after the first (cmn_vfx_training.data.crowd)
      fault_kinds: [blink, shift, drop] # which faults prior_faults draws from
      foregrounds:                  # weighted sources
        - {type: procedural, weight: 1.0}
        - {type: portraits, root: assets/p3m_dev, weight: 1.0, max_side: 800}
        - {type: videomatte, root: /data/VideoMatte240K_JPEG_SD/train, weight: 2.0}
      backgrounds:
        - {type: folder, root: assets/backgrounds, weight: 1.0}
        - {type: procedural, weight: 0.5}
      augment: {crop: 384, flip: 0.5, jpeg: 0.5, h264: 0.25, ...}   # cmn_vfx_training.augment.AugmentConfig
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from cmn_vfx.config_io import dataclass_from_dict
from cmn_vfx.errors import BadInputError
from cmn_vfx_training.augment import AugmentConfig

PRIORS = ('none', 'simulated', 'real', 'mixed')
SPLITS = ('train', 'val', 'all')


@dataclass
class DataConfig:
    """Typed form of the ``data:`` YAML section (see the module docstring)."""

    seq_length: int = 3
    size: tuple[int, int] = (288, 512)
    length: int = 10000
    seed: int = 0
    fixed: bool = False
    split: str = 'train'
    cache_dir: str | None = '.cache/cmn_data'
    prior: str = 'none'
    prior_model: str = 'selfie'
    flow: bool = True
    extra_person: float = 0.0
    prior_faults: float = 0.0
    fault_kinds: tuple[str, ...] = ('blink', 'shift', 'drop')
    foregrounds: list = field(default_factory=lambda: [{'type': 'procedural', 'weight': 1.0}])
    backgrounds: list = field(default_factory=lambda: [{'type': 'procedural', 'weight': 1.0}])
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        if isinstance(self.augment, dict):
            try:
                self.augment = AugmentConfig.from_dict(self.augment)
            except (TypeError, ValueError) as exc:
                raise BadInputError(f'data.augment: {exc}; see docs/data.md for the keys') from exc
        self.size = tuple(int(v) for v in self.size)
        if len(self.size) != 2 or min(self.size) < 32:
            raise BadInputError(f'data.size={list(self.size)}: give [height, width], each at least 32')
        if self.prior not in PRIORS:
            raise BadInputError(f'data.prior={self.prior!r}: use one of {", ".join(PRIORS)}')
        if self.split not in SPLITS:
            raise BadInputError(f'data.split={self.split!r}: use one of {", ".join(SPLITS)}')
        if not (0 <= self.extra_person <= 1 and 0 <= self.prior_faults <= 1):
            raise BadInputError('data.extra_person and data.prior_faults are probabilities: give 0..1')
        bad = [k for k in self.fault_kinds if k not in ('blink', 'shift', 'drop')] or not self.fault_kinds
        if bad:
            raise BadInputError(f'data.fault_kinds={list(self.fault_kinds)}: give some of blink, shift, drop')
        if self.extra_person and self.flow:
            raise BadInputError('data.extra_person needs data.flow: false (a clip of two people has no exact flow)')
        if self.seq_length < 1 or self.length < 1:
            raise BadInputError('data.seq_length and data.length must be at least 1')
        for what in ('foregrounds', 'backgrounds'):
            items = getattr(self, what)
            if not items or not all(isinstance(d, dict) and 'type' in d for d in items):
                raise BadInputError(f'data.{what}: give a list of {{type: ..., weight: ...}} entries')

    @classmethod
    def from_dict(cls, d: dict) -> 'DataConfig':
        return dataclass_from_dict(cls, d, 'data')

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
