"""cmn_vfx_training.sampling: the clip stream is a pure function of (seed, draw), whatever the workers or ranks."""
import torch
from torch.utils.data import DataLoader

from cmn_vfx_training.data import build_dataset
from cmn_vfx_training.sampling import SeededClips, StreamBatchSampler

from training_helpers import tiny_data


def _batches(dataset, workers, start, count=2, batch=2):
    loader = DataLoader(SeededClips(dataset, 7), num_workers=workers,
                        batch_sampler=StreamBatchSampler(len(dataset), batch, 7, start_draw=start))
    it = iter(loader)
    return [next(it)["src"] for _ in range(count)]


def test_workers_and_restart_position_do_not_change_the_clips():
    dataset = build_dataset(tiny_data(length=3, fixed=False, augment={"flip": 0.5, "gamma": 0.5}))
    straight = _batches(dataset, workers=0, start=0, count=3)
    with_workers = _batches(dataset, workers=2, start=0, count=3)
    restarted = _batches(dataset, workers=0, start=2, count=2)   # a resume after one step of batch 2
    assert all(torch.equal(a, b) for a, b in zip(straight, with_workers))
    assert all(torch.equal(a, b) for a, b in zip(straight[1:], restarted))
    assert not torch.equal(straight[0][0], straight[0][1])       # draws differ


def test_ranks_split_each_global_batch_without_overlap():
    seen = []
    for rank in range(3):
        it = iter(StreamBatchSampler(10, 2, seed=1, start_draw=0, rank=rank, world_size=3))
        seen += [d for batch in (next(it), next(it)) for d, _ in batch]
    assert sorted(seen) == list(range(12))
    first_step = [key for rank in range(3)
                  for key in next(iter(StreamBatchSampler(10, 2, seed=1, rank=rank, world_size=3)))]
    assert [d for d, _ in first_step] == list(range(6))
    assert len({idx for _, idx in first_step}) == 6               # a permutation: no repeats within an epoch
