"""Training clips synthesised on the training device from a GPU pack (training/gpu_data.py): torch only.

    src, pha, flow, layers = synth_clips(pack, batch=16, frames=4, size=(288, 512), gen=gen)

The ideas of training/data (portraits.py, compose.py, crowd.add_person, cmn_vfx/synth/motion.py) in batched
tensor form, so that a GPU never waits on a CPU loader: a portrait still moves over a background frame with
smooth random motion (translation, scale, rotation, a camera move shared with the background), optionally
blurred over the shutter; a second person, smaller, behind (70%) or in front, in 40% of the clips; layers
composited premultiplied in linear light, I = aF + (1 - a)B. All motion is affine, so the exact backward
flow is known; it is then averaged over 8x8 blocks, as a block-matching flow (DIS) sees it, and given to the
model in place of its DIS (which is never run). Poses are analytic in time (drift + two slow sines, as
motion._smooth_path), so the shutter samples frame times between t-1 and t exactly.
Coordinates are pixel centres at integers (cv2.warpAffine's and backwarp's convention).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from cmn_vfx_training.gpu_data import Pack, srgb_decode, srgb_encode

SHUTTER_SAMPLES = 3
FLOW_BLOCK = 8
EXTRA_PERSON = 0.4       # data.extra_person of configs/train/v5.yaml
PROCEDURAL_BG = 0.25     # share of procedural backgrounds (data.backgrounds: 0.3 of 1.3)


class Draw:
    """Uniform draws on one device from one generator: draw(lo, hi, *shape); scalar() draws a Python float
    from a CPU generator seeded from the first, so that a per-batch choice never waits for the GPU."""

    def __init__(self, gen: torch.Generator) -> None:
        self.gen = gen
        self.device = gen.device
        self.host = torch.Generator().manual_seed(gen.initial_seed() + 1)

    def scalar(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * float(torch.rand((), generator=self.host))

    def __call__(self, lo: float, hi: float, *shape: int) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(*shape, generator=self.gen, device=self.device)

    def normal(self, *shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=self.gen, device=self.device)

    def chance(self, p: float, *shape: int) -> torch.Tensor:
        return self(0, 1, *shape) < p


def smooth_path(u: Draw, times: torch.Tensor, amplitude, drift) -> torch.Tensor:
    """Per clip, a smooth random path at times [B,...]: drift * t plus two sines of period 12..60 frames.
    amplitude, drift: floats or [B] tensors (pixels, or log-scale, or degrees)."""
    b = times.shape[0]
    view = (b,) + (1,) * (times.dim() - 1)
    amp = torch.as_tensor(amplitude, device=times.device).expand(b).reshape(view)
    dr = torch.as_tensor(drift, device=times.device).expand(b).reshape(view)
    path = (u(-1, 1, b).reshape(view) * dr) * times
    for _ in range(2):
        period, phase = u(12, 60, b).reshape(view), u(0, 2 * math.pi, b).reshape(view)
        path = path + u(0, 1, b).reshape(view) * amp * torch.sin(2 * math.pi * times / period + phase)
    return path


def similarity(x, y, scale, angle_deg, ax, ay) -> torch.Tensor:
    """[...,3,3]: move point (ax, ay) to (x, y), scaling and rotating about it (cmn_vfx.synth.motion._similarity)."""
    r = torch.deg2rad(angle_deg)
    c, s = torch.cos(r) * scale, torch.sin(r) * scale
    one, zero = torch.ones_like(c), torch.zeros_like(c)
    rows = [torch.stack([c, -s, x - c * ax + s * ay], -1), torch.stack([s, c, y - s * ax - c * ay], -1),
            torch.stack([zero, zero, one], -1)]
    return torch.stack(rows, -2)


def camera_matrices(u: Draw, times: torch.Tensor, size: tuple[int, int], speed: torch.Tensor) -> torch.Tensor:
    """[B,T,K,3,3] canvas -> canvas: the camera's move about the canvas centre at each time."""
    h, w = size
    cx, cy = torch.full_like(times, w / 2), torch.full_like(times, h / 2)
    sp = speed.view(-1, 1, 1)
    return similarity(cx + sp * smooth_path(u, times, 0.03 * w, 0.002 * w),
                      cy + sp * smooth_path(u, times, 0.02 * h, 0.001 * h),
                      torch.exp(sp * smooth_path(u, times, 0.02, 0.001)),
                      sp * smooth_path(u, times, 0.5, 0.0), cx, cy)


def subject_matrices(u: Draw, pack: Pack, idx: torch.Tensor, times: torch.Tensor, size: tuple[int, int],
                     speed: torch.Tensor, height: tuple[float, float], across: tuple[float, float],
                     bottom: tuple[float, float]) -> torch.Tensor:
    """[B,T,K,3,3] still -> canvas (camera not included) for stills idx [B] (motion.random_motion's recipe):
    the subject `height` x canvas tall, its anchor at `across` x width and, when the still is cut at the
    bottom, at `bottom` x height (else 0.6..1.0 x height); flipped left-right in half the clips."""
    h, w = size
    b = idx.shape[0]
    ax, ay = pack.anchor[idx, 0].view(b, 1, 1), pack.anchor[idx, 1].view(b, 1, 1)
    base = u(*height, b) * h / pack.height[idx]
    x0 = u(*across, b) * w
    y0 = torch.where(pack.cut[idx], u(*bottom, b), u(0.6, 1.0, b)) * h
    sp = speed.view(b, 1, 1)
    m = similarity(x0.view(b, 1, 1) + sp * smooth_path(u, times, 0.06 * w, 0.004 * w),
                   y0.view(b, 1, 1) + sp * smooth_path(u, times, 0.03 * h, 0.0).abs(),
                   base.view(b, 1, 1) * torch.exp(sp * smooth_path(u, times, 0.05, 0.002)),
                   sp * smooth_path(u, times, 4.0, 0.0), ax.expand_as(times), ay.expand_as(times))
    flip = torch.eye(3, device=times.device).repeat(b, 1, 1)
    flipped = u.chance(0.5, b)
    flip[flipped, 0, 0] = -1
    flip[flipped, 0, 2] = 2 * ax.view(b)[flipped]
    return m @ flip.view(b, 1, 1, 3, 3)


def pixel_grid(size: tuple[int, int], device: torch.device) -> torch.Tensor:
    """[H,W,3] homogeneous pixel-centre coordinates (x, y, 1)."""
    h, w = size
    ys, xs = torch.meshgrid(torch.arange(h, device=device, dtype=torch.float32),
                            torch.arange(w, device=device, dtype=torch.float32), indexing="ij")
    return torch.stack([xs, ys, torch.ones_like(xs)], -1)


def apply(m: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Points of grid [H,W,3] through matrices m [...,3,3] -> [...,H,W,2] (x, y)."""
    return torch.einsum("...ij,hwj->...hwi", m[..., :2, :], grid)


def normalised(points: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Pixel-centre coordinates -> grid_sample's -1..1 (align_corners False) for an image of size (h, w)."""
    h, w = size
    scale = torch.tensor([2.0 / w, 2.0 / h], device=points.device)
    return (points + 0.5) * scale - 1


def render_layer(pack: Pack, idx: torch.Tensor, to_canvas: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Stills idx [B] drawn by still -> canvas matrices [B,T,K,3,3], the K shutter samples averaged:
    [B,T,4,H,W] premultiplied linear RGB + alpha. Each clip samples the level nearest its scale."""
    b, t, k = to_canvas.shape[:3]
    h, w = grid.shape[:2]
    points = apply(torch.linalg.inv(to_canvas), grid)                       # [B,T,K,H,W,2] level-0 pixels
    scale = to_canvas[..., :2, :2].det().abs().sqrt().mean(dim=(1, 2))      # [B]
    level = (-torch.log2(scale.clamp(min=1e-3))).floor().clamp(0, len(pack.levels) - 1).long()
    out = grid.new_zeros(b, 4, t * k * h, w)
    for lv, image in enumerate(pack.levels):
        sel = (level == lv).nonzero().flatten()
        if len(sel):
            f = 2.0 ** lv
            pts = normalised((points[sel] + 0.5) / f - 0.5, image.shape[-2:]).reshape(len(sel), t * k * h, w, 2)
            out[sel] = F.grid_sample(image[idx[sel]], pts, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.view(b, 4, t, k, h, w).mean(3).transpose(1, 2)


def layer_flow(to_canvas: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Exact backward flow t -> t-1 [B,T,2,H,W] of content moved by matrices [B,T,K,3,3] (shutter sample 0
    = the frame's time); frame 0 gets zeros."""
    m = to_canvas[:, :, 0]
    back = m[:, :-1] @ torch.linalg.inv(m[:, 1:])                            # canvas at t -> canvas at t-1
    flow = apply(back, grid) - grid[..., :2]
    flow = torch.cat([torch.zeros_like(flow[:, :1]), flow], 1)
    return flow.permute(0, 1, 4, 2, 3)


def procedural_backgrounds(u: Draw, n: int, size: tuple[int, int]) -> torch.Tensor:
    """[n,3,H,W] sRGB 0..1: a smooth colour field with stripes and blocks (sharp edges behind the subject)."""
    h, w = size
    field = F.interpolate(u(0, 1, n, 3, 4, 6), size=size, mode="bicubic", align_corners=False)
    ys, xs = torch.meshgrid(torch.linspace(0, 1, h, device=u.device), torch.linspace(0, 1, w, device=u.device),
                            indexing="ij")
    freq, angle = u(4, 40, n, 1, 1, 1), u(0, math.pi, n, 1, 1, 1)
    stripes = (torch.sin(2 * math.pi * freq * (xs * torch.cos(angle) + ys * torch.sin(angle))) > 0).float()
    blocks = F.interpolate(u(0, 1, n, 3, 6, 10), size=size, mode="nearest")
    mix = u(0, 0.5, n, 1, 1, 1)
    return (field * (1 - mix) + mix * (0.5 * stripes * u(0, 1, n, 3, 1, 1) + 0.5 * blocks)).clamp(0, 1)


def background(u: Draw, pack: Pack, camera: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """[B,T,3,H,W] linear RGB: a zoomed, flipped window of a pack frame (or a procedural one) seen by the camera."""
    b, t, k = camera.shape[:3]
    h, w = grid.shape[:2]
    bh, bw = pack.backgrounds.shape[-2:]
    frames = pack.backgrounds[torch.randint(len(pack.backgrounds), (b,), generator=u.gen, device=u.device)]
    frames = torch.where(u.chance(0.5, b, 1, 1, 1), frames.flip(-1), frames)
    frames = torch.where(u.chance(PROCEDURAL_BG, b, 1, 1, 1), procedural_backgrounds(u, b, (bh, bw)), frames)
    zoom = u(0.6, 1.0, b) * min(bw / w, bh / h)
    window = torch.zeros(b, 3, 3, device=u.device)
    window[:, 0, 0], window[:, 1, 1], window[:, 2, 2] = zoom, zoom, 1
    window[:, 0, 2] = u(0, 1, b) * (bw - zoom * w)
    window[:, 1, 2] = u(0, 1, b) * (bh - zoom * h)
    points = apply(window.view(b, 1, 1, 3, 3) @ torch.linalg.inv(camera), grid)
    pts = normalised(points, (bh, bw)).reshape(b, t * k * h, w, 2)
    out = F.grid_sample(srgb_decode(frames), pts, mode="bilinear", padding_mode="reflection", align_corners=False)
    return out.view(b, 3, t, k, h, w).mean(3).transpose(1, 2)


def synth_clips(pack: Pack, batch: int, frames: int, size: tuple[int, int],
                gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """`batch` clips of `frames` frames at size (H, W), multiples of 16.

    Returns src [B,T,3,H,W] float 0..1 sRGB, pha [B,T,1,H,W] 0..1 (the truth), flow [B,T,2,H,W] backward
    t -> t-1 in pixels (8x8 block means of the exact flow; frame 0 zeros), and layers [B,2,T,1,H,W] the
    alpha of each person (the second all zero where there is none), for training.gpu_prior's faults.
    """
    u = Draw(gen)
    grid = pixel_grid(size, u.device)
    shutter = torch.where(u.chance(0.5, batch), u(0.3, 1.0, batch), torch.zeros(batch, device=u.device))
    sub = torch.linspace(0, 1, SHUTTER_SAMPLES, device=u.device)
    times = (u(0, 100, batch).view(-1, 1, 1) + torch.arange(frames, device=u.device).view(1, -1, 1)
             - shutter.view(-1, 1, 1) * sub.view(1, 1, -1))                       # [B,T,K]
    n = len(pack.levels[0])
    idx1, idx2 = (torch.randint(n, (batch,), generator=gen, device=u.device) for _ in range(2))
    camera = camera_matrices(u, times, size, u(0.3, 2.0, batch))
    first = camera @ subject_matrices(u, pack, idx1, times, size, u(0.3, 2.0, batch), (0.6, 1.1), (0.3, 0.7),
                                      (1.0, 1.1))
    second = camera @ subject_matrices(u, pack, idx2, times, size, u(0.3, 2.0, batch), (0.3, 0.8), (0.0, 1.0),
                                       (0.75, 1.15))
    one, two = render_layer(pack, idx1, first, grid), render_layer(pack, idx2, second, grid)
    two = two * u.chance(EXTRA_PERSON, batch, 1, 1, 1, 1)
    front = u.chance(0.3, batch, 1, 1, 1, 1)                                 # the second person in front
    top, low = torch.where(front, two, one), torch.where(front, one, two)
    a_top, a_low = top[:, :, 3:], low[:, :, 3:]
    pha = a_top + (1 - a_top) * a_low
    fg_gain, bg_gain = u(0.7, 1.3, batch, 1, 1, 1, 1), u(0.5, 1.5, batch, 1, 1, 1, 1)
    bg = background(u, pack, camera, grid)
    lin = (top[:, :, :3] + (1 - a_top) * low[:, :, :3]) * fg_gain + (1 - pha) * bg * bg_gain
    src = srgb_encode(lin.clamp(0, 1))
    gamma = torch.where(u.chance(0.5, batch), torch.exp(u(math.log(0.8), math.log(1.25), batch)),
                        torch.ones(batch, device=u.device))
    src = src.clamp(min=0) ** gamma.view(-1, 1, 1, 1, 1)
    src = (src + u(0, 0.015, batch).view(-1, 1, 1, 1, 1) * u.normal(*src.shape)).clamp(0, 1)
    f_one, f_two = layer_flow(first, grid), layer_flow(second, grid)
    f_top, f_low = torch.where(front, f_two, f_one), torch.where(front, f_one, f_two)
    flow = a_top * f_top + (1 - a_top) * a_low * f_low + (1 - pha) * layer_flow(camera, grid)
    blocky = F.avg_pool2d(flow.flatten(0, 1), FLOW_BLOCK)
    flow = F.interpolate(blocky, size=size, mode="bilinear", align_corners=False).view_as(flow)
    return src, pha.clamp(0, 1), flow, torch.stack([one[:, :, 3:], two[:, :, 3:]], 1)
