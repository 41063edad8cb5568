"""A deterministic stream of training clips, so that resuming continues the same run.

Every clip a run draws has a position `draw` in one endless stream (all
processes together). The clip index for a draw comes from a per-epoch
permutation seeded by (seed, epoch), and the random state the dataset sees
while making that clip (augmentation) is seeded by (seed, draw). So the data of
iteration i is a pure function of (seed, i, batch sizes, world size): a resumed
run rebuilds the stream at `TrainConfig.samples_before(i)` and sees exactly the
clips it would have seen, with any number of DataLoader workers and processes.
This replaces DistributedSampler (which can only restart at an epoch boundary).
"""
from __future__ import annotations

import random
from typing import Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices) from one integer."""
    seed = int(seed) % (2 ** 63)
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def mix_seed(*parts: int) -> int:
    """A well-spread 63-bit seed from several integers (seed, draw, ...)."""
    state = np.random.SeedSequence([int(p) % (2 ** 63) for p in parts]).generate_state(2, np.uint32)
    return int.from_bytes(state.tobytes(), "little") % (2 ** 63)


class SeededClips(Dataset):
    """Wraps a clip dataset: item (draw, idx) -> dataset[idx] made under seed (seed, draw).

    The wrapped dataset may use python `random`, `np.random` or torch's global RNG,
    or read `self.draw_seed` style hooks: it simply sees freshly seeded global RNGs.
    """

    def __init__(self, dataset: Dataset, seed: int) -> None:
        self.dataset = dataset
        self.seed = int(seed)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]) -> dict:
        draw, idx = key
        seed_everything(mix_seed(self.seed, draw))
        return self.dataset[idx]


class StreamBatchSampler(Sampler):
    """Endless batches of (draw, idx) keys for one process, starting at `start_draw`.

    A global step takes `batch_size * world_size` consecutive draws; process `rank`
    takes its own `batch_size` of them.
    """

    def __init__(self, num_clips: int, batch_size: int, seed: int, start_draw: int = 0,
                 rank: int = 0, world_size: int = 1) -> None:
        if num_clips < 1:
            raise ValueError("the training dataset is empty")
        self.num_clips, self.batch_size, self.seed = num_clips, batch_size, seed
        self.start_draw, self.rank, self.world_size = start_draw, rank, world_size
        self._perm_epoch, self._perm = -1, np.arange(0)

    def index(self, draw: int) -> int:
        """The clip index of a draw (permutation per epoch)."""
        epoch, pos = divmod(draw, self.num_clips)
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng(mix_seed(self.seed, epoch)).permutation(self.num_clips)
            self._perm_epoch = epoch
        return int(self._perm[pos])

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        step = self.start_draw
        while True:
            first = step + self.rank * self.batch_size
            yield [(d, self.index(d)) for d in range(first, first + self.batch_size)]
            step += self.batch_size * self.world_size

    def __len__(self) -> int:  # endless; DataLoader only needs a number
        return 2 ** 62
