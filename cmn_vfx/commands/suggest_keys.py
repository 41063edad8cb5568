"""`cmn-matte suggest-keys`: after an automatic run, the frames worth keying for `cmn-matte teach`.

    cmn-matte run plates/sh010.####.exr --out cmn/sh010
    cmn-matte suggest-keys cmn/sh010/alpha/sh010.####.exr --count 3
    1017  the matted area grows by 9.3% of the frame from the frame before (a person appears, or a part of one)
    1032  the person prior and the matte disagree on 6.2% of the frame
    ...

Prints one frame a line, most useful first, spread over the shot (cmn_vfx/teach/suggest.py says how). The
person prior's sign runs the run's prior again on the plate frame each alpha's header names (--plate to read
another plate, --no-prior to skip it: the other two signs read the alpha alone).
"""
from __future__ import annotations

import argparse
import json
import sys

from cmn_vfx.errors import BadInputError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("suggest-keys", help="list the frames of an automatic run worth keying for teach",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("alpha", help="the run's alpha EXRs: OUT/alpha/<name>.####.exr")
    p.add_argument("--count", type=int, default=3, help="how many frames to suggest")
    p.add_argument("--frames", help="only frames in this range, e.g. 1001-1040")
    p.add_argument("--plate", help="the plate's pattern, instead of the one the alpha's headers name (cmn:source)")
    p.add_argument("--no-prior", action="store_true",
                   help="skip the person prior's sign (reads the alpha alone: fast)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import cv2

    from cmn_vfx.io.image import read_image
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.teach.keys import key_channel
    from cmn_vfx.teach.plate_prior import LONG_SIDE, PlatePrior
    from cmn_vfx.teach.suggest import frame_signs, suggest

    if args.count < 1:
        raise BadInputError(f"--count {args.count}: ask for at least 1 frame")
    seq = find_sequence(args.alpha, args.frames)
    signs, plate = {}, None
    for frame in seq.frames:
        path = seq.path(frame)
        image = read_image(path)
        alpha = image.pixels[..., image.channels.index(key_channel(path, list(image.channels)))]
        scale = LONG_SIDE / max(alpha.shape)    # the shares barely change at a quarter of 1080p: 16x less work
        if scale < 1:
            alpha = cv2.resize(alpha, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if frame == seq.first and not args.no_prior:
            plate = PlatePrior.open(image.metadata, path, args.plate, lambda line: print(line, file=sys.stderr))
        prior = plate.prior(frame, image.metadata, alpha.shape[::-1]) if plate else None
        signs[frame] = frame_signs(alpha, prior)
    rows = suggest(signs, args.count)
    if args.json:
        print(json.dumps({"alpha": seq.hash_pattern, "suggested": [
            {"frame": r.frame, "reason": r.reason, "unsure": round(r.unsure, 5), "change": round(r.change, 5),
             **({} if r.disagree is None else {"disagree": round(r.disagree, 5)})} for r in rows]}))
    else:
        for r in rows:
            print(f"{r.frame}  {r.reason}")
        if not rows:
            print(f"{seq.hash_pattern}: every frame's matte is 0 or 1 and steady; no frame stands out", file=sys.stderr)
    return 0
