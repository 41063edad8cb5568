"""`cmn-matte export-onnx`: write a model's network step as ONNX, for `cmn-matte run --runtime onnx`.

    cmn-matte export-onnx --model runs/v4/best.pt    # runs/v4/best.onnx, beside the checkpoint
    cmn-matte export-onnx --model runs/v4/best.pt --out /farm/models/v4.onnx
    cmn-matte export-onnx --model default --out cmn_vfx/models/default.onnx   # in a repository checkout

A bundled model already ships with its export; without --out, exporting one would write into the
installed package, so the command refuses (exit 2) and asks for --out.

A taught model (`cmn-matte teach`) also gets MODEL.correction.onnx beside the .onnx: its correction net, which
the engine runs after refinement. The export runs the model in torch once; running it does not need torch. The file records the
checkpoint's sha256, so `--runtime auto` never runs an export of another checkpoint (cmn_vfx.engine.runtime).
--check runs torch and the export (the step, and the correction) in both runtimes and fails (exit 3) beyond TOLERANCE.
"""
from __future__ import annotations

import argparse
import json
import os

from cmn_vfx.errors import BadInputError, PartialFailure
from cmn_vfx.job.names import DEFAULT_MODEL

# --check's bound on |alpha difference| from torch, for the step and the correction alike: float32 rounding is
# 1.2e-7 with the shipped model (docs/engine.md); tests/model/test_bundled_default.py holds the step under 1e-5
TOLERANCE = 1e-5


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export-onnx", help="export a model's network step to ONNX (the torch-free runtime)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL, help="bundled model name or checkpoint path (default: default)")
    p.add_argument("--out", help="the .onnx to write (default: beside the checkpoint, same name; "
                                 "required for a bundled model)")
    p.add_argument("--check", action="store_true",
                   help="then run torch, OpenVINO and ONNX Runtime on 3 frames (the step, and a taught model's "
                        f"correction), print the differences, and exit 3 if one is over {TOLERANCE:g}")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cmn_vfx.installed import MODELS_DIR, resolve_checkpoint
    if not args.out and os.path.dirname(os.path.abspath(resolve_checkpoint(args.model))) == MODELS_DIR:
        raise BadInputError(f"model {args.model!r} is bundled and ships with its export already; writing beside it "
                            "would change the installed package: pass --out PATH.onnx "
                            "(in a repository checkout, --out cmn_vfx/models/default.onnx replaces the bundled one)")
    from cmn_vfx.model import load_model
    from cmn_vfx.model.onnx_export import default_onnx_path, export_onnx

    model, meta = load_model(args.model)
    out = args.out or default_onnx_path(meta["path"])
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    export_onnx(model, meta, out)
    report = {"model": meta["name"], "sha256": meta["sha256"], "onnx": out, "bytes": os.path.getsize(out)}
    if model.config.correction:         # a taught model's correction net, beside the step (onnx_format)
        from cmn_vfx.model.onnx_format import correction_path
        report["correction_onnx"] = correction_path(out)
    if args.check:      # against torch, in each runtime that will run the files
        from cmn_vfx.engine.onnx_backend import compare_runtimes
        from cmn_vfx.engine.runtime import ONNX_RUNTIMES
        parts = {"alpha": lambda runtime: compare_runtimes(args.model, out, executor=runtime)}
        if model.config.correction:
            parts["correction"] = lambda runtime: compare_corrections(args.model, out, executor=runtime)
        for part, compare in parts.items():
            report[f"max_abs_{part}_difference_by_runtime"] = {runtime: compare(runtime) for runtime in ONNX_RUNTIMES}
            report[f"max_abs_{part}_difference"] = max(report[f"max_abs_{part}_difference_by_runtime"].values())
    print(json.dumps(report, indent=1))
    over = [(part, runtime, diff) for part in ("alpha", "correction")
            for runtime, diff in report.get(f"max_abs_{part}_difference_by_runtime", {}).items()
            if not diff <= TOLERANCE]       # NaN fails too
    if over:
        part, runtime, diff = over[0]
        raise PartialFailure(f"{out}: the export's {part} differs from torch's by {diff:.3g} in {runtime} (over "
                             f"{TOLERANCE:g}); the files are written but do not run as the checkpoint does: run "
                             f"{args.model} with --runtime torch, and report it")
    return 0


def compare_corrections(model_name: str, onnx_path: str, size: tuple[int, int] = (150, 270), frames: int = 3,
                        executor: str = "onnx") -> float:
    """Largest |alpha difference| between the checkpoint's correction net in torch (cmn_vfx.model.correction.corrected)
    and the export's sidecar run by `executor`, over `frames` frames of a smooth random clip with a soft disc for
    the alpha, panning right (sides that are not multiples of the net's, so the padding is in play)."""
    import cv2
    import numpy as np
    import torch

    from cmn_vfx.engine.onnx_backend import OnnxNetwork
    from cmn_vfx.model import load_model
    from cmn_vfx.model.correction import corrected

    model, _ = load_model(model_name)
    sidecar = OnnxNetwork(onnx_path, threads=1, executor=executor).correction
    h, w = size
    rng = np.random.default_rng(0)
    plate = cv2.GaussianBlur(rng.random((h + 4 * frames, w + 4 * frames, 3)).astype(np.float32), (0, 0), 3)
    ys, xs = np.mgrid[0:h, 0:w]
    worst = 0.0
    for t in range(frames):
        src = np.ascontiguousarray(plate[2 * t:2 * t + h, 3 * t:3 * t + w])
        pha = np.clip(min(h, w) / 3 - np.hypot(ys - h / 2, xs - w / 2 - 3 * t), 0, 1).astype(np.float32)
        with torch.inference_mode():
            want = corrected(model.correction, torch.from_numpy(src).permute(2, 0, 1)[None],
                             torch.from_numpy(pha)[None, None])[0, 0].numpy()
        worst = max(worst, float(np.abs(want - sidecar(pha, src)).max()))
    return worst
