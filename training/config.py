"""TrainConfig: everything a training run needs, from YAML, saved in every checkpoint.

    model:  {encoder: resnet50, flow: pwcnet, ...}      # cmn_vfx.model.ModelConfig fields
    data:   {...}                                       # passed to cmn_vfx_training.data.build_dataset
    val_data: {...} | null                              # same, for periodic validation
    phase1: {iterations: 150000, batch_size: 4, train_flow: false}
    phase2: {iterations: 150000, batch_size: 2, train_flow: true}
    lr: 1.0e-4   weight_decay: 0.01   clip_value: 1.0   seq_length: 3
    tbptt: 0              # backprop through segments of this many frames, the state carried
                          # (detached) across them; 0 = through the whole clip (the paper)
    temporal_weight: 0.0  # alpha coherence loss (cmn_vfx_training.losses.temporal_loss); 0 = the paper's loss
    out_dir: runs/cmn   seed: 0   device: auto
    threads: 0            # torch CPU threads per process (0 = torch's default); 1 on a busy CPU
    init_from: null       # start from this checkpoint's weights (fine-tuning; a fresh optimizer
                          # and schedule); relative paths are relative to the working directory

The two phases share ONE OneCycleLR schedule over phase1 + phase2 iterations
(the paper trains 300k iterations with one policy and only unfreezes the flow
net at 150k); `lr` is OneCycleLR's max_lr.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from cmn_vfx.config_io import dataclass_from_dict, load_yaml_mapping
from cmn_vfx.errors import BadInputError

VAL_METRICS = ("mad", "mse", "grad", "dtssd", "fgr_mse")  # what validation computes (lower is better)


@dataclass
class PhaseConfig:
    """One training phase: how long, how many clips per step (per process), flow net trained or frozen."""

    iterations: int
    batch_size: int
    train_flow: bool


@dataclass
class TrainConfig:
    """A training run (see the module docstring for the YAML)."""

    model: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    val_data: dict | None = None
    phase1: PhaseConfig = field(default_factory=lambda: PhaseConfig(150_000, 4, False))
    phase2: PhaseConfig = field(default_factory=lambda: PhaseConfig(150_000, 2, True))
    lr: float = 1e-4
    weight_decay: float = 0.01
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal_strategy: str = "cos"
    clip_value: float = 1.0
    seq_length: int = 3
    tbptt: int = 0               # truncated backprop: segments of this many frames (0 = the whole clip)
    temporal_weight: float = 0.0  # weight of the alpha coherence loss (0 = the paper's loss)
    num_workers: int = 4
    log_every: int = 10
    val_every: int = 5000
    val_clips: int = 8
    best_metric: str = "mad"
    checkpoint_every: int = 5000
    out_dir: str = "runs/cmn"
    seed: int = 0
    device: str = "auto"
    threads: int = 0
    init_from: str | None = None

    def __post_init__(self) -> None:
        for name in ("phase1", "phase2"):
            phase = getattr(self, name)
            if isinstance(phase, dict):
                phase = dataclass_from_dict(PhaseConfig, phase, f"train config {name}")
                setattr(self, name, phase)
            if phase.iterations < 0 or phase.batch_size < 1:
                raise BadInputError(f"train config {name}: iterations must be >= 0 and batch_size >= 1")
        if self.total_iterations < 1:
            raise BadInputError("train config: phase1.iterations + phase2.iterations must be at least 1")
        if self.seq_length < 1 or self.lr <= 0 or self.clip_value <= 0:
            raise BadInputError("train config: seq_length, lr and clip_value must be positive")
        if self.tbptt < 0 or self.temporal_weight < 0:
            raise BadInputError("train config: tbptt and temporal_weight must be >= 0")
        if min(self.log_every, self.val_every, self.checkpoint_every, self.val_clips) < 1:
            raise BadInputError("train config: log_every, val_every, checkpoint_every and val_clips must be >= 1")
        if self.best_metric not in VAL_METRICS:
            raise BadInputError(f"train config: best_metric={self.best_metric!r}; use one of {', '.join(VAL_METRICS)}")
        if self.anneal_strategy not in ("cos", "linear"):
            raise BadInputError(f"train config: anneal_strategy={self.anneal_strategy!r}; use cos or linear")

    @property
    def total_iterations(self) -> int:
        return self.phase1.iterations + self.phase2.iterations

    def phase_at(self, iteration: int) -> tuple[str, PhaseConfig]:
        """('phase1'|'phase2', its config) for a 0-based iteration."""
        if iteration < self.phase1.iterations:
            return "phase1", self.phase1
        return "phase2", self.phase2

    def samples_before(self, iteration: int, world_size: int = 1) -> int:
        """How many clips all processes drew before `iteration` (the data stream position)."""
        first = min(iteration, self.phase1.iterations)
        return world_size * (first * self.phase1.batch_size + (iteration - first) * self.phase2.batch_size)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        return dataclass_from_dict(cls, d, "train config")

    @classmethod
    def from_yaml(cls, path: str) -> "TrainConfig":
        data = load_yaml_mapping(path, "train config")
        try:
            return cls.from_dict(data)
        except BadInputError as exc:
            raise BadInputError(f"{path}: {exc}") from exc
