"""`cmn-matte run`: matte a plate, every plate below a folder, or a farm task's shot spec.

    cmn-matte run plates/sh010.####.exr --out cmn/sh010 [--frames 1001-1100] [--model default]
    cmn-matte run /shows/abc/plates --out /shows/abc/cmn      # every sequence below; OUT/<shot>/alpha, fg
    cmn-matte run --spec sh010.yaml --frames 1041-1050        # the farm task form; flags override the spec

Outputs: OUT/alpha/<name>.####.exr (A, half, zip) and OUT/fg/<name>.####.exr
(premultiplied RGBA, scene-linear: the plate's colourspace if scene-linear, else the
OCIO scene_linear role), same frame numbers as the plate. Finished frames
(cmn_vfx.job.finished) are skipped unless --overwrite; damaged ones and ones whose plate
frame changed are redone. Exit codes: 0 done, 2 bad input (nothing written),
3 partly done, 130 interrupted, 141 stdout closed (docs/engine.md).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from cmn_vfx.errors import BadInputError, CMNError, PartialFailure, warn
from cmn_vfx.interrupts import interrupts
from cmn_vfx.io.sequence import Sequence, count_of, find_sequence, find_sequences, format_frame_range, parse_frame_range
from cmn_vfx.job.names import DEFAULT_TEMPORAL, DEFAULT_WARMUP, MISSING, PRECISIONS, REFINES, RUNTIMES
from cmn_vfx.job.spec import FG_COLOURS, ShotSpec

PLATE_EXTENSIONS = (".exr", ".dpx", ".cin", ".tif", ".tiff", ".png", ".jpg", ".jpeg")
# Flags that override a spec's field of the same name (None = not given).
_OVERRIDES = ("frames", "model", "device", "runtime", "colorspace", "downsample", "warmup", "missing", "name", "prior", "threads",
              "subject", "person_layers", "layer", "precision", "refine", "temporal", "auto_cuts", "fg_colour")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("run", help="matte a plate (or every plate below a folder) into alpha + fg EXRs",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("plate", nargs="?", help="pattern (name.####.exr), one frame, or a folder of plates")
    p.add_argument("--out", help="output folder (alpha/ and fg/ go inside)")
    p.add_argument("--spec", help="shot spec YAML (cmn_vfx.job.spec.ShotSpec); other flags override it")
    p.add_argument("--frames", help="frames to write, e.g. 1001-1100 (default: the whole plate)")
    p.add_argument("--name", help="output file name (default: the plate's name)")
    p.add_argument("--model", help="bundled model name or checkpoint path (default: default)")
    p.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    p.add_argument("--runtime", choices=RUNTIMES,
                   help="who runs the network: torch (any device), openvino or onnx (OpenVINO or ONNX Runtime on "
                        "the CPU, start without importing torch; need MODEL.onnx from cmn-matte export-onnx) or auto "
                        "(default: openvino, else onnx, on a CPU-only machine when the export is there, else torch); "
                        "in fp32 they agree to float32 rounding")
    p.add_argument("--threads", type=int, help="CPU threads for the network (torch, OpenVINO or ONNX Runtime; default: the "
                   "runtime's, one per core); not in cmn:settings: thread counts, like runtimes, agree to float32 "
                   "rounding, so frames from another count stay finished; on a shared farm node give the slots the task has")
    p.add_argument("--precision", choices=PRECISIONS,
                   help="network precision (default fp32); fp16/bf16 on a GPU (torch), or on a CPU that has them with OpenVINO (AMX: bf16 2.3x faster a step)")
    add_alpha_flags(p)
    p.add_argument("--fg-colour", choices=FG_COLOURS,
                   help="the fg colour where alpha is fractional: estimate (default: from the plate and the alpha, "
                        "2.3x closer to the truth on the validation suite) or network (the network's fg decoder; "
                        "torch runtime only, the ONNX export leaves the decoder out)")
    p.add_argument("--person-layers", action="store_true", default=None,
                   help="also write each picked person's alpha as person1.A, person2.A... in the alpha EXR")
    p.add_argument("--resolve-subject", action="store_true", help="only resolve --subject over the whole shot and "
                   "store it in OUT/.cmn (cmn-farm submit does this before chunking); write no frame")
    p.add_argument("--colorspace", help="plate colourspace (OCIO name or 'cineon'; default auto)")
    p.add_argument("--layer", help="layer holding the plate's R, G, B, e.g. plate for plate.R (default: unprefixed)")
    p.add_argument("--missing", choices=MISSING, help="holes in the plate: error (default), hold or black")
    p.add_argument("--overwrite", action="store_true", help="rewrite frames that are already finished")
    p.add_argument("--json", action="store_true", help="print one JSON object (the report) on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def add_alpha_flags(p: argparse.ArgumentParser) -> None:
    """The flags that shape the alpha the correction stage takes (cmn_vfx.engine.taught.CORRECTION_INPUTS), each a
    spec field of its name (None = not given): `cmn-matte teach` takes them too, to learn under the run's settings."""
    p.add_argument("--refine", choices=REFINES,
                   help="edge refinement of the network's alpha at the working size: guided (default) "
                        "filters a thin band around the edge by the frame's colours, 0/1 outside it; none = raw")
    p.add_argument("--temporal", type=float,
                   help=f"temporal stabilisation 0 <= s < 1: each frame's alpha is blended with the last one, warped "
                        f"by the optical flow, where the picture matches it (steadier edges on real footage); "
                        f"0 = off (default {DEFAULT_TEMPORAL})")
    p.add_argument("--prior", help="person prior for models that take one (default: the model's own, e.g. auto = "
                   "people: every person, tracked through the shot; docs/prior.md)")
    p.add_argument("--subject", help="which people: all (default), main (the largest, most central, held through "
                   "the shot) or picks x,y@frame in plate pixels, y down (e.g. 1210,540@1001; several joined by ;), "
                   "or a box x0,y0,x1,y1@frame; resolved over the whole shot first")
    p.add_argument("--downsample", help="working resolution ratio 0 < r <= 1, or auto (long side to 512)")
    p.add_argument("--warmup", type=int, help=f"frames run before a range that starts mid-shot (default {DEFAULT_WARMUP})")
    p.add_argument("--cuts", help="frames where a new shot starts, e.g. 1040,1077 (state resets)")
    p.add_argument("--no-auto-cuts", dest="auto_cuts", action="store_false", default=None,
                   help="do not detect cuts from colour histograms")


def shot_spec(args: argparse.Namespace) -> ShotSpec:
    """The spec from --spec (flags override its fields) or from PLATE --out."""
    if args.spec:
        if args.plate:
            raise BadInputError(f"give either PLATE or --spec {args.spec}, not both")
        spec = ShotSpec.from_yaml(args.spec)
        if args.out:
            spec.output = args.out
    else:
        if not args.plate or not args.out:
            raise BadInputError("give PLATE and --out DIR (or --spec SHOT.yaml); see cmn-matte run --help")
        spec = ShotSpec(plate=args.plate, output=args.out)
    for key in _OVERRIDES:
        value = getattr(args, key, None)
        if value is not None:
            setattr(spec, key, value)
    if args.cuts is not None:
        spec.cuts = parse_frame_range(args.cuts)
    return spec.validate(f"shot spec {args.spec}" if args.spec else "shot spec")


def _engine(spec: ShotSpec):
    from cmn_vfx.engine import MatteEngine
    from cmn_vfx.engine import process
    process.for_frames()       # reuse freed frame buffers, BLAS on one thread (cmn_vfx.engine.process)
    return MatteEngine(spec)


def plates_below(directory: str, out_dir: str | None = None) -> list[Sequence]:
    """Image sequences below `directory` (what `run DIR` mattes and `info DIR` lists), leaving out anything
    under the output folder."""
    out = os.path.abspath(out_dir) + os.sep if out_dir else None
    return [s for s in find_sequences(directory) if s.tail.lower().endswith(PLATE_EXTENSIONS)
            and not (out and (os.path.abspath(s.directory) + os.sep).startswith(out))]


def shot_names(seqs: list[Sequence], root: str) -> list[str]:
    """Each sequence's name; sequences sharing a name get their folder (relative to root) in front."""
    names = [s.name for s in seqs]
    return [n if names.count(n) == 1 else
            os.path.relpath(s.directory, root).replace(os.sep, "_").strip("._") + "_" + n
            for s, n in zip(seqs, names)]


def run(args: argparse.Namespace) -> int:
    with interrupts() as held:          # a farm kill (SIGTERM) unwinds like Ctrl-C: temp files removed
        with held():                    # not while compiled libraries load (cmn_vfx.interrupts)
            spec = shot_spec(args)
        if spec.keys is not None:       # never the base model quietly: the keys' model is taught first
            raise BadInputError(f"shot spec: keys {spec.keys!r} are taught by a farm job's Teach step (cmn-farm submit) "
                                "or by cmn-matte teach; here, teach first: cmn-matte teach PLATE --keys KEYS --out "
                                "MODEL.pt, then run with --model MODEL.pt (or drop keys from the spec)")
        if os.path.isdir(spec.plate):
            return _run_directory(spec, args, held)
        seq = find_sequence(spec.plate)
        with held():
            engine = _engine(spec)
        name = spec.name or seq.name
        if args.resolve_subject:
            from cmn_vfx.engine import Shot
            return _resolve_subject(engine, Shot(spec, seq, spec.output, name), args)
        report = engine.run(spec, seq, spec.output, name, args.overwrite, progress=not args.no_progress)
        _warn_clamped(report)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        changed = f" ({len(report.changed)} because the plate frame changed)" if report.changed else ""
        print(f"{report.name}: wrote {count_of(len(report.written), 'frame')}{changed}, skipped "
              f"{len(report.skipped)} finished ({report.warmup_frames} warm-up) in {report.seconds:.1f}s "
              f"({report.runtime} runtime)\n"
              f"  alpha: {report.alpha}\n  fg:    {report.fg}", file=sys.stderr)
    return 0


def _resolve_subject(engine, shot, args: argparse.Namespace) -> int:
    """--resolve-subject: resolve (and store) the shot's subject over the whole plate; write no frame."""
    plan = engine.subject_plan(shot)
    if plan is None:
        summary = {"subject": "all", "frames": {}}
    else:
        found = {name: len(plan.boxes) - len(lost) for name, lost in plan.lost.items()}
        summary = {"subject": plan.text, "found": found, "lost": {k: format_frame_range(v) for k, v in plan.lost.items() if v}}
        for line in plan.warnings():
            warn(line)
    print(json.dumps(summary) if args.json else f"{shot.name}: subject {summary['subject']}; " +
          ", ".join(f"{k} found on {v} frames" for k, v in summary.get("found", {}).items()), file=sys.stdout)
    return 0


def _warn_clamped(report) -> None:
    if report.clamped:
        warn(f"{report.name}: {report.clamped} fg values beyond the largest half float were clamped to +-65504 "
             "(they would be Inf in a half EXR); the plate has values that large")


def _run_directory(spec: ShotSpec, args: argparse.Namespace, held) -> int:
    seqs = plates_below(spec.plate, spec.output)
    if not seqs:
        raise BadInputError(f"{spec.plate}: no image sequences below this folder; point at the plates' folder")
    if spec.name:
        raise BadInputError("--name applies to one plate; a folder's shots are named after their sequences")
    with held():
        engine = _engine(spec)
    rows: list[dict] = []
    for seq, name in zip(seqs, shot_names(seqs, spec.plate)):
        try:
            report = engine.run(spec, seq, os.path.join(spec.output, name), seq.name, args.overwrite,
                                progress=not args.no_progress)
            _warn_clamped(report)
            rows.append(dict(report.to_dict(), shot=name, status="done"))
        except CMNError as exc:
            rows.append({"shot": name, "status": "failed", "error": str(exc), "plate": seq.hash_pattern})
    failed = [r for r in rows if r["status"] != "done"]
    if args.json:
        print(json.dumps({"shots": rows}))
    else:
        print(summary_table(rows), file=sys.stderr)
    if failed and len(failed) == len(rows):
        raise BadInputError(f"{spec.plate}: every shot failed; first: {failed[0]['error']}")
    if failed:
        raise PartialFailure(f"{len(failed)} of {len(rows)} shots failed ({', '.join(r['shot'] for r in failed)}); "
                             "see the table above, fix them and rerun (finished frames are skipped)")
    return 0


def summary_table(rows: list[dict]) -> str:
    """Plain-text table: shot, status, frames, written, skipped, seconds (or the error)."""
    head = f"{'shot':<24} {'status':<7} {'frames':<16} {'written':>7} {'skipped':>7} {'seconds':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if r["status"] == "done":
            lines.append(f"{r['shot']:<24} {'done':<7} {r['frames']:<16} {r['written']:>7} {r['skipped']:>7} "
                         f"{r['seconds']:>8.1f}")
        else:
            lines.append(f"{r['shot']:<24} {'FAILED':<7} {r['error']}")
    return "\n".join(lines)
