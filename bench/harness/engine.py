"""Every engine the bench builds is built here: the one module that knows the engine's constructor, its
shot record and its backend, so that a change to them (issue 30: the ShotSpec as the engine's input) is
one edit for the whole bench.

    engine = open_engine("default", prior="people", temporal=0.0)      # a MatteEngine on the CPU
    run_shot(engine, "work/plates/two_a/clip.####.exr", "work/mattes/two_a")
    alphas = read_outputs("work/mattes/two_a", "work/plates/two_a/clip.####.exr")   # [H,W] float32 each

    settings("temporal=0&runtime=onnx")     # {'temporal': 0.0, 'runtime': 'onnx'}: a method's options

profile_stages() times the stages a frame passes through, one after another in this process, with the
runtime's backend (its documented calls: frame, step, refine, upsample, plane) and the writer's fg.
"""
from __future__ import annotations

import os
import time

import numpy as np


def settings(text: str) -> dict:
    """'temporal=0&precision=bf16' -> {'temporal': 0.0, 'precision': 'bf16'} (numbers become floats)."""
    out = {}
    for key, _, value in (o.partition("=") for o in text.split("&") if o):
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = value
    return out


WHOLE = ("threads", "warmup", "chunk_size")      # spec fields that take whole numbers (settings() reads floats)


def bench_spec(model: str = "default", device: str = "cpu", **engine_settings):
    """The ShotSpec the bench runs with: `cmn-matte run --model MODEL --device DEVICE` and the other settings
    (prior, temporal, refine, runtime, precision, downsample, fg_colour, threads, warmup) by name. Its plate and
    output are placeholders: run_shot gives each run its own. Validated (ShotSpec.problems), as cmn-matte run's is."""
    from cmn_vfx.job.spec import ShotSpec
    whole = {k: int(v) for k, v in engine_settings.items() if k in WHOLE and isinstance(v, float) and v.is_integer()}
    return ShotSpec(plate="<bench plate>", output="<bench output>", model=model, device=device,
                    **dict(engine_settings, **whole)).validate()


def open_engine(model: str = "default", device: str = "cpu", **engine_settings):
    """A MatteEngine for `model` (a bundled name, a checkpoint or an .onnx) with bench_spec's settings."""
    from cmn_vfx.engine import MatteEngine
    return MatteEngine(bench_spec(model, device, **engine_settings))


def run_shot(engine, plate: str, out: str, frames: list[int] | None = None, subject: str | None = None):
    """Matte the plate sequence `plate` ('#' pattern) into `out`, every frame (or `frames`), overwriting
    what is there; `subject` as `cmn-matte run --subject`. Returns the engine's RunReport."""
    import dataclasses

    from cmn_vfx.io.sequence import find_sequence, format_frame_range
    seq = find_sequence(plate)
    spec = dataclasses.replace(engine.spec, plate=plate, output=out, subject=subject,
                               frames=None if frames is None else format_frame_range(list(frames)))
    return engine.run(spec, seq, out, seq.name, overwrite=True, progress=False)


def read_outputs(out: str, plate: str, frames: list[int] | None = None, kind: str = "alpha") -> list[np.ndarray]:
    """What a run wrote under `out` for the plate's frames: kind 'alpha' -> [H,W], 'fg' -> [H,W,4] premultiplied
    scene-linear RGBA; float32 (the output layout of cmn_vfx.job.layout)."""
    from cmn_vfx.io.image import read_image
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.layout import OutputLayout
    seq = find_sequence(plate)
    layout = OutputLayout(out, seq.name, seq.padding)
    path = layout.alpha_path if kind == "alpha" else layout.fg_path
    pixels = [read_image(path(frame)).pixels for frame in (seq.frames if frames is None else frames)]
    return [p[..., 0] for p in pixels] if kind == "alpha" else pixels


def profile_stages(model: str, plates: list[str], runtime: str = "torch", threads: int = 2) -> dict[str, list[float]]:
    """Seconds of each stage per frame over `plates` (scene-linear EXR paths, one shot in order): EXR read,
    colour to network space, resize, person prior, network step, edge refinement, guided upsampling, fg
    composition and the two EXR writes, as the reader, network and writer threads run them."""
    import tempfile

    import cv2

    from cmn_vfx.color import to_network, to_network_half
    from cmn_vfx.engine import process
    from cmn_vfx.engine.output_pixels import quantise_alpha
    from cmn_vfx.engine.runtime import open_backend
    from cmn_vfx.engine.writer import FrameWriter
    from cmn_vfx.io.image import Box, read_rgb, write_exr
    from cmn_vfx.job.layout import ALPHA_CHANNELS, FG_CHANNELS, OutputLayout
    from cmn_vfx.job.names import AUTO_LONG_SIDE
    from cmn_vfx.prior import load_prior

    process.for_frames()           # as `cmn-matte run` does
    backend = open_backend(bench_spec(model, "cpu", runtime=runtime, threads=threads))
    config = backend.meta["model_config"]
    prior_fn = load_prior(config.get("prior_model", "auto")) if config.get("prior") == "person" else None
    tmp = tempfile.mkdtemp(prefix="cmn_stages_")
    writer = FrameWriter(OutputLayout(tmp, "bench", 4), "lin_rec709", "{}", "bench", "0")
    times: dict[str, list[float]] = {}

    def timed(name, fn, *args):
        started = time.perf_counter()
        out = fn(*args)
        times.setdefault(name, []).append(time.perf_counter() - started)
        return out

    state, prev = None, None
    for plate in plates:
        image = timed("read EXR (RGB)", read_rgb, plate, None, True)
        height, width = image.pixels.shape[:2] if image.pixels is not None else image.half.shape[:2]
        scale = AUTO_LONG_SIDE / max(width, height)
        small_size, box = (round(width * scale), round(height * scale)), Box(0, 0, width, height)
        net = timed("colour -> network", lambda im: to_network_half(im.half, "lin_rec709")
                    if im.half is not None else to_network(im.pixels, "lin_rec709"), image)
        small = timed("resize", cv2.resize, net, small_size, None, 0, 0, cv2.INTER_AREA)
        prior = timed("person prior (auto)", prior_fn, small) if prior_fn else None
        src = backend.frame(small)
        pha, _, state = timed("network step", backend.step, src, prev, state,
                              backend.frame(prior) if prior is not None else None)
        pha = timed("edge refinement", backend.refine, pha, src)
        guide = np.ascontiguousarray(net @ np.float32([0.2126, 0.7152, 0.0722]))
        full = timed("guided upsample", backend.upsample, pha, src, guide)
        prev = src
        alpha = quantise_alpha(full)
        rgba = timed("fg estimate + composition", writer.foreground, image, alpha, None, (small, backend.plane(pha)))
        timed("write fg EXR (RGBA zip)", write_exr, os.path.join(tmp, "fg.exr"), rgba, FG_CHANNELS, box, box)
        timed("write alpha EXR (A zip)", write_exr, os.path.join(tmp, "a.exr"), alpha[..., None], ALPHA_CHANNELS,
              box, box)
    return times
