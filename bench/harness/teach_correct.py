"""bench.teach_eval --method correct: the product's correction net (cmn_vfx.model.correction) and its training
(cmn_vfx.teach.correct), fed the automatic run's final alpha as the issue's outside probe was, keys by position,
on one thread by default (the probe's figures in docs/teach.md were made so).

    net, report = teach_correction(src, auto, truth, keys, CorrectSettings(minutes=2.5))
    alphas = apply_correction(net, src, auto)
"""
from __future__ import annotations

import os

import numpy as np
import torch

from cmn_vfx.teach import correct
from cmn_vfx.teach.correct import CorrectSettings, apply_correction  # noqa: F401 - the bench's names

__all__ = ["CorrectSettings", "apply_correction", "teach_correction"]


def teach_correction(src: list[np.ndarray], auto: list[np.ndarray], truth: list[np.ndarray], keys: list[int],
                     settings: CorrectSettings, threads: int = 1) -> tuple[torch.nn.Module, dict]:
    """cmn_vfx.teach.correct.teach_correction on the frames at positions `keys` (src [T][H,W,3] sRGB 0..1, auto
    and truth [T][H,W] 0..1) on `threads` torch threads; its report plus 'load', the 1-minute load average
    before and after."""
    load0, before = os.getloadavg()[0], torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        net, report = correct.teach_correction([src[i] for i in keys], [auto[i] for i in keys],
                                               [truth[i] for i in keys], settings)
    finally:
        torch.set_num_threads(before)
    return net, dict(report, load=[round(load0, 1), round(os.getloadavg()[0], 1)])
