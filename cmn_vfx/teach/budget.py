"""The teaching budget both methods share (fit.py: the heads, correct.py: the correction net): how much of it an
iteration has spent, the progress bar's tick, and the training's report.

    while spent(settings.minutes, settings.iterations, its, seconds) < 1: ...
"""
from __future__ import annotations

import numpy as np


def spent(minutes: float | None, iterations: int | None, its: int, seconds: float) -> float:
    """The fraction of the budget spent after `its` iterations in `seconds`: the larger of the clock's (minutes;
    None: no clock) and the count's (iterations; None: no count, 0: spent at once)."""
    parts = [seconds / max(60 * minutes, 1e-9) if minutes is not None else 0.0]
    if iterations is not None:
        parts.append(its / iterations if iterations else 1.0)
    return max(parts)


def tick(progress, losses: list[float]) -> None:
    """One iteration on a tqdm-like bar (update, set_postfix) or None, the last 20 losses' mean beside it."""
    if progress is not None:
        progress.update(1)
        progress.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", refresh=False)


def report(its: int, seconds: float, losses: list[float]) -> dict:
    """{'iterations', 'seconds', 'loss', 'first_loss'}: the means of the last and the first 20 losses."""
    mean = lambda xs: round(float(np.mean(xs)), 6) if xs else None  # noqa: E731
    return {"iterations": its, "seconds": round(seconds, 1), "loss": mean(losses[-20:]), "first_loss": mean(losses[:20])}
