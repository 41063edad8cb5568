"""One code path for one CPU, one GPU or many GPUs under torchrun.

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; then we join the process group
(nccl on CUDA, gloo on CPU) and each process drives one device. Without
WORLD_SIZE, the same functions describe a single process (rank 0 of 1).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from cmn_vfx.errors import BadInputError


@dataclass(frozen=True)
class Runtime:
    """Where this process runs: rank, world_size, device."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    """'auto' -> cuda if available else cpu; 'cuda' under torchrun -> cuda:LOCAL_RANK."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise BadInputError(f"--device {name}: no CUDA device here; use --device cpu or auto")
        return torch.device("cuda", local_rank) if name == "cuda" else torch.device(name)
    if name != "cpu":
        raise BadInputError(f"--device {name}: unknown; use cpu, cuda, cuda:N or auto")
    return torch.device("cpu")


def setup(device: str) -> Runtime:
    """Join the process group when launched by torchrun; otherwise a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Runtime(0, 1, pick_device(device))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return Runtime(dist.get_rank(), dist.get_world_size(), dev)


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def mean_over_processes(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """Average scalar logs over all processes (identity for one process)."""
    if not dist.is_initialized() or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    t /= dist.get_world_size()
    return dict(zip(keys, t.tolist()))
