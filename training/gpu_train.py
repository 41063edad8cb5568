"""Train the v5 heads on a lent GPU for a fixed number of minutes, from a carried pack: torch and numpy only.

    python -m cmn_vfx_training.gpu_pack --config configs/train/v5.yaml --out runs/gpu_pack       # here, in the .venv
    python3 -m cmn_vfx_training.gpu_train --pack runs/gpu_pack --out OUTDIR --minutes 8  # there: bench/gpu_v5.sh
    python -m cmn_vfx_training.gpu_train --pack runs/gpu_pack --out /tmp/gpu_smoke --minutes 2 --device cpu   # smoke

The machine's own python3 runs it: no OpenCV, PyAV, pymatting, real prior or trunk wheel is needed. Each
iteration synthesises `batch` clips of `frames` frames on the device (training.gpu_synth: a still moved
over a background, exact flow given to the model in place of its DIS; training.gpu_prior: a simulated
prior with faults), runs the frozen trunk live under no_grad, and trains the heads with training.heads'
loss (clip_loss) under bf16 autocast on CUDA (fp32 on the CPU), channels_last, no torch.compile.

The schedule is sized to the clock: after PROBE iterations the measured speed sets the iteration count
so that warm-up + cosine (training.heads.schedule) end at the --minutes deadline, re-planned every 10
iterations if the speed moved by more than 2%. Checkpoints (training.state: the project's format, so
`cmn-matte export-onnx --model OUTDIR/last.pt` and load_model read it; model_config with pretrained None,
the trunk's weights are in the state dict) every checkpoint_minutes and at the end; --stripped PATH also
writes the inference copy there (~15 MB: a device call brings back files of at most 16 MiB).
OUTDIR/log.jsonl gets a line after iteration 1 and every 10th, also printed. --overfit trains on one batch
(the loss must fall: the check that the loop learns, tests/training/test_gpu_train.py).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx_training.gpu_data import Pack, init_heads, load_pack
from cmn_vfx_training.gpu_pack import TRUNK_PREFIX
from cmn_vfx_training.gpu_prior import fault_prior, simulate_prior
from cmn_vfx_training.gpu_synth import Draw, synth_clips
from cmn_vfx_training.heads import schedule, train_step
from cmn_vfx_training.heads_config import HeadsConfig

PROBE = 10          # iterations timed before the schedule is planned (the first 2 are not timed)
RESERVE_S = 10.0    # seconds kept for the last checkpoint
CUDA_BATCH = 16


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise BadInputError("--device cuda: torch sees no CUDA device here; use --device cpu or auto")
    return torch.device(name)


def run_config(manifest: dict, args: argparse.Namespace, device: torch.device) -> HeadsConfig:
    """The pack's training config (or --config's YAML), with this run's device, canvas, batch and output."""
    d = HeadsConfig.from_yaml(args.config).to_dict() if args.config else dict(manifest["train_config"])
    d["model"] = dict(d["model"], pretrained=None)     # the trunk's weights come from the pack
    size = args.size or (d["data"].get("size", (288, 512)) if device.type == "cuda" else d["crop"])
    d.update(device=str(device), out_dir=args.out, crop=[int(v) for v in size],
             batch=args.batch or (CUDA_BATCH if device.type == "cuda" else d["batch"]))
    if args.frames:
        d.update(frames=args.frames, clip_frames=max(args.frames, d["clip_frames"]))
    for key in ("lr", "seed"):
        if getattr(args, key) is not None:
            d[key] = getattr(args, key)
    return HeadsConfig.from_dict(d)


def build(cfg: HeadsConfig, pack: Pack, folder: str, init: str | None, device: torch.device) -> torch.nn.Module:
    """The v5 model: the pack's trunk, the heads from --init, the pack's init_heads.pt or fresh (at the prior)."""
    from cmn_vfx.model import ModelConfig, build_model

    torch.manual_seed(cfg.seed)
    model = build_model(ModelConfig.from_dict(cfg.model))
    model.encoder.trunk.load_state_dict(pack.trunk)
    if init:
        from cmn_vfx.model.checkpoint import read_checkpoint

        heads = {k: v for k, v in read_checkpoint(init)["model"].items() if not k.startswith(TRUNK_PREFIX)}
    else:
        heads = init_heads(folder, pack.manifest)
    if heads is not None:
        missing, unexpected = model.load_state_dict(heads, strict=False)
        if unexpected or any(not k.startswith(TRUNK_PREFIX) for k in missing):
            raise BadInputError(f"--init {init or 'init_heads.pt'}: its heads do not fit this model "
                                f"({len(unexpected)} unexpected, {len(missing)} missing keys); use a v5 checkpoint")
    model = model.to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
        model.channels_last = True
    return model.train()


def make_batch(model, pack: Pack, cfg: HeadsConfig, u: Draw, amp: bool) -> dict[str, torch.Tensor]:
    """training.heads.draw's batch, made on the device: src, pha, prior, flow, f8, f16 (see clip_loss)."""
    with torch.no_grad():
        src, pha, flow, layers = synth_clips(pack, cfg.batch, cfg.frames, cfg.crop, u.gen)
        prior = fault_prior(simulate_prior(pha, u), layers, u, cfg.faults)
        flat = src.flatten(0, 1)
        if model.channels_last:
            flat = flat.contiguous(memory_format=torch.channels_last)
        with torch.autocast(flat.device.type, dtype=torch.bfloat16, enabled=amp):
            f8, f16 = model.encoder.cached_features(flat)
    b, t = src.shape[:2]
    return {"src": src, "pha": pha, "prior": prior, "flow": flow,
            "f8": f8.view(b, t, *f8.shape[1:]), "f16": f16.view(b, t, *f16.shape[1:])}


def autocast_step(model, amp: bool):
    """model's forward under bf16 autocast (when amp), alpha returned in fp32 so that the loss is fp32."""
    def step(*args, **kwargs):
        with torch.autocast(model.encoder.mean.device.type, dtype=torch.bfloat16, enabled=amp):
            pha, fgr, state = model(*args, **kwargs)
        return pha.float(), fgr, state
    return step


class Clock:
    """The --minutes deadline and the iteration plan that ends the schedule there: planned after PROBE
    iterations from the speed since iteration 2, re-planned every 10 iterations when it moved by over 2%
    (the warm-up stays as first planned)."""

    def __init__(self, cfg: HeadsConfig, minutes: float, start: float, fixed: int | None) -> None:
        self.cfg, self.deadline, self.fixed = cfg, start + 60 * minutes - RESERVE_S, fixed
        self.mark: tuple[int, float] | None = None
        if fixed:
            cfg.iterations, cfg.warmup = fixed, max(1, min(cfg.warmup, fixed // 10))

    def tick(self, done: int) -> str | None:
        """Called after `done` iterations; returns a message when the plan was (re)set."""
        now = time.time()
        if self.fixed:
            return None
        if done == 2:
            self.mark = (done, now)
        if self.mark is None or done < PROBE or done % 10:
            return None
        per_it = (now - self.mark[1]) / (done - self.mark[0])
        total = max(done + 1, done + int((self.deadline - now) / per_it))
        if done == PROBE:
            self.cfg.warmup = max(1, min(self.cfg.warmup, total // 10))
        elif abs(total - self.cfg.iterations) <= 0.02 * self.cfg.iterations:
            return None
        self.cfg.iterations = total
        return f"plan: {per_it:.3f} s/iteration -> {total} iterations, warm-up {self.cfg.warmup}"

    def over(self, done: int) -> bool:
        return done >= self.cfg.iterations or time.time() >= self.deadline


def train(args: argparse.Namespace, start: float) -> str:
    """Train until the plan or the clock ends; returns OUTDIR/last.pt."""
    from cmn_vfx.model.checkpoint import strip_checkpoint
    from cmn_vfx_training.state import save_training_checkpoint

    device = pick_device(args.device)
    amp = device.type == "cuda"
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    pack = load_pack(args.pack, device)
    cfg = run_config(pack.manifest, args, device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads or cfg.threads)
    model = build(cfg, pack, args.pack, args.init, device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    clock = Clock(cfg, args.minutes, start, args.iterations)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule(cfg))    # reads cfg.iterations / warmup live
    u = Draw(torch.Generator(device).manual_seed(cfg.seed * 1_000_003 + 1))
    step = autocast_step(model, amp)
    os.makedirs(args.out, exist_ok=True)
    last = os.path.join(args.out, "last.pt")
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    run_info = {"pack": pack.manifest["sha256"], "pack_commit": pack.manifest.get("commit"), "minutes": args.minutes,
                "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                "init": args.init or pack.manifest.get("init")}

    def note(record: dict) -> None:
        line = json.dumps(record)
        log.write(line + "\n")
        log.flush()
        print(line, flush=True)

    def save(done: int, metrics: dict) -> bool:
        if not all(math.isfinite(v) for v in metrics.values()):
            note({"event": "not saved: the loss is not finite", "iteration": done})
            return False
        run = dict(run_info, seconds=round(time.time() - start, 1))
        save_training_checkpoint(last, model, {"train_config": cfg.to_dict(), "iteration": done,
                                               "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                                               "metrics": metrics, "gpu_run": run})
        if args.stripped:
            strip_checkpoint(last, args.stripped)
        note({"event": "checkpoint", "iteration": done, "seconds": round(time.time() - start, 1)})
        return True

    note({"event": "start", "device": run_info["device"], "batch": cfg.batch, "frames": cfg.frames,
          "size": list(cfg.crop), "stills": len(pack.manifest["stills"]), "backgrounds": len(pack.backgrounds),
          "seconds": round(time.time() - start, 1)})
    done, saved, metrics = 0, time.time(), {}
    fixed = make_batch(model, pack, cfg, u, amp) if args.overfit else None
    while not clock.over(done):
        batch = fixed or make_batch(model, pack, cfg, u, amp)
        terms = train_step(step, batch, cfg, opt, sched, params)
        done += 1
        if device.type == "cuda" and (done == 2 or done % 10 == 0):
            torch.cuda.synchronize()            # the clock reads the GPU's time, not the queue's
        due = time.time() - saved > 60 * cfg.checkpoint_minutes
        message = clock.tick(done)
        if message:
            note({"event": message, "iteration": done, "seconds": round(time.time() - start, 1)})
        if done == 1 or done % 10 == 0 or due or clock.over(done):
            metrics = {k: round(float(v.detach()), 6) for k, v in terms.items()}
            note(dict(metrics, iteration=done, lr=sched.get_last_lr()[0], seconds=round(time.time() - start, 1)))
            if not math.isfinite(metrics["total"]):
                break
        if due:
            save(done, metrics)
            saved = time.time()
    save(done, metrics or {k: round(float(v.detach()), 6) for k, v in terms.items()})
    note({"event": "end", "iterations": done, "planned": cfg.iterations, "seconds": round(time.time() - start, 1)})
    log.close()
    return last


def main(argv: list[str] | None = None) -> int:
    start = time.time()
    from cmn_vfx.console import run_cli

    parser = argparse.ArgumentParser(prog="python -m cmn_vfx_training.gpu_train", description=__doc__.splitlines()[0])
    parser.add_argument("--pack", required=True, help="the folder written by python -m cmn_vfx_training.gpu_pack")
    parser.add_argument("--out", required=True, help="OUTDIR: last.pt and log.jsonl go here")
    parser.add_argument("--minutes", type=float, default=8.0, help="wall-clock budget, start-up included")
    parser.add_argument("--init", default=None, help="a checkpoint whose heads start the run (default: the pack's)")
    parser.add_argument("--config", default=None, help="a heads training YAML instead of the pack's (needs PyYAML)")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    parser.add_argument("--batch", type=int, default=None, help=f"clips per iteration (default: {CUDA_BATCH} on CUDA, "
                                                                "the config's batch on the CPU)")
    parser.add_argument("--size", type=int, nargs=2, default=None, metavar=("H", "W"),
                        help="canvas, multiples of 16 (default: data.size on CUDA, the config's crop on the CPU)")
    parser.add_argument("--frames", type=int, default=None, help="frames per clip (default: the config's)")
    parser.add_argument("--iterations", type=int, default=None, help="a fixed count instead of the clock's plan")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the config's)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: the config's)")
    parser.add_argument("--stripped", default=None, help="also write the inference checkpoint here at each save")
    parser.add_argument("--overfit", action="store_true", help="train on one batch drawn once: the loss must fall "
                                                              "(a check of the loop, not a training run)")

    def run(args: argparse.Namespace) -> int:
        print(train(args, start))
        return 0

    return run_cli(parser, argv, run)


if __name__ == "__main__":
    raise SystemExit(main())
