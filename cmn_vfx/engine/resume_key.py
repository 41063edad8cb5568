"""The resume key: what each output frame records as cmn:settings and a rerun compares. Derived, not listed.

    key = resume_key(spec, resolved)    # {"key_version": 2, every pixel field of the spec, the engine's constants}

Every field of the ShotSpec marked as changing pixels (cmn_vfx.job.spec: metadata PIXELS) goes in under its
own name: as the engine resolved it where the engine resolves it (`resolved`: the checkpoint's sha256 for
the model, the plate and fg colourspaces, the working ratio, the warm-up, the precision that runs, the prior
'auto' stands for, the canonical subject, `missing` only for a plate with holes), else as the spec has it. So
a new pixel field is in the key the day it is added (tests/engine/test_resume_key.py). The engine's own
constants that change pixels follow (engine_constants): retuning one redoes the frames made with the old one.

KEY_VERSION says what the key's values mean; raise it when that changes. Frames written before the key had
a version (cmn-vfx before issue 30) carry none, so they are not finished: a rerun redoes them once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from cmn_vfx.engine import filter_params, stabilise
from cmn_vfx.job import names

if TYPE_CHECKING:
    from cmn_vfx.job.spec import ShotSpec

KEY_VERSION = 2


def engine_constants() -> dict[str, Any]:
    """The engine's constants that change pixels (read at call time, so a retuned value is seen)."""
    fp, st = filter_params, stabilise
    return {"guided_filter": [fp.UPSAMPLE_RADIUS, fp.UPSAMPLE_EPS, list(fp.LUMA)],
            "refine_params": fp.guided_settings(),
            "stabiliser": [st.SIGMA, st.TAU, st.ERROR_BOX, st.FLOW_PRESET],
            "cut_threshold": names.CUT_THRESHOLD}


def resume_key(spec: ShotSpec, resolved: Mapping[str, Any]) -> dict[str, Any]:
    """{key_version, each pixel field (resolved where `resolved` has it), engine_constants()}; JSON-ready."""
    fields = type(spec).pixel_fields()
    stray = sorted(set(resolved) - set(fields))
    if stray:
        raise ValueError(f"resolved {', '.join(stray)}: not pixel fields of {type(spec).__name__}")
    key = {name: resolved[name] if name in resolved else getattr(spec, name) for name in fields}
    constants = engine_constants()
    clash = sorted(set(key) & set(constants))
    if clash:
        raise ValueError(f"spec field(s) {', '.join(clash)} share a name with an engine constant in the key")
    return {"key_version": KEY_VERSION, **key, **constants}
