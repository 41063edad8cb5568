"""Edge refinement of an alpha at the working size, on the alpha's device (engine `--refine guided`).

Refinement's parameters live in cmn_vfx.engine.filter_params (torch-free; MatteEngine.settings records them in cmn:settings, so
retuning them changes the resume key). cmn_vfx.engine.numpy_filters.refine_edges, the numpy twin (the
torch-free runtime's, and bench/baselines.py's 'guided'), equals this to float32 rounding (tests/test_refine.py):
- trimap: alpha > 0.5 eroded by an ellipse of radius `band` -> 1, alpha <= 0.5 eroded -> 0, and
  a band ~2*band px wide around the 0.5 contour unknown;
- a colour guided filter (He et al. 2010; the fast variant: coefficients solved at 1/s size after
  an area downscale, applied after a bilinear upscale) of the alpha by the frame, kept only in
  the band; 0 / 1 outside it.
Every border matches the cv2 calls of the numpy version: erosion ignores pixels outside the
frame, box means reflect the frame about its edge pixel (cv2.BORDER_REFLECT).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from cmn_vfx.engine.guided_filter import box_mean
from cmn_vfx.engine.filter_params import (BAND_FRACTION, MIN_BAND, RADIUS_BANDS, SUBSAMPLE_SIDE,  # noqa: F401 - re-exported
                                   band_element, guided_params, guided_settings)
from cmn_vfx.engine.filter_params import REFINE_EPS as EPS

# Sigma's six distinct entries (row, col), upper triangle row by row.
_ROW, _COL = [0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]


def refine_edges(pha: torch.Tensor, src: torch.Tensor, band: int | None = None, eps: float = EPS) -> torch.Tensor:
    """Refine an alpha's edge with a colour guided filter inside a thin band around its 0.5 contour.

    Args:
        pha: [B,1,H,W] float alpha 0..1.
        src: [B,3,H,W] float 0..1 sRGB frame (the guide), same size, dtype and device.
        band: half width of the unknown band in px (None: 1% of the short side, >= 2).
        eps: guided filter regulariser (0..1 colour units squared).
    Returns:
        [B,1,H,W] alpha 0..1, exactly 0 or 1 outside the band.
    """
    band, radius, s = guided_params(*pha.shape[-2:], band)
    tri = trimap(pha, band)
    q = colour_guided_filter(src, pha, radius, eps, s)
    return torch.where(tri == 0.5, q, tri).clamp_(0.0, 1.0)


def trimap(pha: torch.Tensor, band: int) -> torch.Tensor:
    """pha [B,1,H,W] 0..1 -> [B,1,H,W] {0, 0.5, 1}, as cmn_vfx.engine.numpy_filters.trimap_from_prior."""
    fg, element = pha > 0.5, band_element(band)
    # erode(m) = not grow_mask(not m); padding the growth with False makes the outside count
    # as neither side, like cv2.erode's default border.
    near_bg, near_fg = grow_mask(~fg, element), grow_mask(fg, element)
    return torch.full_like(pha, 0.5).masked_fill_(~near_bg, 1.0).masked_fill_(~near_fg, 0.0)


def grow_mask(mask: torch.Tensor, element: np.ndarray) -> torch.Tensor:
    """Binary morphological dilation (not the encoder's stride dilation), as cv2.dilate(mask, element)
    with its default border (outside is False).

    mask: [B,C,H,W] bool. element: [k,k] 0/1, k odd, each row a centred run of 1s (an ellipse,
    a square). Each row's run is the OR of two overlapping 2^j-wide windows of a sparse table
    (log2(k) shifted ORs build it), then the k rows are ORed at their offsets: ~3k full-image
    ORs. max_pool2d with (1, 2w+1) kernels gives the same result but is ~15x slower on CPU
    (0.24 s per 1080p mask at k = 23). The ORs run on uint8 (the mask's bytes), 3x faster than on bool.
    """
    k = element.shape[0]
    b, half = k // 2, element.sum(1).astype(int) // 2
    if not np.array_equal(element > 0, np.abs(np.arange(k) - b)[None, :] <= half[:, None]):
        raise ValueError("grow_mask: each row of the structuring element must be a centred run of 1s")
    h, w = mask.shape[-2:]
    table = [F.pad(mask.view(torch.uint8), (b, b))]     # table[j][..., x] = OR of 2^j pixels from x
    while 2 ** len(table) <= k:
        step = 2 ** (len(table) - 1)
        table.append(table[-1][..., :-step] | table[-1][..., step:])
    runs = {}
    for r in set(half.tolist()):
        j = (2 * r + 1).bit_length() - 1
        lo, hi = b - r, b + r + 1 - 2 ** j
        runs[r] = F.pad(table[j][..., lo:lo + w] | table[j][..., hi:hi + w], (0, 0, b, b))
    out = runs[half[0]][..., :h, :]
    for dy in range(1, k):
        out = out | runs[half[dy]][..., dy:dy + h, :]
    return out.view(torch.bool)


def colour_guided_filter(guide: torch.Tensor, p: torch.Tensor, radius: int, eps: float, s: int) -> torch.Tensor:
    """Fast colour guided filter, as numpy_filters.fast_guided_filter: coefficients at 1/s size.

    guide: [B,3,H,W] 0..1 sRGB; p: [B,1,H,W] the image to filter. Returns [B,1,H,W], not clamped.
    """
    h, w = p.shape[-2:]
    size = (max(1, h // s), max(1, w // s))
    r = max(1, radius // s)
    a, b = guided_coeffs(area_resize(guide, size), area_resize(p, size), r, eps)
    ab = box_mean(torch.cat([a, b], 1), r, "reflect")
    if size != (h, w):
        ab = F.interpolate(ab, size=(h, w), mode="bilinear", align_corners=False)
    return (ab[:, :3] * guide).sum(1, keepdim=True) + ab[:, 3:]


def guided_coeffs(guide: torch.Tensor, p: torch.Tensor, radius: int, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Colour guided filter's local linear model p ~ a.I + b in every (2r+1)^2 window.

    guide [B,3,h,w], p [B,1,h,w] -> a [B,3,h,w], b [B,1,h,w].
    """
    means = box_mean(torch.cat([guide, p, guide * p, guide[:, _ROW] * guide[:, _COL]], 1), radius, "reflect")
    mean_i, mean_p, mean_ip, mean_ii = means.split([3, 1, 3, 6], 1)
    cov = (mean_ip - mean_i * mean_p).unbind(1)
    diag = torch.tensor([1.0, 0, 0, 1, 0, 1], dtype=means.dtype, device=means.device).view(1, 6, 1, 1)
    s00, s01, s02, s11, s12, s22 = (mean_ii - mean_i[:, _ROW] * mean_i[:, _COL] + eps * diag).unbind(1)
    # (Sigma + eps I)^-1 cov by the adjugate: per-pixel closed form on any device, where
    # torch.linalg.solve on [h*w,3,3] is slower on CPU; equal to numpy's LU solve to rounding.
    adj = [[s11 * s22 - s12 * s12, s02 * s12 - s01 * s22, s01 * s12 - s02 * s11],
           [None, s00 * s22 - s02 * s02, s01 * s02 - s00 * s12],
           [None, None, s00 * s11 - s01 * s01]]
    adj[1][0], adj[2][0], adj[2][1] = adj[0][1], adj[0][2], adj[1][2]
    det = s00 * adj[0][0] + s01 * adj[0][1] + s02 * adj[0][2]
    a = torch.stack([sum(adj[i][j] * cov[j] for j in range(3)) / det for i in range(3)], 1)
    return a, mean_p - (a * mean_i).sum(1, keepdim=True)


def area_resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Downscale as cv2.resize(x, (w, h), interpolation=cv2.INTER_AREA), integer factor or not.

    x: [B,C,H,W] float, any range; size (h, w) with h <= H, w <= W. Returns [B,C,h,w].
    """
    (h_in, w_in), (h, w) = x.shape[-2:], size
    if (h_in, w_in) == (h, w):
        return x
    if h_in % h == 0 and w_in % w == 0:     # cv2's own fast path: whole blocks
        return F.avg_pool2d(x, (h_in // h, w_in // w))
    for n in (w, h):                    # W, then H: each pass resizes dim -1, then transposes
        idx, wts = _area_taps(x.shape[-1], n)
        x = (x[..., idx.to(x.device)] * wts.to(x)).sum(-1).transpose(-1, -2)
    return x.contiguous()


@lru_cache(maxsize=16)
def _area_taps(n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor]:
    """cv2's INTER_AREA weights (computeResizeAreaTab) as [n_out, taps] source indices and weights:
    each output pixel averages the source interval it covers, fractions under 1e-3 px dropped."""
    scale = n_in / n_out
    rows = []
    for i in range(n_out):
        x0 = i * scale
        x1, cell = x0 + scale, min(scale, n_in - x0)
        hi = min(math.floor(x1), n_in - 1)
        lo = min(math.ceil(x0), hi)
        taps = [(lo - 1, (lo - x0) / cell)] if lo - x0 > 1e-3 else []
        taps += [(j, 1.0 / cell) for j in range(lo, hi)]
        if x1 - hi > 1e-3:
            taps.append((hi, min(x1 - hi, 1.0, cell) / cell))
        rows.append(taps)
    width = max(map(len, rows))
    rows = [taps + [(0, 0.0)] * (width - len(taps)) for taps in rows]
    return torch.tensor([[j for j, _ in t] for t in rows]), torch.tensor([[v for _, v in t] for t in rows])
