"""`make demo`: build the sample shot, matte it with `cmn-matte run`, show and score the result.

    python -m cmn_vfx.demo --out demo [--model default] [--frames 24] [--size 1280x720]

Writes
    demo/shot/plate/sample.####.exr        the plate (scene-linear), demo/shot/truth/...  its ground truth
    demo/matte/alpha/sample.####.exr       cmn-matte's alpha, demo/matte/fg/...  the premultiplied fg
    demo/contact_sheet.png                 4 frames: plate | alpha | comp over a checkerboard (sRGB display)
and prints MAD and dtSSD (RobustVideoMatting's definitions, see DESIGN.md METRICS) against the truth.
The matte is made by the same code path as the command line (cmn_vfx.cli.matte_main).
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


def contact_sheet(plate: Sequence, matte: OutputLayout, frames: list[int], colorspace: str, path: str) -> None:
    """Rows of plate | alpha | fg over a checkerboard (sRGB display), one row per frame, as PNG."""
    import cv2
    from cmn_vfx.io.image import read_image, read_rgb
    rows = []
    for frame in frames:
        src = read_rgb(plate.path(frame)).pixels
        pha = read_image(matte.alpha_path(frame)).pixels[..., 0]
        rgba = read_image(matte.fg_path(frame)).pixels
        comp = rgba[..., :3] + (1 - rgba[..., 3:]) * checkerboard(*pha.shape)
        tiles = [_display(src, colorspace), (np.repeat(pha[..., None], 3, 2) * 255 + 0.5).astype(np.uint8),
                 _display(comp, colorspace)]
        height = round(pha.shape[0] * TILE_WIDTH / pha.shape[1])
        rows.append(np.concatenate([cv2.resize(t, (TILE_WIDTH, height), interpolation=cv2.INTER_AREA)
                                    for t in tiles], axis=1))
    from cmn_vfx.io.atomic import atomic_path
    ok, png = cv2.imencode(".png", np.ascontiguousarray(np.concatenate(rows, axis=0)[..., ::-1]))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(png.tobytes())


def score(matte: OutputLayout, truth: Sequence, frames: list[int]) -> dict[str, float]:
    """MAD and dtSSD (x1e3 / x1e2, as RobustVideoMatting) of the matte against the truth alpha."""
    from cmn_vfx.io.image import read_image
    from cmn_vfx.metrics import MetricAccumulator
    acc = MetricAccumulator(metrics=("mad", "mse", "dtssd"))
    for frame in frames:
        acc.update(read_image(matte.alpha_path(frame)).pixels[..., 0], read_image(truth.path(frame)).pixels[..., 0])
    return acc.result()


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
    result = score(matte, find_sequence(shot["alpha"]), frames)
    print(f"contact sheet: {sheet}\nalpha: {matte.alpha_pattern}\nfg:    {matte.fg_pattern}")
    print(f"sample shot, {result['frames']} frames, model {args.model}: "
          f"MAD {result['mad']:.2f} (x1e3)  MSE {result['mse']:.2f} (x1e3)  dtSSD {result['dtssd']:.2f} (x1e2)")
    return 0


def main(argv: list[str] | None = None) -> int:
    from cmn_vfx.cli import run_cli
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
