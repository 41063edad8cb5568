"""What an exported step's metadata says (cmn_vfx.model.onnx_export writes it; the engine's runtimes read it).

The .onnx file carries one metadata entry, META_KEY, a JSON object: format FORMAT, its version, and the
source checkpoint's name, sha256, model_config, metrics and weights digest. A model with a shot's correction net
(ModelConfig.correction) has a second file beside its step, MODEL.correction.onnx for MODEL.onnx
(correction_path): the correction alone, its metadata of format CORRECTION_FORMAT with the same sha256; whoever
runs or submits that step checks it with check_correction. Plain data: no runtime import.
"""
from __future__ import annotations

import json
import os

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.onnx_weights import read_metadata

META_KEY = "cmn:source"     # the ONNX metadata entry cmn_vfx.model.onnx_export writes
FORMAT = "cmn-vfx-onnx-step"
CORRECTION_FORMAT = "cmn-vfx-onnx-correction"      # the sidecar's (cmn_vfx.model.onnx_export.export_correction)
SIDECAR = ".correction.onnx"


def default_onnx_path(checkpoint_path: str) -> str:
    """Where a checkpoint's step export goes and is looked for: MODEL.onnx beside MODEL.pt."""
    return os.path.splitext(checkpoint_path)[0] + ".onnx"


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


def check_correction(step_path: str, sha256: str | None) -> dict:
    """The metadata of the correction sidecar beside the step export `step_path`, once it is there, ours, and
    exported from the checkpoint whose sha256 is `sha256`; BadInputError (one line, the fix) otherwise. The rule
    the engine opens a sidecar by (cmn_vfx.engine.onnx_backend.OnnxCorrection) and `cmn-farm submit` checks."""
    path = correction_path(step_path)
    again = (f"export it again with cmn-matte export-onnx --model {os.path.splitext(step_path)[0]}.pt, "
             "or teach the shot again")
    if not os.path.isfile(path):
        raise BadInputError(f"{step_path}: its model has a correction net but {os.path.basename(path)} is not beside "
                            f"it; {again}")
    info = info_from(read_metadata(path), path, CORRECTION_FORMAT)
    if info.get("sha256") != sha256:
        raise BadInputError(f"{path} was exported from another checkpoint than {step_path}'s (sha256 "
                            f"{str(info.get('sha256'))[:12]} vs {str(sha256)[:12]}); {again}")
    return info
