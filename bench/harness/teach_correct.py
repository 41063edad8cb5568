"""A correction net per shot (issue 28's outside probe, as a bench mode): a small U-Net trained from scratch
on the shot's keys that corrects the automatic matte's logit.

    net, report = teach_correction(src, auto, truth, keys, CorrectSettings(minutes=2.5))
    alphas = apply_correction(net, src, auto)

Input per pixel: the plate (sRGB RGB 0..1 at the working size), the automatic alpha and its edge band (1 within
EDGE_PX of the automatic 0.5 contour). Output: sigmoid(logit(auto) + residual), written as
auto + (sigmoid(logit(auto) + residual) - sigmoid(logit(auto))) so that a zero residual gives the automatic
alpha back bit for bit; the residual's last conv is zero-initialised, so an untrained net changes nothing.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

EDGE_PX = 3          # the auto alpha's edge band: pixels within this many of its 0.5 contour
LOGIT_EPS = 1e-4     # auto alpha clamped to [eps, 1-eps] before its logit


@dataclass
class CorrectSettings:
    minutes: float = 2.5            # training wall time (the loop stops at the first of minutes, iterations)
    iterations: int | None = None   # None: as many as the minutes allow
    crop: int = 160                 # square training crop, px (clamped to the frame)
    batch: int = 4                  # crops per iteration
    lr: float = 2e-3                # the peak; cosine decay to 0 over the budget (minutes or iterations)
    weight_decay: float = 1e-4
    grad_weight: float = 1.0        # weight of the gradient term beside L1
    threads: int = 1
    seed: int = 0


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class CorrectionNet(nn.Module):
    """A 3-level U-Net (16-32-64 channels, about 118k parameters) from [B,5,H,W] (sRGB RGB 0..1, auto alpha
    0..1, edge band 0/1; H and W multiples of 4) to a logit residual [B,1,H,W]; the last conv starts at zero."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.enc1, self.enc2, self.mid = _block(5, w), _block(w, 2 * w), _block(2 * w, 4 * w)
        self.dec2, self.dec1 = _block(6 * w, 2 * w), _block(3 * w, w)
        self.head = nn.Conv2d(w, 1, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([F.interpolate(m, scale_factor=2.0), e2], 1))
        return self.head(self.dec1(torch.cat([F.interpolate(d2, scale_factor=2.0), e1], 1)))


def edge_band(pha: torch.Tensor) -> torch.Tensor:
    """[B,1,H,W] 0/1: pixels within EDGE_PX of the 0.5 contour of pha [B,1,H,W] 0..1 (a square window)."""
    person = (pha > 0.5).float()
    k = 2 * EDGE_PX + 1
    grown = F.max_pool2d(person, k, 1, EDGE_PX)
    shrunk = -F.max_pool2d(-person, k, 1, EDGE_PX)
    return grown - shrunk


def corrected(net: CorrectionNet, src: torch.Tensor, pha: torch.Tensor) -> torch.Tensor:
    """The corrected alpha [B,1,H,W] 0..1 from src [B,3,H,W] sRGB 0..1 and the auto alpha pha [B,1,H,W] 0..1;
    exactly pha where the residual is zero."""
    h, w = pha.shape[-2:]
    pad = (0, -w % 4, 0, -h % 4)
    x = F.pad(torch.cat([src, pha, edge_band(pha)], 1), pad, mode="replicate")
    residual = net(x)[..., :h, :w]
    logit = torch.logit(pha.clamp(LOGIT_EPS, 1 - LOGIT_EPS))
    return pha + (torch.sigmoid(logit + residual) - torch.sigmoid(logit))


def _tensor(frames: list[np.ndarray], idx: list[int]) -> torch.Tensor:
    """[N,C,H,W] float32 from frames [H,W,C] or [H,W] at positions idx."""
    arr = np.stack([frames[i] if frames[i].ndim == 3 else frames[i][..., None] for i in idx])
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).permute(0, 3, 1, 2)


def _augment(stack: torch.Tensor, crop: int, gen: torch.Generator) -> torch.Tensor:
    """One augmented crop of stack [1,5,H,W] (src 3, auto 1, truth 1): scale 0.8-1.2, a random crop (the shift),
    a horizontal flip, colour jitter on src (gain, offset, saturation)."""
    r = lambda lo, hi: float(lo + (hi - lo) * torch.rand((), generator=gen))  # noqa: E731
    h, w = stack.shape[-2:]
    s = max(r(0.8, 1.2), crop / min(h, w))
    stack = F.interpolate(stack, size=(max(crop, round(h * s)), max(crop, round(w * s))), mode="bilinear",
                          align_corners=False)
    y = int(torch.randint(0, stack.shape[-2] - crop + 1, (), generator=gen))
    x = int(torch.randint(0, stack.shape[-1] - crop + 1, (), generator=gen))
    out = stack[..., y:y + crop, x:x + crop]
    if r(0, 1) < 0.5:
        out = out.flip(-1)
    src, rest = out[:, :3], out[:, 3:]
    grey = src.mean(1, keepdim=True)
    src = grey + (src - grey) * r(0.7, 1.3)
    src = (src * r(0.8, 1.2) + r(-0.05, 0.05)).clamp(0, 1)
    return torch.cat([src, rest], 1)


def _loss(pred: torch.Tensor, truth: torch.Tensor, grad_weight: float) -> torch.Tensor:
    """L1 plus L1 of the x and y finite differences (pred, truth [B,1,H,W] 0..1)."""
    dx = lambda a: a[..., :, 1:] - a[..., :, :-1]  # noqa: E731
    dy = lambda a: a[..., 1:, :] - a[..., :-1, :]  # noqa: E731
    grad = (dx(pred) - dx(truth)).abs().mean() + (dy(pred) - dy(truth)).abs().mean()
    return (pred - truth).abs().mean() + grad_weight * grad


def _done(seconds: float, its: int, settings: CorrectSettings) -> float:
    """The fraction of the training budget spent: the larger of the clock's and the iterations' fraction."""
    by_clock = seconds / max(settings.minutes * 60, 1e-9)
    if settings.iterations is None:
        return by_clock
    return max(by_clock, its / settings.iterations if settings.iterations else 1.0)


def teach_correction(src: list[np.ndarray], auto: list[np.ndarray], truth: list[np.ndarray], keys: list[int],
                     settings: CorrectSettings) -> tuple[CorrectionNet, dict]:
    """Train a CorrectionNet on the key frames only: src [T][H,W,3] sRGB 0..1, auto and truth [T][H,W] 0..1,
    keys positions into them. Returns the net and {'iterations', 'seconds', 'loss', 'load'} (load: the
    1-minute load average before and after)."""
    torch.manual_seed(settings.seed)
    gen = torch.Generator().manual_seed(settings.seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    net = CorrectionNet()
    opt = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    stack = torch.cat([_tensor(src, keys), _tensor(auto, keys), _tensor(truth, keys)], 1)
    crop = min(settings.crop, *stack.shape[-2:]) // 4 * 4
    load0, start, its, losses = os.getloadavg()[0], time.monotonic(), 0, []
    try:
        while (done := _done(time.monotonic() - start, its, settings)) < 1:
            for group in opt.param_groups:
                # the last steps at a small rate: at a constant 2e-3 the corrected hat_behind_a moved from
                # 0.71x to 0.97x the automatic MAD between iterations 272 and 279
                group["lr"] = settings.lr * 0.5 * (1 + math.cos(math.pi * done))
            picks = torch.randint(0, len(keys), (settings.batch,), generator=gen).tolist()
            batch = torch.cat([_augment(stack[i:i + 1], crop, gen) for i in picks])
            loss = _loss(corrected(net, batch[:, :3], batch[:, 3:4]), batch[:, 4:5], settings.grad_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            its += 1
    finally:
        torch.set_num_threads(threads)
    return net, {"iterations": its, "seconds": round(time.monotonic() - start, 1),
                 "loss": round(float(np.mean(losses[-20:])), 4) if losses else None,
                 "load": [round(load0, 1), round(os.getloadavg()[0], 1)]}


@torch.no_grad()
def apply_correction(net: CorrectionNet, src: list[np.ndarray], auto: list[np.ndarray]) -> list[np.ndarray]:
    """The corrected alpha [T][H,W] float32 0..1 of every frame (src [T][H,W,3] sRGB 0..1, auto [T][H,W] 0..1)."""
    net.eval()
    out = []
    for t in range(len(src)):
        out.append(corrected(net, _tensor(src, [t]), _tensor(auto, [t]))[0, 0].numpy())
    return out
