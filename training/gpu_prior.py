"""A person prior simulated on the training device from the true alpha, and the faults of a real one: torch only.

The ideas of training/data/simulated_prior.py (a segmenter that thinks in 16..64 cells across: coarse,
too fat or too thin, noisy at its threshold, false blobs, missed parts, wobbling from frame to frame,
sometimes empty or wrong for a whole clip) and of training/data/crowd.fault_prior (from frame 1 on, a run
of frames where the prior blinks, jumps or loses one of the people) in batched tensor form. The coarse
grid is drawn once per batch (one size for all clips), every other parameter once per clip, and the
jitter once per frame. The drop fault knows the people: it removes one person's layer (dilated), where
fault_prior removes a connected component of the prior.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from cmn_vfx_training.gpu_synth import Draw

FAIL = 0.05


def _blobs(u: Draw, n: int, size: tuple[int, int], count: int, max_rx: float, max_ry: float) -> torch.Tensor:
    """[n,count,H,W] Gaussian blobs at random places (coarse pixels)."""
    h, w = size
    ys, xs = torch.meshgrid(torch.arange(h, device=u.device, dtype=torch.float32),
                            torch.arange(w, device=u.device, dtype=torch.float32), indexing="ij")
    cx, cy = u(0, w, n, count, 1, 1), u(0, h, n, count, 1, 1)
    rx, ry = u(1, max(1.5, max_rx), n, count, 1, 1), u(1, max(1.5, max_ry), n, count, 1, 1)
    return torch.exp(-(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2))


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, max_sigma: float) -> torch.Tensor:
    """x [N,1,H,W] blurred with a per-image sigma [N] <= max_sigma (pixels; separable, reflected borders)."""
    n = x.shape[0]
    radius = max(1, int(math.ceil(3 * max_sigma)))
    taps = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-0.5 * (taps.view(1, -1) / sigma.clamp(min=1e-3).view(-1, 1)) ** 2)
    k = k / k.sum(1, keepdim=True)
    y = x.view(1, n, *x.shape[-2:])
    y = F.conv2d(F.pad(y, (radius, radius, 0, 0), mode="reflect"), k.view(n, 1, 1, -1), groups=n)
    y = F.conv2d(F.pad(y, (0, 0, radius, radius), mode="reflect"), k.view(n, 1, -1, 1), groups=n)
    return y.view_as(x)


def simulate_prior(pha: torch.Tensor, u: Draw) -> torch.Tensor:
    """pha [B,T,1,H,W] 0..1 (the truth) -> prior [B,T,1,H,W] 0..1 (simulated_prior.simulate_prior's recipe)."""
    b, t, _, h, w = pha.shape
    cw = int(min(w, u.scalar(16, 64)))
    ch = max(4, round(h * cw / w))
    clip = lambda *s: (b, 1) + s  # noqa: E731 - a per-clip draw's shape, broadcast over frames
    coarse = F.adaptive_avg_pool2d(pha.flatten(0, 1), (ch, cw)).view(b, t, 1, ch, cw)
    radius = torch.randint(4, (b,), generator=u.gen, device=u.device).view(b, 1, 1, 1, 1)   # -1, 0, 0, +1
    grown = F.max_pool2d(coarse.flatten(0, 1), 3, 1, 1).view_as(coarse)
    shrunk = -F.max_pool2d(-coarse.flatten(0, 1), 3, 1, 1).view_as(coarse)
    coarse = torch.where(radius == 0, shrunk, torch.where(radius == 3, grown, coarse))
    shift = u.normal(b * t, 2) * 0.3 * torch.tensor([2 / cw, 2 / ch], device=u.device)    # coarse pixels
    theta = torch.eye(2, 3, device=u.device).repeat(b * t, 1, 1)
    theta[:, :, 2] = -shift
    warp = F.affine_grid(theta, [b * t, 1, ch, cw], align_corners=False)
    coarse = F.grid_sample(coarse.flatten(0, 1), warp, padding_mode="border", align_corners=False).view_as(coarse)
    noise = F.interpolate(u.normal(b, 1, max(2, 6 * ch // cw), 6), size=(ch, cw), mode="bicubic",
                          align_corners=False).view(b, 1, 1, ch, cw)
    jitter = noise + 0.3 * u.normal(b, t, 1, ch, cw)
    logit = (coarse - u(0.3, 0.7, *clip(1, 1, 1)) + u(0.0, 0.2, *clip(1, 1, 1)) * jitter) / u(0.05, 0.2, *clip(1, 1, 1))
    prob = torch.sigmoid(logit.clamp(-30, 30))
    blobs = _blobs(u, b, (ch, cw), 3, cw / 6, ch / 3) * u(0.4, 1.0, b, 3, 1, 1)
    blobs = blobs * (torch.arange(3, device=u.device).view(1, 3, 1, 1) < torch.randint(
        1, 4, (b, 1, 1, 1), generator=u.gen, device=u.device))                 # 1..3 of them
    blobs = blobs.amax(1).view(b, 1, 1, ch, cw) * u.chance(0.25, *clip(1, 1, 1))   # other people, furniture
    holes = _blobs(u, b, (ch, cw), 1, cw / 6, ch / 6).view(b, 1, 1, ch, cw) * u(0.5, 1.0, *clip(1, 1, 1))
    holes = holes * u.chance(0.2, *clip(1, 1, 1))                            # a missed arm, hair
    prob = torch.maximum(prob, blobs * u(0.9, 1.0, b, t, 1, 1, 1)) * (1 - holes)
    fail = u.chance(FAIL, *clip(1, 1, 1))
    empty = u.chance(0.5, *clip(1, 1, 1))
    prob = torch.where(fail & empty, torch.zeros_like(prob),
                       torch.where(fail, torch.sigmoid(-3 * noise).expand_as(prob), prob))
    up = F.interpolate(prob.flatten(0, 1), size=(h, w), mode="bilinear", align_corners=False)
    sigma = (u(0.25, 1.0, b, 1) * (w / cw) / 4).expand(b, t).flatten()
    return gaussian_blur(up, sigma, (w / cw) / 4).view(b, t, 1, h, w).clamp(0, 1)


def fault_prior(prior: torch.Tensor, layers: torch.Tensor, u: Draw, p: float) -> torch.Tensor:
    """With probability p per clip, one fault over a run of frames from frame 1 on (crowd.fault_prior):
    blink (x 0..0.3), shift (up to 10% across, 5% down) or drop (one person's dilated layer removed).
    prior [B,T,1,H,W] 0..1; layers [B,2,T,1,H,W] each person's alpha (training.gpu_synth.synth_clips)."""
    b, t, _, h, w = prior.shape
    if t < 2:
        return prior
    start = torch.randint(1, t, (b, 1), generator=u.gen, device=u.device)
    length = torch.randint(1, max(2, t // 2) + 1, (b, 1), generator=u.gen, device=u.device)
    frame = torch.arange(t, device=u.device).view(1, t)
    run = ((frame >= start) & (frame < start + length) & u.chance(p, b, 1)).view(b, t, 1, 1, 1)
    kind = torch.randint(3, (b, 1, 1, 1, 1), generator=u.gen, device=u.device)
    blink = prior * u(0.0, 0.3, b, 1, 1, 1, 1)
    theta = torch.eye(2, 3, device=u.device).repeat(b, 1, 1)
    theta[:, 0, 2], theta[:, 1, 2] = -2 * u(-0.1, 0.1, b), -2 * u(-0.05, 0.05, b)
    warp = F.affine_grid(theta, [b, 1, h, w], align_corners=False).repeat_interleave(t, 0)
    shifted = F.grid_sample(prior.flatten(0, 1), warp, padding_mode="zeros", align_corners=False).view_as(prior)
    present = layers.flatten(2).amax(2) > 0.5                                # [B,2]
    pick = torch.where(present[:, 1] & u.chance(0.5, b), 1, 0)
    person = layers[torch.arange(b, device=u.device), pick]                  # [B,T,1,H,W]
    gone = F.max_pool2d((person > 0.5).float().flatten(0, 1), 9, 1, 4).view_as(prior)
    dropped = prior * (1 - gone)
    faulty = torch.where(kind == 0, blink, torch.where(kind == 1, shifted, dropped))
    return torch.where(run, faulty, prior)
