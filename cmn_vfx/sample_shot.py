"""The bundled sample shot: a real portrait moving over a real street, with exact ground truth.

    python -m cmn_vfx.sample_shot --out DIR [--frames 24] [--size 1280x720]

writes, for frames 1001..1000+N, scene-linear ('Linear Rec.709 (sRGB)') half EXRs:
    DIR/plate/sample.####.exr        R,G,B      the plate
    DIR/truth/alpha/sample.####.exr  A          exact alpha
    DIR/truth/fg/sample.####.exr     R,G,B,A    exact premultiplied foreground
The subject is the P3M portrait p_22fc0130 (MIT), held out of training so the
demo's accuracy is honest, over frames 600.. of vtest.avi (OpenCV samples,
Apache-2.0/BSD-3; a busy street with pedestrians, a frame range not used for
training). Motion is scripted and the shot is deterministic: the same command
writes the same pixels. The foreground colour estimate (pymatting) is cached in
DIR/.cache. Composited in linear light: plate = a*F + (1-a)*B with F, B
linearised from sRGB, so the plate's alpha is exactly the truth alpha. The portrait's
alpha is P3M-Net's prediction (the P3M project's published result), not a hand-made matte.
"""
from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np

from cmn_vfx import color
from cmn_vfx.errors import BadInputError
from cmn_vfx.io.sequence import format_frame
from cmn_vfx.job.layout import ALPHA_CHANNELS, FG_CHANNELS, OutputLayout
from cmn_vfx.synth.footage import fit_to_canvas, read_video_frames
from cmn_vfx.synth.motion import Motion, keyframed_motion, random_motion
from cmn_vfx.synth.render import composite, move_background, render_subject
from cmn_vfx.synth.still import Still, load_still

PORTRAIT = 'p_22fc0130'
BACKGROUND = 'vtest.avi'
BACKGROUND_FIRST = 600   # inside vtest.avi's held-out range (training uses its first 65%)
FIRST_FRAME = 1001
NAME = 'sample'
PADDING = 4
LINEAR = 'lin_rec709'
ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'assets')


def _motion(still: Still, frames: int, canvas: tuple[int, int]) -> Motion:
    """The subject sways in from the left, leans and settles; the camera pans and pushes in a little."""
    w, h = canvas
    scale = 0.88 * h / still.subject_height()
    bottom = h * 1.02
    subject = [(0.40 * w, bottom, scale, -2.0), (0.52 * w, bottom + 0.02 * h, scale * 1.04, 1.5),
               (0.60 * w, bottom, scale * 1.07, -1.0)]
    camera = [(0.0, 0.0, 1.06, 0.0), (-0.015 * w, 0.005 * h, 1.08, 0.3), (-0.03 * w, 0.0, 1.10, 0.0)]
    return keyframed_motion(frames, still, canvas, subject, camera)


def _backgrounds(path: str, first: int, frames: int, canvas: tuple[int, int]) -> list[np.ndarray]:
    """``frames`` background frames from ``first`` fitted to the canvas, sRGB 0..1 (ping-pong past the end)."""
    raw = read_video_frames(path, first, frames)
    if not raw:
        raise BadInputError(f'{path}: fewer than {first + 1} frames; restore the bundled file')
    order = [i % (2 * len(raw) - 1) if len(raw) > 1 else 0 for i in range(frames)]
    order = [i if i < len(raw) else 2 * len(raw) - 2 - i for i in order]
    return [fit_to_canvas(raw[i].astype(np.float32) / 255.0, canvas) for i in order]


def build_sample_shot(out_dir: str, frames: int = 24, size: tuple[int, int] = (1280, 720),
                      assets: str = ASSETS, portrait: str = PORTRAIT, background: str = BACKGROUND,
                      background_first: int = BACKGROUND_FIRST, seed: int | None = None) -> dict:
    """Write the sample shot under ``out_dir``; size is (width, height).

    The defaults make the bundled sample shot. Another held-out ``portrait`` / ``background`` and a
    ``seed`` (random smooth subject and camera motion instead of the scripted move) made the held-out
    clips of default_model_eval.py (script removed in issue 30; the suite: bench/validation_clips.py).

    Returns {'plate', 'alpha', 'fg': '####' patterns, 'frames': 'first-last', 'colorspace', 'source'}.
    """
    from cmn_vfx.io.image import Box, write_exr

    image = os.path.join(assets, 'p3m_dev', 'original', portrait + '.jpg')
    matte = os.path.join(assets, 'p3m_dev', 'alpha', portrait + '.png')
    video = os.path.join(assets, 'backgrounds', background)
    for path in (image, matte, video):
        if not os.path.isfile(path):
            raise BadInputError(f'{path}: bundled sample source missing; restore assets/ from the repository')
    if frames < 1 or min(size) < 16:
        raise BadInputError(f'sample shot: frames={frames}, size={size}; need frames >= 1 and a size of at least 16x16')
    canvas = (int(size[0]), int(size[1]))
    still = load_still(image, matte, max_side=int(1.2 * canvas[1]), cache_dir=os.path.join(out_dir, '.cache'))
    srgb = color.network_space()
    linear = color.check_colorspace(LINEAR)
    still = dataclasses.replace(still, fgr=color.convert(still.fgr, srgb, linear))  # warp in linear light
    if seed is None:
        motion = _motion(still, frames, canvas)
    else:
        motion = random_motion(np.random.default_rng(seed), frames, still, canvas)
    backgrounds = _backgrounds(video, background_first, frames, canvas)

    truth = OutputLayout(os.path.join(out_dir, 'truth'), NAME, PADDING)    # laid out like cmn-matte's outputs
    plate_dir = os.path.join(out_dir, 'plate')
    paths = {'plate': os.path.join(plate_dir, f"{NAME}.{'#' * PADDING}.exr"),
             'alpha': truth.alpha_pattern, 'fg': truth.fg_pattern}
    for pattern in paths.values():
        os.makedirs(os.path.dirname(pattern), exist_ok=True)
    window = Box(0, 0, canvas[0], canvas[1])
    source = f'{portrait} (P3M, MIT) over {background} frames {background_first}.. (OpenCV samples)'
    for idx in range(frames):
        frame = FIRST_FRAME + idx
        fgr, pha = render_subject(still, motion, idx, blur_samples=3)
        bgr = move_background(color.convert(backgrounds[idx], srgb, linear), motion, idx)
        plate = composite(fgr, pha, bgr)
        meta = {'oiio:ColorSpace': linear, 'cmn:source': source, 'cmn:source_frame': frame}
        plate_path = os.path.join(plate_dir, f'{NAME}.{format_frame(frame, PADDING)}.exr')
        write_exr(plate_path, plate, ('R', 'G', 'B'), window, window, meta)
        write_exr(truth.alpha_path(frame), pha[..., None], ALPHA_CHANNELS, window, window, meta)
        write_exr(truth.fg_path(frame), np.concatenate([fgr * pha[..., None], pha[..., None]], axis=2),
                  FG_CHANNELS, window, window, meta)
    with open(os.path.join(out_dir, 'README.txt'), 'w', encoding='utf-8') as fh:
        fh.write(f'cmn-vfx sample shot, frames {FIRST_FRAME}-{FIRST_FRAME + frames - 1}, {canvas[0]}x{canvas[1]}, '
                 f'scene-linear {linear}.\n{source}.\nCredits and licences: assets/CREDITS.md.\n')
    return {**paths, 'frames': f'{FIRST_FRAME}-{FIRST_FRAME + frames - 1}', 'colorspace': linear, 'source': source}


def _run(args: argparse.Namespace) -> int:
    try:
        width, height = (int(v) for v in args.size.lower().split('x'))
    except ValueError:
        raise BadInputError(f'--size {args.size!r}: give WIDTHxHEIGHT, e.g. 1280x720') from None
    result = build_sample_shot(args.out, args.frames, (width, height))
    print(f"plate  {result['plate']}  frames {result['frames']}  ({result['colorspace']})")
    print(f"alpha  {result['alpha']}\nfg     {result['fg']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from cmn_vfx.console import run_cli

    parser = argparse.ArgumentParser(prog='python -m cmn_vfx.sample_shot', description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--frames', type=int, default=24, help='number of frames from 1001 (default 24)')
    parser.add_argument('--size', default='1280x720', help='WIDTHxHEIGHT (default 1280x720)')
    return run_cli(parser, argv, _run)


if __name__ == '__main__':
    raise SystemExit(main())
