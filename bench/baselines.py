"""Prior + classical matting baselines (no learning): trimap from the prior, then refine.

A bench baseline, not a prior (issue 30: it borrows the engine's filters, so it lives above the engine);
the bench imports it as `bench.baselines`.
The default model must beat these (issue 6), so they are kept simple and documented:
- trimap: prior > 0.5 eroded -> 1, prior < 0.5 eroded -> 0, a band of 2*`band` px unknown;
  band, guided radius and eps are the engine's refinement parameters (cmn_vfx.engine.filter_params;
  `--refine guided` is this 'guided' method, cmn_vfx.engine.numpy_filters.refine_edges);
- 'guided': colour guided filter (He et al. 2010, fast subsampled variant) of the prior
  with the frame as guide, clamped to the trimap's known regions;
- 'closed_form': pymatting's closed-form matting (Levin et al. 2008) on the trimap,
  solved at most `cf_max_side` px wide and upsampled (it is ~seconds per frame).
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.engine.numpy_filters import fast_guided_filter, trimap_from_prior  # noqa: F401 - re-exported
from cmn_vfx.engine.filter_params import REFINE_EPS as EPS
from cmn_vfx.engine.filter_params import guided_params
from cmn_vfx.errors import BadInputError


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
