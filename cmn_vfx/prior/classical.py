"""Prior + classical matting baselines (no learning): trimap from the prior, then refine.

The default model must beat these (issue 6), so they are kept simple and documented:
- trimap: prior > 0.5 eroded -> 1, prior < 0.5 eroded -> 0, a band of 2*`band` px unknown;
  band, guided radius and eps are the engine's refinement parameters (cmn_vfx.engine.refine,
  which owns them: `--refine guided` is this 'guided' method in torch);
- 'guided': colour guided filter (He et al. 2010, fast subsampled variant) of the prior
  with the frame as guide, clamped to the trimap's known regions;
- 'closed_form': pymatting's closed-form matting (Levin et al. 2008) on the trimap,
  solved at most `cf_max_side` px wide and upsampled (it is ~seconds per frame).
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.engine.refine import EPS, band_element, guided_params
from cmn_vfx.errors import BadInputError


def trimap_from_prior(prior: np.ndarray, band: int) -> np.ndarray:
    """prior [H,W] 0..1 -> trimap [H,W] float32 {0, 0.5, 1}; unknown band ~2*band px wide."""
    k = band_element(band)
    fg = cv2.erode((prior > 0.5).astype(np.uint8), k)
    bg = cv2.erode((prior <= 0.5).astype(np.uint8), k)
    tri = np.full(prior.shape, 0.5, np.float32)
    tri[fg > 0], tri[bg > 0] = 1.0, 0.0
    return tri


def _box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def _guided_coeffs(guide: np.ndarray, p: np.ndarray, r: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Colour guided filter's local linear model q = a.I + b: guide [h,w,3], p [h,w] -> a [h,w,3], b [h,w]."""
    mean_i = _box(guide, r)
    mean_p = _box(p, r)
    cov_ip = _box(guide * p[..., None], r) - mean_i * mean_p[..., None]
    var = _box(np.einsum("hwi,hwj->hwij", guide, guide).reshape(*p.shape, 9), r).reshape(*p.shape, 3, 3)
    var = var - np.einsum("hwi,hwj->hwij", mean_i, mean_i) + eps * np.eye(3, dtype=np.float32)
    a = np.linalg.solve(var, cov_ip[..., None])[..., 0].astype(np.float32)
    b = mean_p - (a * mean_i).sum(-1)
    return a, b


def fast_guided_filter(guide: np.ndarray, p: np.ndarray, r: int, eps: float, s: int) -> np.ndarray:
    """Guided filter with coefficients solved at 1/s resolution and applied at full size."""
    h, w = p.shape
    small = (max(1, w // s), max(1, h // s))
    g_s = cv2.resize(guide, small, interpolation=cv2.INTER_AREA)
    p_s = cv2.resize(p, small, interpolation=cv2.INTER_AREA)
    r_s = max(1, r // s)
    a, b = _guided_coeffs(g_s, p_s, r_s, eps)
    a, b = _box(a, r_s), _box(b, r_s)
    a = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    return (a * guide).sum(-1) + b


def _closed_form(src: np.ndarray, tri: np.ndarray, max_side: int) -> np.ndarray:
    from pymatting import estimate_alpha_cf

    h, w = tri.shape
    k = min(1.0, max_side / max(h, w))
    if k < 1.0:
        size = (max(1, round(w * k)), max(1, round(h * k)))
        src_s = cv2.resize(src, size, interpolation=cv2.INTER_AREA)
        tri_s = cv2.resize(tri, size, interpolation=cv2.INTER_NEAREST)
    else:
        src_s, tri_s = src, tri
    if not ((tri_s == 1).any() and (tri_s == 0).any() and (tri_s == 0.5).any()):
        return tri  # the downscale lost the fg or bg: leave the band unknown (0.5)
    pha = estimate_alpha_cf(src_s.astype(np.float64), tri_s.astype(np.float64))
    return cv2.resize(pha.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def classical_matte(src: np.ndarray, prior: np.ndarray, method: str = "guided", band: int | None = None,
                    eps: float = EPS, cf_max_side: int = 512) -> np.ndarray:
    """Refine a person prior into an alpha matte with classical matting.

    Args:
        src: [H,W,3] float32 0..1 sRGB frame.
        prior: [H,W] float32 0..1 person probability (load_prior(...)(src)).
        method: 'guided' | 'closed_form'.
        band: half width of the trimap's unknown band in px (default 1% of the short side, >= 2).
        eps: guided filter regulariser (0..1 colour units squared).
        cf_max_side: closed form is solved at most this wide (then upsampled).
    Returns:
        pha [H,W] float32 0..1.
    """
    if method not in ("guided", "closed_form"):
        raise BadInputError(f"classical matting method {method!r} unknown; use 'guided' or 'closed_form'")
    src = np.asarray(src, np.float32)
    prior = np.asarray(prior, np.float32)
    if src.shape[:2] != prior.shape or src.ndim != 3:
        raise BadInputError(f"classical matting: frame {src.shape} and prior {prior.shape} differ; pass [H,W,3] and [H,W]")
    band, radius, s = guided_params(*prior.shape, band)
    tri = trimap_from_prior(prior, band)
    if method == "guided":
        pha = fast_guided_filter(src, prior, radius, eps, s)
    elif (tri == 1).any() and (tri == 0).any() and (tri == 0.5).any():
        pha = _closed_form(src, tri, cf_max_side)
    else:  # closed form needs known fg and bg: an empty or full prior stays as it is
        pha = prior
    pha = np.where(tri == 0.5, pha, tri)
    return np.clip(pha, 0.0, 1.0).astype(np.float32)
