"""Train the heads of a frozen-trunk CMN (default model v5) on the feature cache (training/features.py).

    python -m cmn_vfx_training.heads --config configs/train/v5.yaml              # from scratch (heads start at the prior)
    python -m cmn_vfx_training.heads --config configs/train/v5.yaml --resume     # continue runs/v5/last.pt
    python -m cmn_vfx_training.heads --config configs/train/v5.yaml --minutes 30 # stop (with a checkpoint) after 30 min

Only the 0.57 M parameters above the trunk train (skips, context conv, context-motion operator, GRUs,
alpha decoder); the trunk's deep features come from the cache, its first blocks run on each crop
(a few ms). An iteration is `batch` crops x `frames` frames from a fresh state, so the memory must carry
a subject through a prior that blinks. The clips in the cache are re-listed every 50 iterations: training
can start while the cache is still being filled. Iteration i draws from a generator seeded (seed, i):
a resumed run draws the same crops as a straight one. Checkpoints (out_dir/last.pt, weights only, with
optimizer, schedule and config) every checkpoint_minutes and at the end, kept as out_dir/iterNNNNNN.pt every
keep_every iterations; log.jsonl one line per 10 iterations.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import time

import numpy as np
import torch

from cmn_vfx_training.features import clip_dirs, load_clip
from cmn_vfx_training.heads_config import HeadsConfig
from cmn_vfx_training.losses import edge_weight, temporal_loss, weighted_alpha_loss


def draw(paths: list[str], cfg: HeadsConfig, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """One batch of crops: src [B,T,3,h,w] 0..1 sRGB, pha/prior [B,T,1,h,w] 0..1, flow [B,T,2,h,w],
    f8 [B,T,40,h/8,w/8], f16 [B,T,320,h/16,w/16] (the crop's window of the whole frame's features)."""
    from cmn_vfx_training.data.crowd import fault_prior
    from cmn_vfx_training.data.simulated_prior import simulate_prior

    items = []
    ch, cw = cfg.crop
    for _ in range(cfg.batch):
        clip = load_clip(paths[int(rng.integers(len(paths)))])
        n, h, w = clip["pha"].shape
        t0 = int(rng.integers(0, n - cfg.frames + 1))
        y, x = 16 * int(rng.integers(0, (h - ch) // 16 + 1)), 16 * int(rng.integers(0, (w - cw) // 16 + 1))
        ts = slice(t0, t0 + cfg.frames)
        pha = np.asarray(clip["pha"][ts, y:y + ch, x:x + cw], np.float32) / 255
        prior = np.asarray(clip["prior"][ts, y:y + ch, x:x + cw], np.float32) / 255
        if rng.random() < cfg.simulated or np.abs(prior - pha).mean() > cfg.max_prior_error:
            prior = simulate_prior(pha, rng)
        if rng.random() < cfg.faults:
            prior = fault_prior(prior, rng)
        items.append({
            "src": np.asarray(clip["src"][ts, y:y + ch, x:x + cw], np.float32).transpose(0, 3, 1, 2) / 255,
            "pha": pha[:, None], "prior": np.ascontiguousarray(prior[:, None], np.float32),
            "flow": np.asarray(clip["flow"][ts, :, y:y + ch, x:x + cw], np.float32),
            "f8": np.asarray(clip["f8"][ts, :, y // 8:(y + ch) // 8, x // 8:(x + cw) // 8], np.float32),
            "f16": np.asarray(clip["f16"][ts, :, y // 16:(y + ch) // 16, x // 16:(x + cw) // 16], np.float32)})
    return {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in items[0]}


def clip_loss(model, batch: dict[str, torch.Tensor], cfg: HeadsConfig) -> dict[str, torch.Tensor]:
    """Run the crops frame by frame from a fresh state; the weighted alpha loss summed over frames + coherence."""
    state, prev, preds = None, None, []
    terms = {"l1_alpha": 0.0, "lap_alpha": 0.0}
    for t in range(batch["src"].shape[1]):
        pha, _, state = model(batch["src"][:, t], prev, state, batch["prior"][:, t], with_fgr=False,
                              flow=batch["flow"][:, t] if t else None, late=[batch["f8"][:, t], batch["f16"][:, t]])
        true = batch["pha"][:, t]
        weight = edge_weight(true, batch["prior"][:, t], cfg.band_gain, prior_gain=cfg.prior_gain)
        for k, v in weighted_alpha_loss(pha, true, weight, cfg.lap_levels).items():
            terms[k] = terms[k] + v
        preds.append(pha)
        prev = batch["src"][:, t]
    terms["temporal"] = temporal_loss(torch.stack(preds, 1), batch["pha"])
    terms["total"] = terms["l1_alpha"] + terms["lap_alpha"] + cfg.temporal_weight * terms["temporal"]
    return terms


def train_step(model, batch: dict, cfg: HeadsConfig, opt, sched, params: list) -> dict[str, torch.Tensor]:
    """One optimiser step on a batch (clip_loss, gradient norm clipped to cfg.clip_grad); returns the loss terms."""
    terms = clip_loss(model, batch, cfg)
    opt.zero_grad(set_to_none=True)
    terms["total"].backward()
    torch.nn.utils.clip_grad_norm_(params, cfg.clip_grad)
    opt.step()
    sched.step()
    return terms


def schedule(cfg: HeadsConfig):
    """lr factor at iteration i: linear warm-up, then cosine to 5% of the peak."""
    def factor(i: int) -> float:
        if i < cfg.warmup:
            return (i + 1) / cfg.warmup
        p = min(1.0, (i - cfg.warmup) / max(1, cfg.iterations - cfg.warmup))
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p))
    return factor


def train(cfg: HeadsConfig, resume: bool = False, minutes: float | None = None, init: str | None = None) -> str:
    """Train; returns the path of last.pt. `init`: a checkpoint whose weights start the heads (fine-tuning)."""
    from cmn_vfx.model import ModelConfig, build_model
    from cmn_vfx_training.state import load_training_checkpoint, save_training_checkpoint

    torch.set_num_threads(cfg.threads)
    model = build_model(ModelConfig.from_dict(cfg.model)).to(cfg.device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule(cfg))
    last = os.path.join(cfg.out_dir, "last.pt")
    start = 0
    if resume:
        ckpt = load_training_checkpoint(last)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        start = int(ckpt["iteration"])
        sched.base_lrs = [cfg.lr] * len(opt.param_groups)     # the config's peak lr wins (a run continued at a new lr)
        for group in opt.param_groups:
            group["initial_lr"], group["lr"] = cfg.lr, cfg.lr * schedule(cfg)(start)
    elif init:
        from cmn_vfx.model.checkpoint import read_checkpoint
        model.load_state_dict(read_checkpoint(init)["model"])
    os.makedirs(cfg.out_dir, exist_ok=True)
    model.train()
    began, saved = time.time(), time.time()
    paths: list[str] = []
    log = open(os.path.join(cfg.out_dir, "log.jsonl"), "a")

    def save(i: int, metrics: dict) -> None:
        save_training_checkpoint(last, model, {"train_config": cfg.to_dict(), "iteration": i,
                                               "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                                               "metrics": metrics})

    i, metrics = start, {}
    for i in range(start, cfg.iterations):
        if i % 50 == 0 or not paths:
            paths = clip_dirs(cfg.cache_dir)
            if not paths:
                raise SystemExit(f"heads training: no clips in {cfg.cache_dir}; run python -m cmn_vfx_training.features first")
        rng = np.random.default_rng([cfg.seed, i])
        torch.manual_seed(cfg.seed * 1_000_003 + i)
        batch = {k: v.to(cfg.device) for k, v in draw(paths, cfg, rng).items()}
        terms = train_step(model, batch, cfg, opt, sched, params)
        metrics = {k: round(float(v.detach()), 6) for k, v in terms.items()}
        if i % 10 == 0:
            log.write(json.dumps(dict(metrics, iteration=i, lr=sched.get_last_lr()[0], clips=len(paths),
                                      seconds=round(time.time() - began, 1))) + "\n")
            log.flush()
        if cfg.keep_every and (i + 1) % cfg.keep_every == 0:
            save(i + 1, metrics)
            shutil.copyfile(last, os.path.join(cfg.out_dir, f"iter{i + 1:06d}.pt"))
            saved = time.time()
        elif time.time() - saved > 60 * cfg.checkpoint_minutes:
            save(i + 1, metrics)
            saved = time.time()
        if minutes is not None and time.time() - began > 60 * minutes:
            break
    save(i + 1, metrics)
    log.close()
    return last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train a frozen-trunk CMN's heads on cached trunk features.")
    parser.add_argument("--config", required=True, help="configs/train/v5.yaml")
    parser.add_argument("--resume", action="store_true", help="continue out_dir/last.pt")
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long, with a checkpoint")
    parser.add_argument("--init", default=None, help="start the heads from this checkpoint's weights")
    args = parser.parse_args(argv)
    print(train(HeadsConfig.from_yaml(args.config), args.resume, args.minutes, args.init))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
