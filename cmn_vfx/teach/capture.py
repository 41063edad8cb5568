"""What the correction net sees at run time, taken from the engine's own pass: `cmn-matte teach --method correct`'s
inputs.

    spec = ShotSpec(plate, "(teach: nothing written)", frames="1001-1040", model="default", refine="none")
    keys_in, taught_with = capture_keys(spec, keys, around=4)
    keys_in[1008].src, keys_in[1008].pha, keys_in[1008].key      # working size: [h,w,3], [h,w], [h,w]
    keys_in[1009].key, keys_in[1009].cut                         # None: a neighbour (around); False
    taught_with        # {"refine": "none", "temporal": 0.7, "subject": "all", ...}: the checkpoint's teach["run"]

The base runs over the frames as `cmn-matte run --runtime torch` runs the spec (MatteEngine.capture: the
reader's working size (`downsample`) and colour conversion, the person prior and its track, cuts, the subject,
the temporal stabiliser, the warm-up before a range that starts mid-shot, the edge refinement), and each key
frame's working-size frame and alpha are kept: the alpha the engine's correction stage takes (MatteEngine.finish
hands it to Backend.correct), after refinement and before upsampling; never the base's own correction net where
it has one (a taught base is taught again from its refined network alpha). The spec is the run's (`cmn-matte
teach` builds it from the run's flags), so the net learns the input the run feeds it; what of it shapes that
input comes back as the run resolves it (MatteEngine.correction_inputs, cmn_vfx.engine.taught), for the
checkpoint to record. Its output is never written: a subject other than all is resolved into a temporary folder.
It stops at the last key, or `around` frames after it: the frames within `around` of a key come too, without a
key (cmn_vfx.teach.propagate carries the keys to them), each with whether the shot cuts there. The keys (at the
plate's data window) come to the working size by area averaging, as the reader brings the plate.
"""
from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass

import numpy as np

from cmn_vfx.job.spec import ShotSpec
from cmn_vfx.teach.shot import key_at_size


@dataclass
class KeyInput:
    """One frame at the working size: src [h,w,3] float32 0..1 sRGB, pha (what the correction takes) and key
    [h,w] float32 0..1 (None: a key's neighbour); cut: the shot cuts here (the engine's memory starts again)."""

    src: np.ndarray
    pha: np.ndarray
    key: np.ndarray | None
    cut: bool = False


def capture_keys(spec: ShotSpec, keys: dict[int, np.ndarray], progress=None, around: int = 0
                 ) -> tuple[dict[int, KeyInput], dict]:
    """({frame: KeyInput} for every key of `keys` ({frame: [H,W] over the plate's data window},
    cmn_vfx.teach.keys) and every frame of the range within `around` of one, the settings it was captured under
    (cmn_vfx.engine.taught.taught_with)).
    spec: the run's (plate, frames taught, base model, colourspace, layer, threads, and the settings of
    CORRECTION_INPUTS); it runs in torch, its output unused. progress(n): per frame run."""
    from cmn_vfx.engine.matte import MatteEngine
    from cmn_vfx.io.sequence import find_sequence
    with tempfile.TemporaryDirectory(prefix="cmn-teach-") as scratch:
        spec = dataclasses.replace(spec, runtime="torch", output=scratch)
        engine = MatteEngine(spec)
        engine.backend.model.correction = None      # a taught base's correction is replaced, never learnt from
        seq = find_sequence(spec.plate)
        taught_with = engine.correction_inputs(spec, seq)
        last, out, cuts = max(keys) + around, {}, []
        passing = engine.capture(spec, seq, cuts)
        try:
            for frame, src, pha in passing:
                if frame in keys:
                    out[frame] = KeyInput(src, pha, key_at_size(keys[frame], src.shape[1::-1]), frame in cuts)
                elif any(abs(frame - k) <= around for k in keys):
                    out[frame] = KeyInput(src, pha, None, frame in cuts)
                if progress:
                    progress(1)
                if frame >= last:
                    break
        finally:
            passing.close()         # the engine settles its backend
    return out, taught_with
