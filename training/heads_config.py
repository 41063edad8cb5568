"""HeadsConfig: the YAML of a frozen-trunk (v5) training run (configs/train/v5.yaml; saved in every checkpoint)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from cmn_vfx.config_io import dataclass_from_dict, load_yaml_mapping
from cmn_vfx.errors import BadInputError


@dataclass
class HeadsConfig:
    """model: a ModelConfig dict with frozen_trunk; data: the DataConfig of the cached clips (whole frames,
    no crop); cache_dir: where training/features.py puts them (never in git).
    Each iteration: `batch` clips, `frames` consecutive frames each from a fresh state, a `crop` [H,W]
    (multiples of 16) at a 16-aligned place; the prior is the cached one or, with `simulated`, drawn anew
    from the truth (cmn_vfx_training.data.simulated_prior; also wherever the cached prior's mean error on the crop
    exceeds max_prior_error: the real prior on cartoon backgrounds takes animals for people, far more often
    than on real footage, and a net trained on such priors learns to ignore its prior), then with `faults` blinks, jumps or drops a person.
    Loss: edge- and prior-weighted L1 + Laplacian (`lap_levels` levels) (cmn_vfx_training.losses.edge_weight) + temporal_weight x coherence.
    lr: AdamW peak for the heads (the trunk does not train), cosine after `warmup` iterations (1e-3 collapsed).
    Defaults: the recipe of configs/train/v5.yaml."""

    model: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    cache_dir: str = "runs/cache_v5"
    out_dir: str = "runs/v5"
    clip_frames: int = 8
    iterations: int = 850
    batch: int = 4
    frames: int = 4
    crop: tuple[int, int] = (144, 256)
    simulated: float = 0.4
    max_prior_error: float = 0.05
    faults: float = 0.25
    band_gain: float = 4.0
    prior_gain: float = 1.0
    temporal_weight: float = 2.0
    lap_levels: int = 5                     # Laplacian pyramid levels in the loss (0: L1 alone)
    lr: float = 3e-4
    warmup: int = 100
    weight_decay: float = 0.01
    clip_grad: float = 1.0
    checkpoint_minutes: float = 2.0
    keep_every: int = 0
    threads: int = 1
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        if not self.model.get("frozen_trunk"):
            raise BadInputError("heads training: model.frozen_trunk must be true (only the heads train on cached features)")
        if any(int(c) % 16 for c in self.crop):
            raise BadInputError(f"heads training: crop {list(self.crop)} must be multiples of 16 (the feature grid)")
        if not 2 <= self.frames <= self.clip_frames:
            raise BadInputError(f"heads training: frames must be 2..clip_frames ({self.clip_frames})")
        self.crop = tuple(int(c) for c in self.crop)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "HeadsConfig":
        return dataclass_from_dict(cls, d, "heads training config")

    @classmethod
    def from_yaml(cls, path: str) -> "HeadsConfig":
        return cls.from_dict(load_yaml_mapping(path, "heads training config"))
