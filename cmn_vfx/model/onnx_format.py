"""What an exported step's metadata says (cmn_vfx.model.onnx_export writes it; the engine's runtimes read it).

The .onnx file carries one metadata entry, META_KEY, a JSON object: format FORMAT, its version, and the
source checkpoint's name, sha256, model_config, metrics and weights digest. A model with a shot's correction net
(ModelConfig.correction) has a second file beside its step, MODEL.correction.onnx for MODEL.onnx
(correction_path): the correction alone, its metadata of format CORRECTION_FORMAT with the same sha256.
Plain data: no runtime import.
"""
from __future__ import annotations

import json
import os

from cmn_vfx.errors import BadInputError

META_KEY = "cmn:source"     # the ONNX metadata entry cmn_vfx.model.onnx_export writes
FORMAT = "cmn-vfx-onnx-step"
CORRECTION_FORMAT = "cmn-vfx-onnx-correction"      # the sidecar's (cmn_vfx.model.onnx_export.export_correction)
SIDECAR = ".correction.onnx"


def correction_path(onnx_path: str) -> str:
    """The correction's sidecar beside a step export: MODEL.correction.onnx for MODEL.onnx."""
    return os.path.splitext(onnx_path)[0] + SIDECAR


def info_from(metadata: dict, path: str, fmt: str = FORMAT) -> dict:
    """The checkpoint's identity from an export's metadata map; BadInputError for a file that is not ours
    (fmt: FORMAT for a step, CORRECTION_FORMAT for a correction sidecar)."""
    raw = metadata.get(META_KEY)
    info = json.loads(raw) if raw else {}
    if info.get("format") != fmt:
        what = "step" if fmt == FORMAT else "correction"
        raise BadInputError(f"{path}: an ONNX file without cmn-vfx's {what} metadata; export it with cmn-matte export-onnx")
    return info
