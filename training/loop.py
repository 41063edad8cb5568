"""The CMN training loop (paper section 3, "Training").

AdamW (lr 1e-4) with ONE OneCycleLR schedule over phase1 + phase2 iterations;
gradients clipped by value to [-clip_value, clip_value]; BatchNorm frozen
throughout (model.freeze_batchnorm()). Phase 1 freezes the flow net
(requires_grad False and eval mode); phase 2 trains end to end with its own
batch size (a new DataLoader, and a new DDP wrapper because the set of trained
parameters changed). The optimizer holds every parameter from the start:
AdamW skips parameters without gradients, so the frozen flow net is untouched
until phase 2.

Exact resume: iteration i seeds all RNGs from (seed, i, rank) and reads the clips
at stream position TrainConfig.samples_before(i) (cmn_vfx_training.sampling); the
checkpoint holds model, optimizer, scheduler and RNG states. N steps + resume M
steps == N + M straight steps.

Outputs in out_dir: log.jsonl (one JSON object per logged iteration: loss terms,
lr, phase; and one per validation), last.pt (every checkpoint_every iterations
and at the end), best.pt (lowest validation `best_metric`).
"""
from __future__ import annotations

import json
import math
import os
import time

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from cmn_vfx.errors import BadInputError
from cmn_vfx_training import distributed
from cmn_vfx_training.config import TrainConfig
from cmn_vfx_training.losses import matting_loss, temporal_loss
from cmn_vfx_training.sampling import SeededClips, StreamBatchSampler, mix_seed, seed_everything
from cmn_vfx_training.state import load_training_checkpoint, restore_rng, save_training_checkpoint
from cmn_vfx_training.validate import fixed_clips, validate

VAL_SEED_OFFSET = 1_000_003


def _build_model(model_config: dict, load_weights: bool) -> nn.Module:
    from cmn_vfx.model import ModelConfig, build_model

    return build_model(ModelConfig.from_dict(model_config), load_weights=load_weights)


def _build_dataset(data_config: dict, seq_length: int):
    from cmn_vfx_training.data import build_dataset

    return build_dataset(dict(data_config, seq_length=data_config.get("seq_length", seq_length)))


def init_weights(model: nn.Module, path: str) -> None:
    """Load the weights of checkpoint `path` into `model` (same architecture; fine-tuning start).

    A source trained with a sigmoid alpha head starting a prior-residual model gets its last
    alpha conv zeroed, so the fine-tune starts from the prior and keeps the learnt features.
    A source without the context norm (ModelConfig.context_norm) starting a model with it gets the
    norm new (identity affine): everything else is loaded. A source without the previous-alpha input
    (ModelConfig.prev_alpha) gets the convolutions that read the input widened with zero weights for it,
    so the widened model starts with the source's outputs.
    """
    from cmn_vfx.model.checkpoint import read_checkpoint
    from cmn_vfx.model.state_check import state_mismatch

    ckpt = read_checkpoint(path)
    weights = dict(ckpt["model"])
    if model.config.context_norm and not ckpt["model_config"].get("context_norm", False):
        # the group norm on Fea_t is new: it starts as the identity affine (weight 1, bias 0)
        own = model.state_dict()
        weights.update({k: v for k, v in own.items() if k.startswith("encoder.context.1.")})
    if model.config.prev_alpha and not ckpt["model_config"].get("prev_alpha", False):
        weights = _widen_inputs(model.state_dict(), weights)
    detail = state_mismatch(model.state_dict(), weights)
    if detail:
        raise BadInputError(f"init_from {path}: its weights do not fit the configured model ({detail})")
    model.load_state_dict(weights)
    if model.config.prior_residual and not ckpt["model_config"].get("prior_residual", False):
        head = model.decoder_pha.last[-1]
        with torch.no_grad():
            head.weight.zero_()
            head.bias.zero_()


def _widen_inputs(own: dict, weights: dict) -> dict:
    """Source conv weights with fewer input channels than the model's ([O,I,k,k] vs [O,I+n,k,k]): the new
    input channels' weights zero, everything else as the source has it."""
    out = dict(weights)
    for key, target in own.items():
        source = weights.get(key)
        if (source is not None and source.dim() == 4 and target.dim() == 4 and source.shape[1] < target.shape[1]
                and source.shape[0] == target.shape[0] and source.shape[2:] == target.shape[2:]):
            wide = torch.zeros_like(target)
            wide[:, :source.shape[1]] = source
            out[key] = wide
    return out


class ClipForward(nn.Module):
    """model.forward_clip as forward(), so DistributedDataParallel sees the call."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, src: torch.Tensor, prior: torch.Tensor | None = None, state: tuple | None = None,
                prev_src: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, tuple]:
        return self.model.forward_clip(src, prior, state, prev_src)


class Trainer:
    """One run: build or resume, then `run()`."""

    def __init__(self, cfg: TrainConfig, runtime: distributed.Runtime, resume: str | None = None) -> None:
        self.cfg, self.rt = cfg, runtime
        ckpt = load_training_checkpoint(resume) if resume else None
        if ckpt is not None:
            self._check_resumable(ckpt)
            cfg.model = ckpt["model_config"]
        seed_everything(cfg.seed)  # the same initial weights for the same seed
        self.model = _build_model(cfg.model, load_weights=ckpt is None).to(runtime.device)
        if ckpt is None and cfg.init_from:
            init_weights(self.model, cfg.init_from)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=cfg.lr, total_steps=cfg.total_iterations, pct_start=cfg.pct_start,
            anneal_strategy=cfg.anneal_strategy, div_factor=cfg.div_factor, final_div_factor=cfg.final_div_factor)
        self.iteration, self.best, self.val_metrics = 0, math.inf, {}
        if ckpt is not None:
            self.model.load_state_dict(ckpt["model"])
            self.optimizer.load_state_dict(ckpt["optimizer"])
            self.scheduler.load_state_dict(ckpt["scheduler"])
            self.iteration, self.best = int(ckpt["iteration"]), float(ckpt.get("best", math.inf))
            self.val_metrics = dict(ckpt.get("metrics") or {})
            if "rng" in ckpt:
                restore_rng(ckpt["rng"])
        self.dataset = _build_dataset(cfg.data, cfg.seq_length)
        self.val_clips = None
        if cfg.val_data and runtime.is_main:
            val_set = _build_dataset(cfg.val_data, cfg.seq_length)
            self.val_clips = fixed_clips(val_set, min(cfg.val_clips, len(val_set)), cfg.seed + VAL_SEED_OFFSET)
        self.phase, self.net, self.batches = None, None, None
        os.makedirs(cfg.out_dir, exist_ok=True)
        if ckpt is not None and runtime.is_main:
            self._truncate_log()

    def _check_resumable(self, ckpt: dict) -> None:
        saved = TrainConfig.from_dict(ckpt["train_config"])
        if saved.total_iterations != self.cfg.total_iterations or saved.phase1 != self.cfg.phase1:
            raise BadInputError("resume: the config's phases differ from the checkpoint's "
                                f"({saved.phase1}, {saved.phase2}); resume with the same phases or use a new --out")
        if self.cfg.model and self.cfg.model != ckpt["model_config"]:
            from cmn_vfx.model import ModelConfig
            if ModelConfig.from_dict(self.cfg.model).to_dict() != ckpt["model_config"]:
                raise BadInputError("resume: the config's model differs from the checkpoint's; "
                                    "resume with the same model or use a new --out")

    # -- phases ------------------------------------------------------------------------------
    def _enter_phase(self, name: str) -> None:
        phase = getattr(self.cfg, name)
        self.phase = name
        self._train_mode()
        net: nn.Module = ClipForward(self.model)
        if self.rt.world_size > 1:
            ids = [self.rt.device.index] if self.rt.device.type == "cuda" else None
            net = DistributedDataParallel(net, device_ids=ids)
        self.net = net
        sampler = StreamBatchSampler(len(self.dataset), phase.batch_size, self.cfg.seed,
                                     self.cfg.samples_before(self.iteration, self.rt.world_size),
                                     self.rt.rank, self.rt.world_size)
        loader = DataLoader(SeededClips(self.dataset, self.cfg.seed), batch_sampler=sampler,
                            num_workers=self.cfg.num_workers, pin_memory=self.rt.device.type == "cuda")
        self.batches = iter(loader)

    def _train_mode(self) -> None:
        phase = getattr(self.cfg, self.phase)
        self.model.train()
        self.model.freeze_flow(not phase.train_flow)
        if not phase.train_flow and getattr(self.model, "flow", None) is not None:
            self.model.flow.eval()
        self.model.freeze_batchnorm()

    # -- one step ----------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        """One optimisation step at self.iteration; returns the loss terms and lr.

        With tbptt = K the clip runs in segments of K frames: each segment's loss is backpropagated
        on its own and the recurrent state is carried into the next one detached (truncated
        backprop through time), so memory grows with K, not with T; the gradients of all segments
        add up to one step. tbptt = 0 is one segment (the paper's step, unchanged).
        """
        seed_everything(mix_seed(self.cfg.seed, self.iteration, self.rt.rank))
        batch = next(self.batches)
        dev = self.rt.device
        src, true_pha, true_fgr = batch["src"].to(dev), batch["pha"].to(dev), batch["fgr"].to(dev)
        prior = batch.get("prior")
        prior = None if prior is None else prior.to(dev)
        frames = src.shape[1]
        seg = self.cfg.tbptt or frames
        self.optimizer.zero_grad(set_to_none=True)
        sums: dict[str, float] = {}
        state, prev_src, prev_pred = None, None, None
        for start in range(0, frames, seg):
            part = slice(start, start + seg)
            pha, fgr, state = self.net(src[:, part], None if prior is None else prior[:, part], state, prev_src)
            terms = matting_loss(pha, fgr, true_pha[:, part], true_fgr[:, part])
            if self.cfg.temporal_weight:
                prev_true = None if prev_pred is None else true_pha[:, start - 1]
                terms["temporal"] = temporal_loss(pha, true_pha[:, part], prev_pred, prev_true)
                terms["total"] = terms["total"] + self.cfg.temporal_weight * terms["temporal"]
            if not torch.isfinite(terms["total"]):
                raise FloatingPointError(f"loss is {float(terms['total'])} at iteration {self.iteration}; "
                                         "lower lr or check the data")
            terms["total"].backward()
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
            state = tuple(x.detach() for x in state)
            prev_src, prev_pred = src[:, start + seg - 1], pha[:, -1].detach()
        nn.utils.clip_grad_value_([p for p in self.model.parameters() if p.grad is not None], self.cfg.clip_value)
        lr = self.optimizer.param_groups[0]["lr"]
        self.optimizer.step()
        self.scheduler.step()
        self.iteration += 1
        return dict(sums, lr=lr)

    # -- the run -----------------------------------------------------------------------------
    def run(self, stop_after: int | None = None, progress: bool = True) -> dict:
        """Train up to total_iterations (or `stop_after` completed iterations, saving last.pt there)."""
        cfg = self.cfg
        end = cfg.total_iterations if stop_after is None else min(stop_after, cfg.total_iterations)
        bar = tqdm(total=end, initial=self.iteration, disable=not (progress and self.rt.is_main),
                   dynamic_ncols=True, desc="cmn-train")
        terms: dict[str, float] = {}
        started = time.time()
        while self.iteration < end:
            name, _ = cfg.phase_at(self.iteration)
            if name != self.phase:
                self._enter_phase(name)
            terms = self.step()
            bar.update(1)
            bar.set_postfix(loss=f"{terms['total']:.4f}", phase=name[-1])
            if self.iteration % cfg.log_every == 0 or self.iteration == end:
                self._log(dict(distributed.mean_over_processes(terms, self.rt.device),
                               iteration=self.iteration, phase=name, seconds=round(time.time() - started, 2)))
            if self.val_clips is not None and (self.iteration % cfg.val_every == 0 or self.iteration == end):
                self._validate()
            if self.iteration % cfg.checkpoint_every == 0 or self.iteration == end:
                self._save("last.pt")
        bar.close()
        return {"iteration": self.iteration, "losses": terms, "val": self.val_metrics, "best": self.best,
                "rank": self.rt.rank}

    def _validate(self) -> None:
        if self.rt.is_main:
            self.val_metrics = validate(self.model, self.val_clips, self.rt.device)
            self._log({"iteration": self.iteration, "val": self.val_metrics})
            value = self.val_metrics.get(self.cfg.best_metric, math.inf)
            if value < self.best:
                self.best = value
                self._save("best.pt")
        self._train_mode()
        distributed.barrier()

    def _save(self, filename: str) -> None:
        if self.rt.is_main:
            save_training_checkpoint(os.path.join(self.cfg.out_dir, filename), self.model, {
                "train_config": self.cfg.to_dict(), "iteration": self.iteration,
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "metrics": self.val_metrics, "best": self.best})
        distributed.barrier()

    def _truncate_log(self) -> None:
        """Drop records an interrupted run wrote after the checkpoint we resume from."""
        path = os.path.join(self.cfg.out_dir, "log.jsonl")
        if not os.path.isfile(path):
            return
        with open(path, encoding="utf-8") as fh:
            lines = [line for line in fh if line.strip() and json.loads(line).get("iteration", 0) <= self.iteration]
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(lines)

    def _log(self, record: dict) -> None:
        if self.rt.is_main:
            with open(os.path.join(self.cfg.out_dir, "log.jsonl"), "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")


def train(cfg: TrainConfig, resume: str | None = None, stop_after: int | None = None,
          progress: bool = True) -> dict:
    """Run (or resume) training in this process; under torchrun, one process per device."""
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    runtime = distributed.setup(cfg.device)
    try:
        return Trainer(cfg, runtime, resume).run(stop_after, progress)
    finally:
        distributed.teardown()
