"""What the correction net sees at run time, taken from the engine's own pass: `cmn-matte teach --method correct`'s
inputs.

    keys_in = capture_keys(plate, frames_text, keys, "default", colorspace="auto", layer=None, threads=None)
    keys_in[1008].src, keys_in[1008].pha, keys_in[1008].key      # working size: [h,w,3], [h,w], [h,w]

The base runs over the frames as `cmn-matte run --runtime torch --model BASE` runs them (MatteEngine.capture: the
reader's working size and colour conversion, the person prior and its track, cuts, the subject, the temporal
stabiliser, the warm-up before a range that starts mid-shot, the edge refinement), and each key frame's
working-size frame and alpha are kept: the alpha the engine's correction stage takes (MatteEngine.finish hands
it to Backend.correct), after refinement and before upsampling; never the base's own correction net where it has
one (a taught base is taught again from its refined network alpha). The pass uses the spec's defaults
(--refine guided, temporal, subject all). It stops at the last key. The keys (at the plate's data window) come
to the working size by area averaging, as the reader brings the plate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cmn_vfx.teach.shot import key_at_size


@dataclass
class KeyInput:
    """One keyframe at the working size: src [h,w,3] float32 0..1 sRGB, pha (what the correction takes) and key
    [h,w] float32 0..1."""

    src: np.ndarray
    pha: np.ndarray
    key: np.ndarray


def capture_keys(plate: str, frames: str | None, keys: dict[int, np.ndarray], model: str, colorspace: str = "auto",
                 layer: str | None = None, threads: int | None = None, progress=None) -> dict[int, KeyInput]:
    """{frame: KeyInput} for every key of `keys` ({frame: [H,W] over the plate's data window}, cmn_vfx.teach.keys).
    plate: its pattern; frames: the range taught ('1001-1040', None: the whole plate); model: the base;
    progress(n): per frame run."""
    from cmn_vfx.engine.matte import MatteEngine
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.spec import ShotSpec
    spec = ShotSpec(plate=plate, output="(teach: nothing written)", frames=frames, model=model, runtime="torch",
                    colorspace=colorspace, layer=layer, threads=threads)
    engine = MatteEngine(spec)
    engine.backend.model.correction = None      # a taught base's correction is replaced, never learnt from
    last, out = max(keys), {}
    passing = engine.capture(spec, find_sequence(plate))
    try:
        for frame, src, pha in passing:
            if frame in keys:
                out[frame] = KeyInput(src, pha, key_at_size(keys[frame], src.shape[1::-1]))
            if progress:
                progress(1)
            if frame == last:
                break
    finally:
        passing.close()         # the engine settles its backend
    return out
