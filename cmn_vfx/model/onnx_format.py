"""What an exported step's metadata says (cmn_vfx.model.onnx_export writes it; the engine's runtimes read it).

The .onnx file carries one metadata entry, META_KEY, a JSON object: format FORMAT, its version, and the
source checkpoint's name, sha256, model_config, metrics and weights digest. Plain data: no runtime import.
"""
from __future__ import annotations

import json

from cmn_vfx.errors import BadInputError

META_KEY = "cmn:source"     # the ONNX metadata entry cmn_vfx.model.onnx_export writes
FORMAT = "cmn-vfx-onnx-step"


def info_from(metadata: dict, path: str) -> dict:
    """The checkpoint's identity from an export's metadata map; BadInputError for a file that is not ours."""
    raw = metadata.get(META_KEY)
    info = json.loads(raw) if raw else {}
    if info.get("format") != FORMAT:
        raise BadInputError(f"{path}: an ONNX file without cmn-vfx's step metadata; export it with cmn-matte export-onnx")
    return info
