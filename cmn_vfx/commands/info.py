"""`cmn-matte info PLATE [--json]`: what a TD wants to know of a plate before matting it.

    cmn-matte info /shows/abc/sh010/plate/sh010.####.exr
    cmn-matte info plates/ --frames 1001-1050 --missing hold --json
    cmn-matte info sh010.1001.dpx --check        # decode every frame (corrupt data, NaN/Inf)

Reads every frame's header (geometry must match the first frame); with --check
also the pixels. Bad input exits 2 with one line naming the file and the fix.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.sequence import MISSING, Sequence, find_sequence, format_frame_range, parse_frame_range, resolve_frames


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("info", help="describe a plate sequence (frames, holes, windows, channels, colour)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("plate", help="pattern (name.####.exr, name.%%04d.exr, name.$F4.exr), one frame, or a folder")
    p.add_argument("--frames", help="frame range to check, e.g. 1001-1100, 1001-1100x2, 1,5,9-12")
    p.add_argument("--missing", choices=MISSING, default="error",
                   help="holes in --frames: error (default), hold the previous frame, or black")
    p.add_argument("--layer", help="layer holding the plate's R, G, B (default: unprefixed R, G, B)")
    p.add_argument("--colorspace", default="auto", help="plate colourspace to check (default: auto = guess)")
    p.add_argument("--check", action="store_true", help="also decode every frame's pixels")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _frames_plan(seq: Sequence, args: argparse.Namespace) -> list[tuple[int, int | None]]:
    requested = parse_frame_range(args.frames) if args.frames else list(range(seq.first, seq.last + 1))
    if not requested:
        raise BadInputError(f"--frames {args.frames!r} is empty; write e.g. {seq.first}-{seq.last}")
    missing = args.missing if args.frames else "black"  # without --frames, holes are reported, not fatal
    return resolve_frames(seq, requested, missing)


def sequences(plate: str) -> list[Sequence]:
    """The plate's sequence; for a folder, every sequence below it, as `cmn-matte run DIR` finds them."""
    if not os.path.isdir(plate):
        return [find_sequence(plate)]
    from cmn_vfx.commands.run import plates_below
    found = plates_below(plate)
    if not found:
        raise BadInputError(f"{plate}: no image sequences below this folder; point at the plates' folder")
    return found


def describe(args: argparse.Namespace, seq: Sequence | None = None) -> dict:
    """Everything `info` prints about `seq` (default: the plate's one sequence), as plain data. Raises
    BadInputError for bad plates."""
    from cmn_vfx.color import check_colorspace, guess_colorspace
    from cmn_vfx.io.image import check_headers, read_rgb, rgb_names

    seq = seq or find_sequence(args.plate)
    plan = _frames_plan(seq, args)
    sources = sorted({src for _, src in plan if src is not None})
    header = check_headers([seq.path(f) for f in sources], args.layer)
    rgb = rgb_names(header["channels"], args.layer)
    nonfinite = {}
    if args.check:
        for frame in sources:
            count = read_rgb(seq.path(frame), args.layer).metadata["cmn:nonfinite"]
            if count:
                nonfinite[frame] = count
    guessed = guess_colorspace(header["path"], header["metadata"])
    chosen = guessed if args.colorspace == "auto" else check_colorspace(args.colorspace)
    return {
        "pattern": seq.hash_pattern,
        "printf_pattern": seq.printf_pattern,
        "name": seq.name,
        "first": seq.first, "last": seq.last,
        "frames": format_frame_range(seq.frames),
        "count": len(seq.frames),
        "holes": format_frame_range(seq.holes()),
        "requested": format_frame_range(out for out, _ in plan),
        "held_or_black": {out: src for out, src in plan if src != out},
        "padding": seq.padding,
        "rgb_channels": list(rgb),
        "colorspace_metadata": header["colorspace"],
        "colorspace_guess": guessed,
        "colorspace": chosen,
        "checked": bool(args.check),
        "nonfinite": nonfinite,
        **{k: header[k] for k in ("format", "data_window", "display_window", "channels", "layers",
                                   "pixel_type", "channel_types", "compression", "subimages", "metadata")},
    }


def _box(b: dict) -> str:
    return f"{b['width']}x{b['height']} origin ({b['x']}, {b['y']})"


def _text(info: dict) -> str:
    mixed = sorted(set(info["channel_types"]))
    lines = [
        f"pattern       {info['pattern']}",
        f"frames        {info['frames']}  ({info['count']} files, padding {info['padding']})",
        f"holes         {info['holes'] or 'none'}",
        f"resolution    {info['display_window']['width']}x{info['display_window']['height']}",
        f"display win   {_box(info['display_window'])}",
        f"data window   {_box(info['data_window'])}",
        f"channels      {', '.join(info['channels'])}",
        f"layers        {'; '.join(f'{k}: {len(v)}' for k, v in info['layers'].items())}",
        f"rgb           {', '.join(info['rgb_channels'])}",
        f"pixel type    {info['pixel_type']}" + (f" (channels: {', '.join(mixed)})" if len(mixed) > 1 else ""),
        f"compression   {info['compression'] or 'n/a'}  ({info['format']})",
        f"colourspace   {info['colorspace']}  (metadata: {info['colorspace_metadata'] or 'none'}, "
        f"guess: {info['colorspace_guess']})",
    ]
    if info["held_or_black"]:
        lines.append("filled        " + ", ".join(f"{k}<-{v if v is not None else 'black'}"
                                                 for k, v in info["held_or_black"].items()))
    if info["checked"]:
        bad = info["nonfinite"]
        lines.append("nan/inf       " + (", ".join(f"{f}: {n}" for f, n in bad.items()) + " (replaced with 0)"
                                         if bad else "none"))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    seqs = sequences(args.plate)
    if len(seqs) == 1:
        info = describe(args, seqs[0])
        if args.json:
            json.dump(info, sys.stdout, indent=2, default=str)
            sys.stdout.write("\n")
        else:
            print(_text(info))
        return 0
    infos, failed = [], []
    for seq in seqs:                      # a folder of shots: each described, a bad one reported, the rest go on
        try:
            infos.append(describe(args, seq))
        except BadInputError as exc:
            infos.append({"pattern": seq.hash_pattern, "error": str(exc)})
            failed.append(str(exc))
    if args.json:
        json.dump({"sequences": infos}, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print("\n\n".join(f"pattern       {i['pattern']}\nerror         {i['error']}" if "error" in i else _text(i)
                          for i in infos))
    if failed:
        raise BadInputError(f"{args.plate}: {len(failed)} of {len(seqs)} sequences could not be read; first: {failed[0]}")
    return 0
