"""Automatic person prior: a coarse person probability per frame from small MediaPipe nets.

    from cmn_vfx.prior import load_prior
    prior = load_prior('auto')          # the default, chosen by the validation suite (docs/prior.md)
    pha = prior(src)                    # src [H,W,3] float32 0..1 sRGB -> [H,W] float32 0..1

Networks run through cmn_vfx.prior.litert.Runtime (ai-edge-litert today), so a torch or
ONNX port can be dropped in by passing `runtime=` / `detector=` / `landmark=`.
"""
from __future__ import annotations

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.names import PRIORS as NAMES  # the names are the light layer's (the spec validates them)
from cmn_vfx.prior.base import PersonPrior

AUTO = "people"  # chosen by the validation suite (python -m bench.validate), see docs/prior.md


def _build(name: str, threads: int) -> PersonPrior:
    from cmn_vfx.prior.combine import CombinedPrior
    from cmn_vfx.prior.pose import PosePrior
    from cmn_vfx.prior.selfie import SelfiePrior

    if name in ("selfie", "landscape"):
        return SelfiePrior(name, "letterbox", threads)
    if name in ("selfie_stretch", "landscape_stretch"):
        return SelfiePrior(name.split("_")[0], "stretch", threads)
    if name == "pose":
        return PosePrior(threads)
    if name in ("people", "people_frame"):
        from cmn_vfx.prior.people import PeoplePrior
        return PeoplePrior(threads, track=name == "people")
    mode, _, variant = name.partition("_")
    return CombinedPrior(SelfiePrior(variant or "selfie", "letterbox", threads), PosePrior(threads), mode)


def load_prior(name: str = "selfie", threads: int = 1) -> PersonPrior:
    """name -> PersonPrior. 'auto' is the measured default; threads: 1 or 2 CPU threads."""
    if name not in NAMES:
        raise BadInputError(f"unknown person prior {name!r}; use one of: {', '.join(NAMES)}")
    prior = _build(AUTO if name == "auto" else name, threads)
    return prior


__all__ = ["PersonPrior", "load_prior", "NAMES", "AUTO"]
