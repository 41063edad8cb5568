"""`cmn-matte teach`: teach a model one shot from a few keyframes of alpha (docs/teach.md).

    cmn-matte teach plates/sh010.####.exr --keys keys/sh010.####.exr --out models/sh010.pt
    cmn-matte teach plates/sh010.####.exr --keys keys/sh010.####.exr --out models/sh010.pt --frames 1001-1040 --minutes 5
    cmn-matte run plates/sh010.####.exr --model models/sh010.pt --out cmn/sh010     # any runtime

KEYS: alpha EXRs (channel A, or a single channel) numbered like the plate; the frames present are the keys.
--method correct (the default; any base model): a small correction net learns the keys from the base's alpha at
the working size, as the run refines it, and runs after the refinement (cmn_vfx.teach.correct). It learns under
the run's settings: give teach the same --refine, --temporal, --subject, --prior, --cuts, --no-auto-cuts, --warmup
and --downsample as the run; the checkpoint records them, and a run under others says so (cmn_vfx.engine.taught).
--method heads: the heads of a frozen-trunk base (the v5 layout) are fine-tuned (cmn_vfx.teach.fit).
Writes MODEL.pt (the base's weights and what was taught) and MODEL.onnx beside it, and prints the taught
model's error on the keys (a fit check: on a keyframe the output is the network's, not a copy of the key).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from cmn_vfx.commands.run import add_alpha_flags
from cmn_vfx.engine.taught import CORRECTION_INPUTS
from cmn_vfx.errors import BadInputError, warn
from cmn_vfx.interrupts import interrupts
from cmn_vfx.job.names import DEFAULT_MODEL
from cmn_vfx.job.spec import DEFAULT_TEACH_MINUTES, ShotSpec

METHODS = ("correct", "heads")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("teach", help="fine-tune a model on one shot from a few keyframes of alpha",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("plate", help="the plate: pattern (name.####.exr), one frame, or its folder")
    p.add_argument("--keys", required=True, help="alpha EXRs of the keyframes, numbered like the plate (keys/sh010.####.exr)")
    p.add_argument("--out", required=True, help="the taught checkpoint to write, MODEL.pt (MODEL.onnx goes beside it)")
    p.add_argument("--frames", help="the frames of the shot to learn, e.g. 1001-1040 (default: the whole plate)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="the base checkpoint (--method heads: one with a frozen "
                   "trunk, the v5 layout)")
    p.add_argument("--method", choices=METHODS, default="correct", help="correct: a correction net on the base's "
                   "alpha, any base (default); heads: fine-tune a v5 base's heads")
    p.add_argument("--minutes", type=float, help=f"stop after this long (default {DEFAULT_TEACH_MINUTES:g}; with "
                   "--iterations alone, no limit)")
    p.add_argument("--iterations", type=int, help="stop after this many iterations")
    p.add_argument("--colorspace", default="auto", help="plate colourspace (OCIO name or 'cineon')")
    p.add_argument("--layer", help="layer holding the plate's R, G, B (default: unprefixed)")
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's)")
    p.add_argument("--lr", type=float, help="peak learning rate (AdamW, cosine decay; default 2e-3 for correct, 1e-4 "
                   "for heads)")
    p.add_argument("--seed", type=int, default=0, help="seed of the crops and windows")
    p.add_argument("--propagate", type=int, help="--method correct: carry each key this many frames each side by the "
                   "plate's optical flow, where the flow is trusted, to learn from too (default 4; 0: the keys alone; "
                   "docs/teach.md)")
    add_alpha_flags(p.add_argument_group("the run's settings (--method correct learns under them; as cmn-matte run)"))
    p.add_argument("--json", action="store_true", help="print one JSON object (the report) on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace):
    """The method's settings dataclass (cmn_vfx.teach.correct.CorrectSettings or cmn_vfx.teach.fit.TeachSettings)."""
    if args.method == "correct":
        from cmn_vfx.teach.correct import CorrectSettings as Settings
    else:
        from cmn_vfx.teach.fit import TeachSettings as Settings
    if args.minutes is not None and not args.minutes > 0:
        raise BadInputError(f"--minutes {args.minutes}: give a positive number of minutes")
    if args.iterations is not None and args.iterations < 1:
        raise BadInputError(f"--iterations {args.iterations}: give at least 1")
    if args.lr is not None and not args.lr > 0:
        raise BadInputError(f"--lr {args.lr}: give a positive learning rate")
    if args.threads is not None and args.threads < 1:
        raise BadInputError(f"--threads {args.threads}: give at least 1")
    minutes = args.minutes if args.minutes is not None else (None if args.iterations else DEFAULT_TEACH_MINUTES)
    if args.propagate is not None and (args.method != "correct" or args.propagate < 0):
        raise BadInputError(f"--propagate {args.propagate}: give 0 or more frames, with --method correct")
    extra = {} if args.lr is None else {"lr": args.lr}
    if args.propagate is not None:
        extra["propagate"] = args.propagate
    return Settings(minutes=minutes, iterations=args.iterations, seed=args.seed, **extra)


def run_spec(args: argparse.Namespace, plate: str) -> ShotSpec:
    """The shot spec `cmn-matte run` builds from the same flags, whose pass --method correct learns from
    (cmn_vfx.teach.capture), validated; BadInputError for a bad value, or for any given with --method heads."""
    from cmn_vfx.io.sequence import parse_frame_range
    given = {k: getattr(args, k) for k in CORRECTION_INPUTS if getattr(args, k) is not None}
    if given and args.method == "heads":
        flags = ", ".join("--no-auto-cuts" if k == "auto_cuts" else f"--{k}" for k in given)
        raise BadInputError(f"{flags}: --method heads fine-tunes the network's own alpha, which these settings do "
                            "not reach; leave them out, or use --method correct")
    if "cuts" in given:
        given["cuts"] = parse_frame_range(given["cuts"])
    return ShotSpec(plate=plate, output="(teach: nothing written)", frames=args.frames, model=args.model,
                    runtime="torch", colorspace=args.colorspace, layer=args.layer, threads=args.threads,
                    **given).validate("cmn-matte teach")


def _out_path(path: str, base_path: str) -> str:
    if not path.endswith(".pt"):
        raise BadInputError(f"--out {path}: name the checkpoint MODEL.pt (its ONNX export goes beside it as MODEL.onnx)")
    if os.path.isdir(path):
        raise BadInputError(f"--out {path}: is a folder; give the checkpoint's file name, e.g. {path.rstrip('/')}/model.pt")
    if os.path.abspath(path) == os.path.abspath(base_path):
        raise BadInputError(f"--out {path}: is the base model itself; write the taught model to another file")
    return path


def load_base(name: str, method: str = "heads"):
    """(model, meta) of the base checkpoint; --method heads refuses one without a frozen trunk."""
    from cmn_vfx.model import load_model
    model, meta = load_model(name)
    if method == "heads" and not model.config.frozen_trunk:
        raise BadInputError(f"--model {name}: {meta['path']} has no frozen trunk (an older layout than v5), so "
                            "--method heads cannot fine-tune it; use --method correct (any base), or a v5 checkpoint: "
                            "--model PATH (e.g. runs/v5/iter000800.pt, made by python -m cmn_vfx_training.heads)")
    return model, meta


def run(args: argparse.Namespace) -> int:
    from cmn_vfx.io.sequence import find_sequence, format_frame_range, resolve_frames, shot_frames
    from cmn_vfx.teach.keys import read_keys
    from cmn_vfx.teach.shot import working_geometry
    with interrupts() as held:          # Ctrl-C / SIGTERM: exit 130, no file half-written (cmn_vfx.teach.save)
        with held():
            settings = _settings(args)
            seq = find_sequence(args.plate)
            frames = shot_frames(seq, args.frames)
            resolve_frames(seq, frames, "error")
            spec = run_spec(args, seq.hash_pattern)
            geometry, size, _ = working_geometry(seq)
            keys = read_keys(args.keys, frames, geometry)
            model, meta = load_base(args.model, args.method)
            out = _out_path(args.out, meta["path"])
            from cmn_vfx.prior import AUTO, load_prior
            prior_name = model.config.prior_model
            prior = load_prior(prior_name) if args.method == "heads" else None     # correct: the engine's own
        teach = _teach if args.method == "heads" else _teach_correct
        report = teach(args, seq, frames, keys, model, meta, settings, out, prior,
                       AUTO if prior_name == "auto" else prior_name, spec)
    report["method"] = args.method
    report["frames"] = format_frame_range(frames)
    worse = fit_warning(report)
    if worse:
        warn(worse)
    if args.json:
        print(json.dumps(report))
    else:
        print(summary(report), file=sys.stderr)
    return 0


def _teach(args, seq, frames, keys, model, meta, settings, out, prior, prior_name, spec) -> dict:
    """--method heads: the frozen trunk's features once per frame (cmn_vfx.teach.shot), the heads fine-tuned."""
    import torch

    from cmn_vfx.engine import process
    from cmn_vfx.teach.fit import fit, key_errors
    from cmn_vfx.teach.shot import read_shot, working_geometry

    process.single_thread_blas()
    if args.threads:
        torch.set_num_threads(args.threads)
    geometry = working_geometry(seq)[0]
    with _bar(args, total=len(frames), unit="frame", desc=f"{seq.name}: features") as b:
        shot = read_shot(seq, frames, model, keys, prior, geometry, args.colorspace, args.layer, b.update)
    base_errors = key_errors(model, shot)
    with _bar(args, total=settings.iterations, unit="it", desc=f"{seq.name}: teach") as b:
        result = fit(model, shot, settings, b)
    errors = key_errors(model, shot)
    return _write(args, seq, frames, keys, meta, settings, out, model, result, (base_errors, errors),
                  {"working_size": list(shot.size), "colorspace": shot.colorspace, "prior": prior_name})


def _teach_correct(args, seq, frames, keys, model, meta, settings, out, prior, prior_name, spec) -> dict:
    """--method correct: the base's pass over the shot under the run's settings `spec` (cmn_vfx.teach.capture),
    then the correction net learns the keys (cmn_vfx.teach.correct) and joins the base's weights; the checkpoint
    records the settings (teach["run"])."""
    import dataclasses

    import numpy as np
    import torch

    from cmn_vfx.engine import process
    from cmn_vfx.engine.reader import FrameReader
    from cmn_vfx.teach.capture import capture_keys
    from cmn_vfx.teach.correct import apply_correction, teach_correction
    from cmn_vfx.teach.shot import working_geometry

    process.single_thread_blas()
    if args.threads:
        torch.set_num_threads(args.threads)
    geometry = working_geometry(seq)[0]
    last = min(max(keys) + settings.propagate, frames[-1])
    with _bar(args, total=last - frames[0] + 1, unit="frame", desc=f"{seq.name}: base pass") as b:
        inputs, taught_with = capture_keys(spec, keys, b.update, around=settings.propagate)
    order = sorted(f for f in keys if f in inputs)
    src, pha, key = ([getattr(inputs[f], k) for f in order] for k in ("src", "pha", "key"))
    carried = _carried(inputs, settings.propagate)
    with _bar(args, total=settings.iterations, unit="it", desc=f"{seq.name}: teach") as b:
        net, result = teach_correction(src, pha, key, settings, b, carried)
    trusted = [float((weight > 0.5).mean()) for *_, weight in carried]
    result["carried"] = {"frames": len(carried), "trusted": round(float(np.mean(trusted)), 3) if carried else None}
    mad = lambda alphas: {f: round(float(np.abs(a - k).mean()) * 1e3, 3) for f, a, k in zip(order, alphas, key)}  # noqa: E731
    model.config = dataclasses.replace(model.config, correction=net.config)
    model.correction = net
    return _write(args, seq, frames, keys, meta, settings, out, model, result,
                  (mad(pha), mad(apply_correction(net, src, pha))),
                  {"working_size": list(src[0].shape[1::-1]), "prior": taught_with["prior"], "run": taught_with,
                   "colorspace": FrameReader.resolve_colorspace(seq, args.colorspace, geometry)})


def _carried(inputs: dict, radius: int) -> list[tuple]:
    """The keys of `inputs` (cmn_vfx.teach.capture.KeyInput by frame) carried `radius` frames to their neighbours
    (cmn_vfx.teach.propagate), never across a cut: [(src, pha, alpha, weight)] in frame order."""
    from cmn_vfx.teach.propagate import propagate
    keys = {f: i.key for f, i in inputs.items() if i.key is not None}
    labels = propagate({f: i.src for f, i in inputs.items()}, keys, radius, {f for f, i in inputs.items() if i.cut})
    return [(inputs[f].src, inputs[f].pha, label.alpha, label.weight) for f, label in sorted(labels.items())]


def _bar(args, **kw):
    from tqdm import tqdm
    return tqdm(file=sys.stderr, disable=args.no_progress, dynamic_ncols=True, **kw)


def _write(args, seq, frames, keys, meta, settings, out, model, result, fits, read) -> dict:
    """Write the taught model (cmn_vfx.teach.save) describing itself; the report. fits: ({frame: MAD x1e3}
    of the base, of the taught model) on the keys; read: working_size, colorspace, prior, and (--method correct)
    run: the run's settings it learnt under (cmn_vfx.engine.taught)."""
    from cmn_vfx.io.sequence import format_frame_range
    from cmn_vfx.teach.save import write_taught
    from cmn_vfx.teach.shot import working_geometry
    base_errors, errors = fits
    mean = lambda d: round(sum(d.values()) / len(d), 3)  # noqa: E731
    window = working_geometry(seq)[0]["data_box"]
    teach = {"method": args.method, "base": {k: meta[k] for k in ("name", "path", "sha256")},
             "plate": {"pattern": os.path.abspath(seq.hash_pattern), "frames": format_frame_range(frames),
                       "size": [window.width, window.height], "colorspace": read["colorspace"], "layer": args.layer},
             "working_size": read["working_size"], "prior": read["prior"],
             "keys": {"pattern": os.path.abspath(args.keys), "frames": sorted(keys)},
             "settings": settings.to_dict(), "result": result, **({"run": read["run"]} if "run" in read else {})}
    metrics = {"teach_loss": result["loss"], "key_mad_x1e3": mean(errors), "base_key_mad_x1e3": mean(base_errors),
               "key_mad_x1e3_by_frame": {str(f): v for f, v in errors.items()}}
    onnx_path = write_taught(out, model, {"teach": teach, "metrics": metrics}, size=read["working_size"][::-1])
    return {"model": out, "onnx": onnx_path, "base": meta["name"], "keys": sorted(keys), "iterations": result["iterations"],
            "seconds": result["seconds"], "loss": result["loss"], "first_loss": result["first_loss"],
            "key_mad_x1e3": errors, "base_key_mad_x1e3": base_errors, "working_size": read["working_size"],
            **({"carried": result["carried"]} if "carried" in result else {})}


def fit_warning(report: dict) -> str | None:
    """One line when the taught model fits its keys worse than the base did (mean MAD over the keys): the
    teaching went wrong (it diverged, or the keys do not belong to this plate or frame numbers); None otherwise.
    The model is written all the same (the fit is reported, the user decides)."""
    taught, base = (sum(report[k].values()) / len(report[k]) for k in ("key_mad_x1e3", "base_key_mad_x1e3"))
    if taught <= base + max(1.0, 0.1 * base):     # a near-perfect base may come back a shade worse
        return None
    return (f"the taught model fits its keys worse than its base (MAD x1e3 {taught:.1f} against {base:.1f}): teaching "
            "went wrong; check that the keys are this plate's, at its frame numbers, and teach again with a lower "
            "--lr or another --seed")


def _before(report: dict) -> str:
    return " (corrected; base: its refined alpha)" if report.get("method") == "correct" else ""


def _carried_line(report: dict) -> str:
    carried = report.get("carried") or {}
    if not carried.get("frames"):
        return ""
    return f"; the keys carried to {carried['frames']} frames ({100 * carried['trusted']:.0f}% of their pixels trusted)"


def summary(report: dict) -> str:
    """The lines printed at the end: the loss, the fit on the keys against the base, where the model went."""
    keys = ", ".join(f"{f} {report['key_mad_x1e3'][f]:.1f} (base {report['base_key_mad_x1e3'][f]:.1f})"
                     for f in report["keys"])
    w, h = report["working_size"]
    return (f"teach: {report['iterations']} iterations in {report['seconds']:.0f}s, loss {report['loss']:.4f} "
            f"(first {report['first_loss']:.4f}){_carried_line(report)}\n"
            f"fit on the keys, MAD x1e3 of the network's alpha at {w}x{h}{_before(report)}: {keys}\n"
            f"  wrote {report['model']} and {report['onnx']}\n"
            f"  run it: cmn-matte run PLATE --model {report['model']} --out DIR")
