"""The training of `cmn-matte teach --method correct`: a correction net (cmn_vfx.model.correction) learns, from
scratch, the shot's keys from the base's refined alpha at the working size.

    net, result = teach_correction(src, pha, keys, CorrectSettings(minutes=3))
    alphas = apply_correction(net, src, pha)

src, pha: what the correction sees at run time (cmn_vfx.teach.capture: the engine's working-size frame and the
base's alpha after the stabiliser and the refinement). An iteration: `batch` crops of the keyframes or, each with
the probability `carried_share`, of the keys carried `propagate` frames to their neighbours by the flow
(cmn_vfx.teach.propagate; the loss weighted by the flow's trust), each augmented (scale 0.8-1.2, a random
crop, a horizontal flip, colour jitter on src), `hard_share` of them centred on a pixel where the alpha is wrong by
more than HARD and `person_share` on a pixel of the key's person (> 0.5), the rest anywhere; loss L1 +
`grad_weight` x L1 of the x and y differences + `l2_weight` x the squared error; AdamW at `lr` with a cosine
decay to 0 over the budget (the first of `minutes` and `iterations` to end), the gradients' norm clipped to `clip`; the net channels-last, its forward in
bfloat16 autocast where the CPU computes bf16 natively (native_bf16: about twice the iterations in the time).

The recipe (docs/teach.md, "Tuning the correction net"): 5 levels capped at 64 channels (the context to tell the
subject from what the automatic pass confused with it), the residual in logit and alpha ('both'), a third of the
crops on mistakes and a third on the person (a small subject is otherwise rarely in a crop).
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cmn_vfx.job.spec import DEFAULT_TEACH_MINUTES
from cmn_vfx.model.correction import SLOPE, CorrectionNet, corrected
from cmn_vfx.teach.budget import report, spent, tick

MIN_DEEPEST = 8     # the crop's side at the net's deepest level at least this many px (levels fewer on a small frame)
HARD = 0.1          # a pixel the alpha gets wrong by more than this is a hard one (hard_share)


@dataclass
class CorrectSettings:
    """The correction net's recipe (saved in the taught checkpoint)."""

    minutes: float | None = DEFAULT_TEACH_MINUTES   # stop after this long (None: iterations only)
    iterations: int | None = None   # stop after this many (None: the minutes only)
    width: int = 16                 # the net: CorrectionNet(width, levels, max_channels, mode)
    levels: int = 5
    max_channels: int = 64
    mode: str = "both"
    slope: float = SLOPE            # the activations' negative slope (cmn_vfx.model.correction.CorrectionNet)
    crop: int = 160                 # square training crop, px (clamped to the frame)
    batch: int = 4                  # crops per iteration
    lr: float = 2e-3                # the peak; cosine decay to 0 over the budget
    weight_decay: float = 1e-4
    clip: float = 1.0               # the gradients' norm clipped to this (a guard; see teach_correction)
    bf16: bool | None = None        # the net's forward in bfloat16 autocast (None: where the CPU has it natively)
    grad_weight: float = 1.0        # weight of the gradient term beside L1
    l2_weight: float = 1.0          # weight of the squared error beside L1 (_loss: why)
    propagate: int = 4              # frames each side of a key its alpha is carried to by the flow (0: the keys alone)
    carried_share: float = 0.5      # share of crops from the carried keys (where there are any; cmn_vfx.teach.propagate)
    hard_share: float = 0.33        # share of crops centred on a hard pixel (where the key has one)
    person_share: float = 0.33      # share of crops centred on a pixel of the key's person (where it has one)
    seed: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def correction(self) -> dict:
        """The model config's `correction` entry for this net."""
        return {"width": self.width, "levels": self.levels, "max_channels": self.max_channels, "mode": self.mode,
                "slope": self.slope}


def _tensor(frames: list[np.ndarray], idx: list[int]) -> torch.Tensor:
    """[N,C,H,W] float32 from frames [H,W,C] or [H,W] at positions idx."""
    arr = np.stack([frames[i] if frames[i].ndim == 3 else frames[i][..., None] for i in idx])
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).permute(0, 3, 1, 2)


def _augment(stack: torch.Tensor, crop: int, gen: torch.Generator, centre: tuple[int, int] | None = None
             ) -> torch.Tensor:
    """One augmented crop of stack [1,5,H,W] (src 3, pha 1, truth 1): scale 0.8-1.2, a random crop (the shift;
    holding `centre` (y, x) when given), a horizontal flip, colour jitter on src (gain, offset, saturation)."""
    r = lambda lo, hi: float(lo + (hi - lo) * torch.rand((), generator=gen))  # noqa: E731
    h, w = stack.shape[-2:]
    s = max(r(0.8, 1.2), crop / min(h, w))
    size = (max(crop, round(h * s)), max(crop, round(w * s)))
    stack = F.interpolate(stack, size=size, mode="bilinear", align_corners=False)
    y = int(torch.randint(0, size[0] - crop + 1, (), generator=gen))
    x = int(torch.randint(0, size[1] - crop + 1, (), generator=gen))
    if centre is not None:
        y = min(max(round(centre[0] * size[0] / h) - crop // 2, 0), size[0] - crop)
        x = min(max(round(centre[1] * size[1] / w) - crop // 2, 0), size[1] - crop)
    out = stack[..., y:y + crop, x:x + crop]
    if r(0, 1) < 0.5:
        out = out.flip(-1)
    src, rest = out[:, :3], out[:, 3:]
    grey = src.mean(1, keepdim=True)
    src = grey + (src - grey) * r(0.7, 1.3)
    src = (src * r(0.8, 1.2) + r(-0.05, 0.05)).clamp(0, 1)
    return torch.cat([src, rest], 1)


def _loss(pred: torch.Tensor, truth: torch.Tensor, grad_weight: float, l2_weight: float,
          weight: torch.Tensor | None = None) -> torch.Tensor:
    """L1, plus L1 of the x and y finite differences, plus the squared error (pred, truth [B,1,H,W] 0..1), each a
    mean weighted per pixel by weight [B,1,H,W] (None: 1; a difference by the lesser of its two pixels').

    Why the squared error: L1 alone pulls to the median, and where the net cannot yet tell a missed part from the
    background around it (hat_behind_b: the head the automatic pass drops) the median is the base's alpha, so some
    seeds never left it. hat_behind_b's captured keys, 200 iterations, one thread, keys' MAD x1e3 (the base's
    33-39): L1 seeds 0-5 9.3, 20.8, 8.2, 10.7, 30.0, 9.2; with the squared error seeds 0, 1, 2, 4: 8.3, 9.5, 9.3,
    8.1; dark_b seed 1: 61.5 -> 31.7; two_a at 400 iterations: 14.9 -> 14.5."""
    dx = lambda a: a[..., :, 1:] - a[..., :, :-1]  # noqa: E731
    dy = lambda a: a[..., 1:, :] - a[..., :-1, :]  # noqa: E731
    if weight is None:
        weight = torch.ones_like(truth)
    mean = lambda e, w: (e * w).sum() / w.sum().clamp_min(1.0)  # noqa: E731
    wx = torch.minimum(weight[..., :, 1:], weight[..., :, :-1])
    wy = torch.minimum(weight[..., 1:, :], weight[..., :-1, :])
    grad = mean((dx(pred) - dx(truth)).abs(), wx) + mean((dy(pred) - dy(truth)).abs(), wy)
    err = pred - truth
    return mean(err.abs(), weight) + grad_weight * grad + l2_weight * mean(err.pow(2), weight)


def _hard_pixels(stack: torch.Tensor) -> list[torch.Tensor]:
    """Per key of stack [K,6,H,W] (src, pha, truth, weight): the (y, x) [N,2] where |pha - truth| > HARD and the
    weight is over a half."""
    return [torch.nonzero(((s[3] - s[4]).abs() > HARD) & (s[5] > 0.5)) for s in stack]


def levels_for(settings: CorrectSettings, size: tuple[int, int]) -> int:
    """settings.levels, or fewer where the frame (h, w) is small: the crop (at most the frame's shorter side) is
    halved levels-1 times and should keep MIN_DEEPEST px (measured on a 42x68 frame, 32 px crops: 5 levels
    left the keys at 27 MAD x1e3 against the base's 31 after 400 iterations, 3 levels at 1.5)."""
    crop = min(settings.crop, *size)
    levels = settings.levels
    while levels > 1 and crop / 2 ** (levels - 1) < MIN_DEEPEST:
        levels -= 1
    return levels


def native_bf16() -> bool:
    """True where the CPU computes bfloat16 natively, as OpenVINO's CPU plugin reports it (the engine's own probe,
    cmn_vfx.engine.onnx_sessions.openvino_precisions: avx512_bf16 or AMX): there the net's forward and backward in
    bf16 autocast take about half the time of float32 (measured on an AVX-512 EPYC, one thread, 4 crops of 160 px:
    0.40 s -> 0.20 s an iteration); elsewhere bf16 is emulated, so float32. About 0.8 s, once a teach."""
    from cmn_vfx.engine.onnx_sessions import openvino_precisions
    try:
        return "bf16" in openvino_precisions()
    except (ImportError, RuntimeError):     # no OpenVINO, or no CPU plugin: float32
        return False


def _person_pixels(stack: torch.Tensor) -> list[torch.Tensor]:
    """Per key of stack [K,6,H,W]: the (y, x) [N,2] where the truth and the weight are over a half."""
    return [torch.nonzero((s[4] > 0.5) & (s[5] > 0.5)) for s in stack]


def teach_correction(src: list[np.ndarray], pha: list[np.ndarray], truth: list[np.ndarray],
                     settings: CorrectSettings, progress=None, carried: list | None = None
                     ) -> tuple[CorrectionNet, dict]:
    """Train a CorrectionNet on keyframes: src [K][H,W,3] sRGB 0..1, pha (the alpha it corrects) and truth [K][H,W] 0..1,
    one entry a key. carried: the keys carried to other frames (cmn_vfx.teach.propagate), [(src, pha, alpha,
    weight [H,W] 0..1)], a crop's loss weighted per pixel by weight (a key's is 1), each crop one of them with the
    probability settings.carried_share. progress: a tqdm-like bar (update, set_postfix) or None. Torch's threads as set.
    Returns the net (eval mode) and {'iterations', 'seconds', 'loss', 'first_loss'} (means of the last and the
    first 20 iterations' losses)."""
    torch.manual_seed(settings.seed)
    gen = torch.Generator().manual_seed(settings.seed)
    net = CorrectionNet(**dict(settings.correction, levels=levels_for(settings, src[0].shape[:2])))
    net = net.to(memory_format=torch.channels_last)
    bf16 = native_bf16() if settings.bf16 is None else settings.bf16
    opt = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    idx = list(range(len(src)))
    ones = [np.ones(t.shape, np.float32) for t in truth]
    stack = torch.cat([_tensor(src, idx), _tensor(pha, idx), _tensor(truth, idx), _tensor(ones, idx)], 1)
    if carried:     # after the keys: [(src, pha, alpha, weight)]
        stack = torch.cat([stack] + [torch.cat([_tensor([a], [0]) for a in row], 1) for row in carried])
    crop = max(net.multiple, min(settings.crop, *stack.shape[-2:]) // net.multiple * net.multiple)
    hard, person = _hard_pixels(stack), _person_pixels(stack)
    start, its, losses = time.monotonic(), 0, []
    net.train()
    while (done := spent(settings.minutes, settings.iterations, its, time.monotonic() - start)) < 1:
        for group in opt.param_groups:
            # the last steps at a small rate: at a constant 2e-3 the corrected hat_behind_a moved from
            # 0.71x to 0.97x the automatic MAD between iterations 272 and 279
            group["lr"] = settings.lr * 0.5 * (1 + math.cos(math.pi * done))
        picks = torch.randint(0, len(idx), (settings.batch,), generator=gen).tolist()
        if carried:     # each crop from a carried key with the probability carried_share
            from_carried = torch.rand(settings.batch, generator=gen) < settings.carried_share
            drawn = torch.randint(len(idx), len(idx) + len(carried), (settings.batch,), generator=gen).tolist()
            picks = [d if c else p for p, d, c in zip(picks, drawn, from_carried.tolist())]
        crops = []
        for i in picks:
            u, centre = float(torch.rand((), generator=gen)), None
            pool = hard[i] if u < settings.hard_share else (
                person[i] if u < settings.hard_share + settings.person_share else None)
            if pool is not None and len(pool):
                centre = tuple(pool[int(torch.randint(0, len(pool), (), generator=gen))].tolist())
            crops.append(_augment(stack[i:i + 1], crop, gen, centre))
        batch = torch.cat(crops).contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            pred = corrected(net, batch[:, :3], batch[:, 3:4])
        loss = _loss(pred.float(), batch[:, 4:5], settings.grad_weight, settings.l2_weight, batch[:, 5:6])
        opt.zero_grad()
        loss.backward()
        # a guard, not a recipe: on real clips the norm stays under it (fast_a, 400 iterations: median 0.10, max
        # 0.94); unclipped, the tiny test shot at lr 5e-3 blew up on an AVX-512 EPYC (norm 4 -> 2e5 from
        # iteration 250 on; keys 326 MAD x1e3 against the base's 31) and fits them (1.7) clipped
        torch.nn.utils.clip_grad_norm_(net.parameters(), settings.clip)
        opt.step()
        losses.append(float(loss.detach()))
        its += 1
        tick(progress, losses)
    net.eval()
    return net, dict(report(its, time.monotonic() - start, losses), bf16=bf16)


@torch.no_grad()
def apply_correction(net: CorrectionNet, src: list[np.ndarray], pha: list[np.ndarray]) -> list[np.ndarray]:
    """The corrected alpha [T][H,W] float32 0..1 of every frame (src [T][H,W,3] sRGB 0..1, pha [T][H,W] 0..1)."""
    net.eval()
    return [corrected(net, _tensor(src, [t]), _tensor(pha, [t]))[0, 0].numpy() for t in range(len(src))]
