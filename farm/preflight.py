"""What `cmn-farm submit` checks before a job exists, so a shot that cannot run is refused here
(exit 2, one line) instead of failing and retrying on every node:

- the model: a bundled name or a checkpoint file that exists, can be read and looks like one
  (torch's zip or pickle, or an ONNX export), without importing torch; for a job that runs the ONNX export of
  a model with a correction net (`cmn-matte teach`), its sidecar MODEL.correction.onnx, of the same checkpoint;
- the plate: every header the tasks will read (output frames, the frames that fill holes, the
  warm-ups), by the rule `cmn-matte run` applies (cmn_vfx.io.image.check_headers); no pixels;
- the keys (a spec with `keys:`): `cmn-matte teach`'s checks that need only headers (at least one
  key, numbered within the shot's frames, the plate's size, a half or float matte channel:
  cmn_vfx.teach.keys.check_keys); a key with NaN or an empty matte needs its pixels, so the job's
  Teach step refuses it on the worker, with the same line.

Nothing here is imported at module level beyond the light layer (OpenImageIO loads in check_plate).
"""
from __future__ import annotations

import os

from cmn_vfx.errors import BadInputError
from cmn_vfx.installed import resolve_checkpoint
from cmn_vfx.io.sequence import find_sequence, resolve_frames
from cmn_vfx.job.names import ONNX_RUNTIMES
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.plan import Plan

# torch.save writes a zip archive (PK..) since torch 1.6, a pickle (protocol 2: 0x80 0x02) before
CHECKPOINT_MAGIC = (b"PK\x03\x04", b"\x80\x02")


def check_model(model: str) -> str:
    """The checkpoint (or .onnx) file `model` names, after a cheap look at it; BadInputError otherwise."""
    path = model if model.endswith(".onnx") else resolve_checkpoint(model)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except FileNotFoundError:
        raise BadInputError(f"model {path}: no such file; fix `model:` in the shot spec (a bundled name or a "
                            "checkpoint path)") from None
    except OSError as exc:
        raise BadInputError(f"model {path}: cannot be read ({exc.strerror}); make it readable by the farm's "
                            "user or copy it") from None
    if path.endswith(".onnx"):
        if not head:
            raise BadInputError(f"model {path}: the file is empty; export it again with cmn-matte export-onnx")
    elif not head.startswith(CHECKPOINT_MAGIC):
        raise BadInputError(f"model {path}: not a torch checkpoint (neither a zip nor a pickle); give a .pt saved "
                            "by cmn-train or a bundled name")
    return path


def check_correction_export(spec: ShotSpec, path: str) -> None:
    """For a job that runs the exported step (runtime openvino or onnx, or a model given as its .onnx; `path`:
    check_model's) of a model with a correction net: its sidecar is beside the step and was exported from the
    same checkpoint, by the rule the engine opens it by (cmn_vfx.model.onnx_format.check_correction). Reads
    metadata and the checkpoint's sha256 only, no runtime package. A keyed shot runs the model its Teach step
    makes and exports on the worker, and a checkpoint without a step export has no sidecar to check."""
    onnx = path.endswith(".onnx")
    if spec.keys is not None or not (onnx or spec.runtime in ONNX_RUNTIMES):
        return
    from cmn_vfx.io.digest import sha256_of
    from cmn_vfx.io.onnx_weights import read_metadata
    from cmn_vfx.model.onnx_format import check_correction, default_onnx_path, info_from
    step = path if onnx else default_onnx_path(path)
    if not os.path.isfile(step):
        return
    info = info_from(read_metadata(step), step)
    if info["model_config"].get("correction"):
        check_correction(step, info.get("sha256") if onnx else sha256_of(path))


def check_plate(plan: Plan) -> None:
    """Every plate header the plan's tasks read has R, G, B (of the spec's layer) and the first frame's windows."""
    from cmn_vfx.io.image import check_headers
    seq = find_sequence(plan.spec.plate)
    frames = sorted(set(plan.frames).union(*(c.warmup for c in plan.chunks)))
    sources = sorted({src for _, src in resolve_frames(seq, frames, plan.spec.missing) if src is not None})
    check_headers([seq.path(seq.first)] + [seq.path(f) for f in sources], plan.spec.layer)


def check_keys(plan: Plan) -> None:
    """The keys' headers against the shot (the frames the Teach step learns: the spec's, not a resubmit's)."""
    if plan.spec.keys is None:
        return
    from cmn_vfx.io.image import Box, image_info
    from cmn_vfx.io.sequence import shot_frames
    from cmn_vfx.teach.keys import check_keys as check_key_headers
    seq = find_sequence(plan.spec.plate)
    display = Box(**image_info(seq.path(seq.first))["display_window"])
    check_key_headers(plan.spec.keys, shot_frames(seq, plan.spec.frames), display)


def preflight(plan: Plan) -> None:
    """The model, the plate's and the keys' headers; BadInputError (nothing written or submitted) naming the
    first fault."""
    check_correction_export(plan.spec, check_model(plan.spec.model))
    check_plate(plan)
    check_keys(plan)
