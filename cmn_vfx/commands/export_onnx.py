"""`cmn-matte export-onnx`: write a model's network step as ONNX, for `cmn-matte run --runtime onnx`.

    cmn-matte export-onnx --model runs/v4/best.pt    # runs/v4/best.onnx, beside the checkpoint
    cmn-matte export-onnx --model runs/v4/best.pt --out /farm/models/v4.onnx
    cmn-matte export-onnx --model default --out cmn_vfx/models/default.onnx   # in a repository checkout

A bundled model already ships with its export; without --out, exporting one would write into the
installed package, so the command refuses (exit 2) and asks for --out.

A taught model (`cmn-matte teach`) also gets MODEL.correction.onnx beside the .onnx: its correction net, which
the engine runs after refinement. The export runs the model in torch once; running it does not need torch. The file records the
checkpoint's sha256, so `--runtime auto` never runs an export of another checkpoint (cmn_vfx.engine.runtime).
"""
from __future__ import annotations

import argparse
import json
import os

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.names import DEFAULT_MODEL


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export-onnx", help="export a model's network step to ONNX (the torch-free runtime)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL, help="bundled model name or checkpoint path (default: default)")
    p.add_argument("--out", help="the .onnx to write (default: beside the checkpoint, same name; "
                                 "required for a bundled model)")
    p.add_argument("--check", action="store_true", help="then run torch, OpenVINO and ONNX Runtime on 3 frames and print the differences")
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
    if args.check:      # against torch, in each runtime that will run the file
        from cmn_vfx.engine.onnx_backend import compare_runtimes
        report["max_abs_alpha_difference_by_runtime"] = {
            runtime: compare_runtimes(args.model, out, executor=runtime) for runtime in ("openvino", "onnx")}
        report["max_abs_alpha_difference"] = max(report["max_abs_alpha_difference_by_runtime"].values())
    print(json.dumps(report, indent=1))
    return 0
