"""The post-network maths of every runtime, in numpy + OpenCV: edge refinement and guided upsampling.

    refined = refine_alpha(pha, src, "guided")        # [h,w] at the working size (`--refine guided|none`)
    alpha = upsample_alpha(refined, src, guide_hr)    # [H,W] at the plate's size

Both backends (cmn_vfx.engine.torch_backend, cmn_vfx.engine.onnx_backend) call these two; the bench baselines
(bench/baselines.py) use its filters. The parameters live in cmn_vfx.engine.filter_params. There is no torch twin:
on the CPU this is 2-7x faster than the torch one it replaced (refinement 6 against 36-48 ms at 512x288,
upsampling 512x288 -> 1080p 10-11 against 26-28 ms; torch on 1 or 2 threads, a loaded 2-core VM,
2026-12-07), and on a GPU what it needs off the device is the working-size alpha, a small copy (not measured:
no GPU here). Arrays are [H,W] or [H,W,C] float32.
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.engine.filter_params import LUMA, REFINE_EPS, UPSAMPLE_EPS, UPSAMPLE_RADIUS, band_element, guided_params

# Sigma's six distinct entries (row, col), upper triangle row by row.
_ROW, _COL = [0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]


def luminance(src: np.ndarray) -> np.ndarray:
    """[H,W,3] 0..1 sRGB -> [H,W] luma."""
    return src @ np.asarray(LUMA, np.float32)


def trimap_from_prior(prior: np.ndarray, band: int) -> np.ndarray:
    """prior [H,W] 0..1 -> trimap [H,W] float32 {0, 0.5, 1}; unknown band ~2*band px wide."""
    k = band_element(band)
    fg = cv2.erode((prior > 0.5).astype(np.uint8), k)
    bg = cv2.erode((prior <= 0.5).astype(np.uint8), k)
    tri = np.full(prior.shape, 0.5, np.float32)
    tri[fg > 0], tri[bg > 0] = 1.0, 0.0
    return tri


def box_reflect(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over (2r+1)^2 windows, the image mirrored about its edge pixel (cv2.BORDER_REFLECT)."""
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def box_clip(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over (2r+1)^2 windows clipped at the image edge (avg_pool2d, count_include_pad=False)."""
    k = (2 * r + 1, 2 * r + 1)
    total = cv2.boxFilter(x, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    h, w = x.shape[:2]
    count = (_counts(h, r)[:, None] * _counts(w, r)[None, :]).astype(np.float32)
    return total / (count if x.ndim == 2 else count[..., None])


def _counts(n: int, r: int) -> np.ndarray:
    i = np.arange(n)
    return np.minimum(i + r, n - 1) - np.maximum(i - r, 0) + 1


def guided_coeffs(guide: np.ndarray, p: np.ndarray, r: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Colour guided filter's local linear model q = a.I + b: guide [h,w,3], p [h,w] -> a [h,w,3], b [h,w].

    (Sigma + eps I)^-1 cov by the adjugate: 3-8x faster than
    np.linalg.solve on [h*w,3,3], and equal to it to float32 rounding. The arithmetic runs on contiguous
    planes (cv2.split): on channel slices of one [h,w,13] array it took 2x longer.
    """
    g, p = list(cv2.split(np.ascontiguousarray(guide, np.float32))), np.ascontiguousarray(p, np.float32)
    products = [g[c] * p for c in range(3)] + [g[_ROW[k]] * g[_COL[k]] for k in range(6)]
    means = cv2.split(box_reflect(cv2.merge(g + [p] + products), r))
    mean_i, mean_p, mean_ip, mean_ii = means[:3], means[3], means[4:7], means[7:]
    cov = [mean_ip[i] - mean_i[i] * mean_p for i in range(3)]
    diag = (1.0, 0.0, 0.0, 1.0, 0.0, 1.0)
    s00, s01, s02, s11, s12, s22 = (mean_ii[k] - mean_i[_ROW[k]] * mean_i[_COL[k]] + np.float32(eps * diag[k])
                                    for k in range(6))
    adj = [[s11 * s22 - s12 * s12, s02 * s12 - s01 * s22, s01 * s12 - s02 * s11],
           [None, s00 * s22 - s02 * s02, s01 * s02 - s00 * s12],
           [None, None, s00 * s11 - s01 * s01]]
    adj[1][0], adj[2][0], adj[2][1] = adj[0][1], adj[0][2], adj[1][2]
    det = s00 * adj[0][0] + s01 * adj[0][1] + s02 * adj[0][2]
    a = [(adj[i][0] * cov[0] + adj[i][1] * cov[1] + adj[i][2] * cov[2]) / det for i in range(3)]
    b = mean_p - (a[0] * mean_i[0] + a[1] * mean_i[1] + a[2] * mean_i[2])
    return cv2.merge(a), b


def fast_guided_filter(guide: np.ndarray, p: np.ndarray, r: int, eps: float, s: int) -> np.ndarray:
    """Guided filter with coefficients solved at 1/s resolution and applied at full size."""
    h, w = p.shape
    small = (max(1, w // s), max(1, h // s))
    g_s = cv2.resize(guide, small, interpolation=cv2.INTER_AREA) if s > 1 else guide
    p_s = cv2.resize(p, small, interpolation=cv2.INTER_AREA) if s > 1 else p
    r_s = max(1, r // s)
    a, b = guided_coeffs(g_s, p_s, r_s, eps)
    ab = box_reflect(cv2.merge([a, b]), r_s)
    if ab.shape[:2] != (h, w):
        ab = cv2.resize(ab, (w, h), interpolation=cv2.INTER_LINEAR)
    a0, a1, a2, b = cv2.split(ab)
    g = cv2.split(np.ascontiguousarray(guide, np.float32))
    return a0 * g[0] + a1 * g[1] + a2 * g[2] + b


def refine_edges(pha: np.ndarray, src: np.ndarray, band: int | None = None, eps: float = REFINE_EPS) -> np.ndarray:
    """Refine an alpha's edge with a colour guided filter inside a thin band around its 0.5 contour.

    pha [H,W] 0..1, src [H,W,3] 0..1 sRGB (the guide) -> [H,W] 0..1, exactly 0 or 1 outside the band.
    - trimap: alpha > 0.5 eroded by an ellipse of radius `band` (None: 1% of the short side, >= 2) -> 1,
      alpha <= 0.5 eroded -> 0, a band ~2*band px wide around the 0.5 contour unknown;
    - a colour guided filter (He et al. 2010; the fast variant: coefficients solved at 1/s size after an
      area downscale, applied after a bilinear upscale) of the alpha by the frame, kept only in the band.
    eps: the guided filter's regulariser (0..1 colour units squared).
    """
    band, radius, s = guided_params(*pha.shape, band)
    tri = trimap_from_prior(pha, band)
    unknown = tri == 0.5
    rows, cols = np.flatnonzero(unknown.any(1)), np.flatnonzero(unknown.any(0))
    if not len(rows):
        return tri
    out = tri.copy()
    if s == 1:      # the filter only where the band needs it: its box filters reach 2 * radius past the band
        m = 2 * radius + 1
        y0, y1 = max(rows[0] - m, 0), min(rows[-1] + 1 + m, pha.shape[0])
        x0, x1 = max(cols[0] - m, 0), min(cols[-1] + 1 + m, pha.shape[1])
        q = fast_guided_filter(src[y0:y1, x0:x1], pha[y0:y1, x0:x1], radius, eps, s)
        band_px = unknown[y0:y1, x0:x1]
        out[y0:y1, x0:x1][band_px] = q[band_px]
    else:           # subsampled solve: its grid is the whole frame's
        q = fast_guided_filter(src, pha, radius, eps, s)
        out[unknown] = q[unknown]
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def guided_upsample(pha_lr: np.ndarray, guide_lr: np.ndarray, guide_hr: np.ndarray,
                    radius: int = UPSAMPLE_RADIUS, eps: float = UPSAMPLE_EPS) -> np.ndarray:
    """Upsample a matte with the fast guided filter (He, Sun, Tang 2013; He & Sun 2015): in every low-resolution
    window a linear model alpha = a * luma + b, (a, b) box filtered, bilinearly upsampled and applied to the
    full-resolution luma, so edges follow the plate at full resolution.

    pha_lr [h,w] 0..1, guide_lr [h,w] luma 0..1 (network space) at the working size, guide_hr [H,W] the same
    luma at full size; radius in low-res pixels, eps the regulariser -> [H,W] alpha 0..1."""
    mean_i = box_clip(guide_lr, radius)
    mean_p = box_clip(pha_lr, radius)
    cov_ip = box_clip(guide_lr * pha_lr, radius) - mean_i * mean_p
    var_i = box_clip(guide_lr * guide_lr, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    ab = box_clip(np.ascontiguousarray(np.dstack([a, b])), radius)
    ab = cv2.resize(ab, guide_hr.shape[::-1], interpolation=cv2.INTER_LINEAR)
    return np.clip(ab[..., 0] * guide_hr + ab[..., 1], 0.0, 1.0)


def refine_alpha(pha: np.ndarray, src: np.ndarray, mode: str) -> np.ndarray:
    """The engine's edge refinement at the working size: pha [h,w] 0..1, src [h,w,3] 0..1 sRGB -> [h,w];
    mode 'guided' (refine_edges) or 'none' (pha as it is)."""
    return pha if mode == "none" else refine_edges(pha, src)


def upsample_alpha(pha: np.ndarray, src: np.ndarray, guide_hr: np.ndarray) -> np.ndarray:
    """The engine's alpha at the plate's size: pha [h,w] 0..1 and src [h,w,3] 0..1 sRGB at the working size,
    guide_hr [H,W] the plate's luma -> [H,W] float32 0..1 (guided_upsample; as it is when the sizes agree)."""
    if pha.shape == guide_hr.shape:
        return np.ascontiguousarray(pha, np.float32)
    return guided_upsample(pha, luminance(src), guide_hr)
