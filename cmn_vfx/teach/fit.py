"""The fine-tune of `cmn-matte teach`: the heads of a frozen-trunk CMN (v5) learn one shot from its keys.

    settings = TeachSettings(minutes=3)
    result = fit(model, shot, settings)          # model's heads trained in place; result: loss, iterations
    mad = key_errors(model, shot)                # {frame: MAD x1e3 of a sequential pass on each key}

The parameters that train are those cmn_vfx_training.heads trains (every one that requires grad: skips,
context conv, operator, GRUs, alpha decoder); the trunk is frozen and its deep features come from the
Shot, computed once. An iteration runs:
- `key_windows` windows that END at a keyframe and start fresh 0..window-1 frames before it (never across
  a cut), so the state that reaches the key is trained, as in the run that starts a few frames earlier;
  the key supervises its frame with the edge- and prior-weighted L1 + Laplacian (cmn_vfx.losses);
- one window anywhere in the shot, unsupervised;
- on every consecutive pair of predicted alphas, a coherence term: |a_t - a_{t-1} warped by the cached
  flow| where the warp is valid, weight `temporal_weight` (small: the flow is wrong at occlusions).
Each window is a crop aligned to the 16 px feature grid (whole frames when smaller), placed on the key's
matte most of the time so that the person is in it.

No colour jitter: the taught model only ever sees this shot, graded as it is, and the cached deep features
belong to the un-jittered frame; jittering only the early blocks' input would pair the heads' fine features
with deep ones of another picture, which the run never shows them.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from cmn_vfx.job.names import DEFAULT_WARMUP
from cmn_vfx.job.spec import DEFAULT_TEACH_MINUTES
from cmn_vfx.losses import edge_weight, weighted_alpha_loss
from cmn_vfx.model.backwarp import backwarp
from cmn_vfx.model.cmn import CMN
from cmn_vfx.teach.budget import report, spent, tick
from cmn_vfx.teach.shot import Shot, cut

Box = tuple[int, int, int, int]        # y, x, h, w on the padded frame, multiples of 16


@dataclass
class TeachSettings:
    """How long and how the heads learn (saved in the taught checkpoint)."""

    minutes: float | None = DEFAULT_TEACH_MINUTES   # stop after this long (None: --iterations only)
    iterations: int | None = None      # stop after this many (None: --minutes only)
    lr: float = 1e-4                   # AdamW peak, cosine to 5% over the run (time or iterations)
    warmup: int = 10                   # iterations of linear warm-up
    window: int = 4                    # a key window holds 1..window frames ending at the key
    key_windows: int = 2               # key windows per iteration
    free_frames: int = 2               # frames of the unsupervised window per iteration (0: none)
    crop: tuple[int, int] = (160, 256) # h, w (multiples of 16)
    on_matte: float = 0.75             # share of key crops placed on the key's matte
    temporal_weight: float = 1.0
    band_gain: float = 4.0
    prior_gain: float = 2.0
    clip_grad: float = 1.0
    seed: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def fit(model: CMN, shot: Shot, settings: TeachSettings, progress=None) -> dict:
    """Train the model's heads on the shot in place. progress: a tqdm-like bar (update, set_postfix) or None.
    Returns {'iterations', 'seconds', 'loss' (mean of the last 20 iterations' totals), 'first_loss'}."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=settings.lr, weight_decay=0.0)
    model.train()
    began, totals, i = time.monotonic(), [], 0
    while spent(settings.minutes, settings.iterations, i, time.monotonic() - began) < 1:
        for group in opt.param_groups:
            group["lr"] = settings.lr * _factor(settings, i, time.monotonic() - began)
        rng = np.random.default_rng([settings.seed, i])
        terms = _step_loss(model, shot, settings, rng)
        opt.zero_grad(set_to_none=True)
        terms["total"].backward()
        torch.nn.utils.clip_grad_norm_(params, settings.clip_grad)
        opt.step()
        totals.append(float(terms["total"].detach()))
        i += 1
        tick(progress, totals)
    model.eval()
    return report(i, time.monotonic() - began, totals)


def _factor(settings: TeachSettings, i: int, seconds: float) -> float:
    """lr factor: linear warm-up, then cosine to 5% over the run's progress (the later of time and count)."""
    if i < settings.warmup:
        return (i + 1) / settings.warmup
    p = min(1.0, spent(settings.minutes, settings.iterations, i, seconds))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p))


def _step_loss(model: CMN, shot: Shot, settings: TeachSettings, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    keys = sorted(shot.keys)
    sup, coherence = [], []
    for _ in range(settings.key_windows):
        key = keys[int(rng.integers(len(keys)))]
        start = max(shot.start_before(key), key - int(rng.integers(settings.window)))
        box = _crop_box(shot, settings, rng, shot.keys[key] if rng.random() < settings.on_matte else None)
        preds, pairs = _run_window(model, shot, start, key, box)
        true, prior = cut(shot.keys[key][None], box), cut(shot.prior[key:key + 1], box).float()
        weight = edge_weight(true, prior, settings.band_gain, prior_gain=settings.prior_gain) * cut(shot.valid[None], box)
        sup.append(sum(weighted_alpha_loss(preds[-1], true, weight).values()))
        coherence += pairs
    if settings.free_frames > 1:
        end = int(rng.integers(len(shot.frames)))
        start = max(shot.start_before(end), end - settings.free_frames + 1)
        coherence += _run_window(model, shot, start, end, _crop_box(shot, settings, rng, None))[1]
    terms = {"alpha": sum(sup) / len(sup)}
    terms["coherence"] = sum(coherence) / len(coherence) if coherence else terms["alpha"].new_zeros(())
    terms["total"] = terms["alpha"] + settings.temporal_weight * terms["coherence"]
    return terms


def _run_window(model: CMN, shot: Shot, start: int, end: int, box: Box) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Frames start..end from a fresh state, cropped to box -> (alphas [1,1,h,w], coherence terms)."""
    state, prev, preds, pairs = None, None, [], []
    valid = cut(shot.valid[None], box)
    for idx in range(start, end + 1):
        f = shot.frame(idx, box)
        flow = f["flow"] if prev is not None else None
        pha, _, state = model(f["src"], prev, state, f["prior"], with_fgr=False, flow=flow, late=[f["f8"], f["f16"]])
        if preds:
            warped, inside = backwarp(preds[-1], f["flow"])
            mask = inside * valid
            pairs.append((mask * (pha - warped).abs()).sum() / mask.sum().clamp(min=1.0))
        preds.append(pha)
        prev = f["src"]
    return preds, pairs


def _crop_box(shot: Shot, settings: TeachSettings, rng: np.random.Generator, matte: torch.Tensor | None) -> Box:
    """A crop aligned to 16 px; with a matte, one that holds a random pixel of it (alpha > 0.5, or > 0)."""
    full_h, full_w = shot.src.shape[-2:]
    h, w = min(settings.crop[0], full_h), min(settings.crop[1], full_w)
    if matte is not None:
        ys, xs = np.nonzero(matte[0].numpy() > 0.5)
        if len(ys):
            j = int(rng.integers(len(ys)))
            y = int(np.clip(ys[j] - h // 2, 0, full_h - h)) // 16 * 16
            x = int(np.clip(xs[j] - w // 2, 0, full_w - w)) // 16 * 16
            return y, x, h, w
    return 16 * int(rng.integers((full_h - h) // 16 + 1)), 16 * int(rng.integers((full_w - w) // 16 + 1)), h, w


@torch.inference_mode()
def sequential_alphas(model: CMN, shot: Shot, indices: list[int] | None = None) -> dict[int, torch.Tensor]:
    """The network's alpha [1,1,h,w] (working size, unpadded) for `indices` (default: the keys), as `cmn-matte
    run` makes it before refinement: each after up to DEFAULT_WARMUP frames before it (the engine's warm-up
    rule, cmn_vfx.job.warmup), so a long shot's fit check costs a few frames a key, not the whole shot."""
    keep = set(shot.keys if indices is None else indices)
    run = sorted({i for k in keep for i in range(max(shot.start_before(k), k - DEFAULT_WARMUP), k + 1)})
    model.eval()
    w, h = shot.size
    state, prev, out = None, None, {}
    for idx in run:
        f = shot.frame(idx)
        fresh = idx in shot.starts or idx - 1 not in run
        pha, _, state = model(f["src"], None if fresh else prev, None if fresh else state, f["prior"], with_fgr=False,
                              flow=None if fresh else f["flow"], late=[f["f8"], f["f16"]])
        prev = f["src"]
        if idx in keep:
            out[idx] = pha[..., :h, :w].clone()
    return out


def key_errors(model: CMN, shot: Shot) -> dict[int, float]:
    """{frame: MAD x1e3 of the network's alpha against the key} at the working size (sequential_alphas)."""
    w, h = shot.size
    alphas = sequential_alphas(model, shot)
    return {shot.frames[i]: round(float((a - shot.keys[i][None, :, :h, :w]).abs().mean()) * 1e3, 3)
            for i, a in alphas.items()}
