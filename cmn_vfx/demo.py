"""`make demo`: build the sample shot, matte it with `cmn-matte run`, show and score the result.

    python -m cmn_vfx.demo --out demo [--model default] [--frames 24] [--size 1280x720]

Writes
    demo/shot/plate/sample.####.exr        the plate (scene-linear), demo/shot/truth/...  its truth
    demo/matte/alpha/sample.####.exr       cmn-matte's alpha, demo/matte/fg/...  the premultiplied fg
    demo/contact_sheet.png                 4 frames (columns, frame numbers on top); rows: plate, alpha,
                                           fg over a checkerboard (sRGB display)
and prints one line: the matte's MAD against the truth next to the person prior alone's, with a
yardstick. The matte is made by the same code path as the command line (cmn_vfx.cli.matte_main).

The sample shot is a still (a P3M portrait, face blurred) moved over real street footage: the
only people we may ship are stills, no clip of a real person moving (NOTICE). Its truth alpha is
P3M-Net's matte of that portrait, so the score compares two networks on the same plate.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.sequence import Sequence, find_sequence, parse_frame_range
from cmn_vfx.job.layout import OutputLayout

SHEET_FRAMES = 4
TILE_WIDTH = 384
TRAIN_HINT = ("cmn-train with configs/train/default_stage1.yaml, default.yaml and default_stage3.yaml in turn (see "
              "cmn_vfx/models/default.md), then python -m cmn_vfx.model.strip runs/default_stage3/last.pt {path}")


def _check_model(model: str) -> None:
    """A bundled name must exist on disk; say how to make it when it does not."""
    from cmn_vfx.installed import MODELS_DIR
    if os.sep in model or model.endswith(".pt"):
        return
    path = os.path.join(MODELS_DIR, f"{model}.pt")
    if not os.path.isfile(path):
        raise BadInputError(f"the bundled model {path} does not exist yet; train it with "
                            + TRAIN_HINT.format(path=path) + ", or pass --model PATH.pt")


def _display(rgb: np.ndarray, colorspace: str) -> np.ndarray:
    """Scene-linear rgb [H,W,3] in `colorspace` -> uint8 sRGB for viewing."""
    from cmn_vfx.color import network_space, convert
    return (np.clip(convert(rgb, colorspace, network_space()), 0, 1) * 255 + 0.5).astype(np.uint8)


def checkerboard(height: int, width: int, square: int = 16) -> np.ndarray:
    """[H,W,3] float32 linear greys 0.18 / 0.05 in squares of `square` pixels."""
    ys, xs = np.mgrid[0:height, 0:width]
    board = np.where(((ys // square) + (xs // square)) % 2 == 0, 0.18, 0.05).astype(np.float32)
    return np.repeat(board[..., None], 3, axis=2)


LABEL_WIDTH, HEADER = 190, 40
ROWS = ("plate", "alpha", "fg over checker")


def _label(width: int, height: int, text: str) -> np.ndarray:
    """A dark [height,width,3] uint8 tile with `text` in light grey, left-aligned, centred vertically."""
    import cv2
    tile = np.full((height, width, 3), 40, np.uint8)
    (_, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2)
    cv2.putText(tile, text, (10, (height + text_h) // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (220, 220, 220), 2,
                cv2.LINE_AA)
    return tile


def contact_sheet(plate: Sequence, matte: OutputLayout, frames: list[int], colorspace: str, path: str) -> None:
    """One column per frame (its number on top), rows plate | alpha | fg over a checkerboard (sRGB display), as PNG."""
    import cv2
    from cmn_vfx.io.image import read_image, read_rgb
    columns = []
    for frame in frames:
        src = read_rgb(plate.path(frame)).pixels
        pha = read_image(matte.alpha_path(frame)).pixels[..., 0]
        rgba = read_image(matte.fg_path(frame)).pixels
        comp = rgba[..., :3] + (1 - rgba[..., 3:]) * checkerboard(*pha.shape)
        tiles = [_display(src, colorspace), (np.repeat(pha[..., None], 3, 2) * 255 + 0.5).astype(np.uint8),
                 _display(comp, colorspace)]
        height = round(pha.shape[0] * TILE_WIDTH / pha.shape[1])
        columns.append(np.concatenate([_label(TILE_WIDTH, HEADER, f"frame {frame}")]
                                      + [cv2.resize(t, (TILE_WIDTH, height), interpolation=cv2.INTER_AREA)
                                         for t in tiles], axis=0))
    names = np.concatenate([_label(LABEL_WIDTH, HEADER, "")] + [_label(LABEL_WIDTH, height, n) for n in ROWS], axis=0)
    sheet = np.concatenate([names] + columns, axis=1)
    from cmn_vfx.io.atomic import atomic_path
    ok, png = cv2.imencode(".png", np.ascontiguousarray(sheet[..., ::-1]))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(png.tobytes())


def score(matte: OutputLayout, truth: Sequence, frames: list[int]) -> dict[str, float]:
    """MAD, MSE (x1e3) and dtSSD (x1e2) of the matte against the truth alpha (cmn_vfx.metrics)."""
    from cmn_vfx.io.image import read_image
    from cmn_vfx.metrics import MetricAccumulator
    acc = MetricAccumulator(metrics=("mad", "mse", "dtssd"))
    for frame in frames:
        acc.update(read_image(matte.alpha_path(frame)).pixels[..., 0], read_image(truth.path(frame)).pixels[..., 0])
    return acc.result()


def prior_mad(plate: Sequence, truth: Sequence, frames: list[int], colorspace: str) -> float:
    """MAD (x1e3) of the person prior alone (the one `auto` stands for, tracked through the shot)."""
    from cmn_vfx.color import to_network
    from cmn_vfx.io.image import read_image, read_rgb
    from cmn_vfx.metrics import MetricAccumulator
    from cmn_vfx.prior import AUTO, load_prior
    prior = load_prior(AUTO)
    track = prior.new_track()
    acc = MetricAccumulator(metrics=("mad",))
    for frame in frames:
        pha = track.update(prior.observe(to_network(read_rgb(plate.path(frame)).pixels, colorspace)))
        acc.update(pha, read_image(truth.path(frame)).pixels[..., 0])
    return acc.result()["mad"]


def _run(args: argparse.Namespace) -> int:
    from cmn_vfx.cli import matte_main
    from cmn_vfx.sample_shot import build_sample_shot
    _check_model(args.model)
    width, height = (int(v) for v in args.size.lower().split("x"))
    print(f"building the sample shot in {args.out}/shot ...", file=sys.stderr)
    shot = build_sample_shot(os.path.join(args.out, "shot"), args.frames, (width, height))
    matte_dir = os.path.join(args.out, "matte")
    argv = ["run", shot["plate"], "--out", matte_dir, "--model", args.model, "--device", args.device]
    code = matte_main(argv + (["--overwrite"] if args.overwrite else []))
    if code != 0:
        return code
    frames = parse_frame_range(shot["frames"])
    plate = find_sequence(shot["plate"])
    matte = OutputLayout(matte_dir, plate.name, plate.padding)      # where cmn-matte wrote them
    picks = [frames[round(i * (len(frames) - 1) / max(SHEET_FRAMES - 1, 1))] for i in range(SHEET_FRAMES)]
    sheet = os.path.join(args.out, "contact_sheet.png")
    contact_sheet(plate, matte, sorted(set(picks)), shot["colorspace"], sheet)
    truth = find_sequence(shot["alpha"])
    result = score(matte, truth, frames)
    alone = prior_mad(plate, truth, frames, shot["colorspace"])
    print(f"contact sheet: {sheet}")
    print(f"{result['frames']} frames at {width}x{height}: MAD {result['mad']:.1f} with model {args.model}, "
          f"{alone:.1f} with the person prior alone (MAD = mean |alpha error| x 1000 over the frame: 0 is perfect, "
          "RobustVideoMatting scores about 6 on its own benchmark; truth = P3M-Net's matte of the portrait)")
    return 0


def main(argv: list[str] | None = None) -> int:
    from cmn_vfx.console import run_cli
    parser = argparse.ArgumentParser(prog="python -m cmn_vfx.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo", help="output folder (default: demo)")
    parser.add_argument("--model", default="default", help="bundled model name or checkpoint path")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--frames", type=int, default=24, help="sample shot length (default 24)")
    parser.add_argument("--size", default="1280x720", help="sample shot size WIDTHxHEIGHT (default 1280x720)")
    parser.add_argument("--overwrite", action="store_true", help="re-matte frames already written")
    return run_cli(parser, argv, _run)


if __name__ == "__main__":
    sys.exit(main())
