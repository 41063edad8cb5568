"""Write a taught model: MODEL.pt (cmn_vfx.model.save_checkpoint) and MODEL.onnx beside it (with
MODEL.correction.onnx, the shot's correction net, where the model has one), or none of them.

    write_taught("sh010_taught.pt", model, {"teach": {...}, "metrics": {...}}, size=(288, 512))

The checkpoint is written to a hidden temporary name, exported to ONNX from that file (so the export
carries the final file's sha256, which `--runtime auto` checks), the export renamed into place, then the
checkpoint: an interrupt at any point before leaves neither (cmn_vfx.io.atomic; export_onnx renames the
sidecar just before the step), and a stale MODEL.onnx or MODEL.correction.onnx of another checkpoint is never
run (its sha256 differs).
"""
from __future__ import annotations

import os

from cmn_vfx.io.atomic import atomic_path
from cmn_vfx.model import load_model, save_checkpoint
from cmn_vfx.model.cmn import CMN
from cmn_vfx.model.onnx_export import default_onnx_path, export_onnx


def write_taught(path: str, model: CMN, extra: dict, size: tuple[int, int]) -> str:
    """Write `path` and its ONNX export (traced at size (h, w); its correction sidecar too, named by
    cmn_vfx.model.onnx_format.correction_path); returns the step export's path."""
    onnx_path = default_onnx_path(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path) as tmp:
        save_checkpoint(tmp, model, extra)
        exported, meta = load_model(tmp)        # the export folds batch norms: a copy, from the file's bytes
        meta.update(name=os.path.splitext(os.path.basename(path))[0], path=os.path.abspath(path))
        export_onnx(exported, meta, onnx_path, size=size)
    return onnx_path
