"""The engine: streams a shot through the CMN and writes alpha + premultiplied fg EXRs.

    from cmn_vfx.engine import MatteEngine
    engine = MatteEngine(spec)                       # spec: cmn_vfx.job.spec.ShotSpec, every setting
    report = engine.run(spec, seq, out_dir, name)    # seq: the opened plate (cmn_vfx.io.sequence)

    shot.py          Shot (a spec on one plate), RunReport (plain data; no torch)
    resume_key.py    the resume key (cmn:settings): the spec's pixel fields, resolved, + engine constants
    matte.py         MatteEngine: the network loop, state, warm-up, cuts, refinement, upsampling
    plan.py          Steps: which frames run, which are written, which are already finished
    reader.py        plate frame -> FrameIn (read-ahead thread); MatteEngine._prepare: cuts and the
                     person track in a second stage (its own thread)
    writer.py        FrameOut -> OUT/alpha, OUT/fg EXRs (write-behind thread)
    records.py       FrameIn, Prepared, NetOut, FrameOut: what the threads hand each other
    streaming.py     the read-ahead stages and the write-behind thread
    output_pixels.py output pixels: quantised alpha, premultiplied fg, half clamping
    cuts.py          automatic cut detection
    stabilise.py     temporal stabilisation of the alpha
    foreground.py    the fg colour in the transition band
    subject.py       picked people resolved over the whole shot
    backend.py       the Backend protocol every runtime implements; runtime.py picks and opens one:
                     torch_backend.py (torch), onnx_backend.py + onnx_sessions.py (OpenVINO, ONNX Runtime)
    flow_grid.py     padding, flow resize and the sampling grid in numpy (the ONNX step, the stabiliser)
    numpy_filters.py edge refinement and guided upsampling, once for every runtime (filter_params.py)

The names above load on first use (module __getattr__), so `import cmn_vfx.engine.shot`, which
the job layer and the farm reach, imports no torch (tests/job/test_light.py).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # also what the import-cycle walker (tests/test_import_cycles.py) sees
    from cmn_vfx.engine.shot import RunReport, Shot
    from cmn_vfx.engine.matte import MatteEngine

_HOMES = {"MatteEngine": "matte", "RunReport": "shot", "Shot": "shot"}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f"cmn_vfx.engine.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'cmn_vfx.engine' has no attribute {name!r}")
