"""Periodic validation: run the model over fixed validation clips and score them with cmn_vfx.metrics."""
from __future__ import annotations

import torch
from torch.utils.data import Dataset

from cmn_vfx.metrics import MetricAccumulator
from cmn_vfx_training.config import VAL_METRICS
from cmn_vfx_training.sampling import SeededClips


def fixed_clips(dataset: Dataset, count: int, seed: int) -> list[dict]:
    """`count` clips drawn once with a fixed seed, so every validation sees the same data."""
    seeded = SeededClips(dataset, seed)
    return [seeded[(draw, draw % len(dataset))] for draw in range(count)]


@torch.no_grad()
def validate(model: torch.nn.Module, clips: list[dict], device: torch.device,
             metrics: tuple[str, ...] = VAL_METRICS) -> dict[str, float]:
    """Mean metrics over clips (each from a fresh recurrent state); leaves the model in eval mode.

    clips: dicts of src [T,3,H,W] 0..1 sRGB, pha [T,1,H,W], fgr [T,3,H,W], optional prior [T,1,H,W].
    """
    model.eval()
    acc = MetricAccumulator(metrics=metrics)
    for clip in clips:
        prior = clip.get("prior")
        pha, fgr, _ = model.forward_clip(clip["src"][None].to(device),
                                         None if prior is None else prior[None].to(device))
        pha, fgr = pha[0, :, 0].float().cpu().numpy(), fgr[0].float().clamp(0, 1).cpu().numpy()
        true_pha, true_fgr = clip["pha"][:, 0].numpy(), clip["fgr"].numpy()
        acc.reset_sequence()
        for t in range(pha.shape[0]):
            acc.update(pha[t], true_pha[t], fgr[t].transpose(1, 2, 0), true_fgr[t].transpose(1, 2, 0))
    return acc.result()
