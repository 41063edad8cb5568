"""What a foreground source hands to the dataset: a clip with its ground truth."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ForegroundClip:
    """T frames of a foreground at canvas size.

    fgr: [T,H,W,3] float32 0..1 sRGB; pha: [T,H,W] float32 0..1;
    flow: [T,H,W,2] float32 backward flow t->t-1 in pixels (zeros at t=0), or None when unknown;
    camera: [T,3,3] canvas->canvas camera matrices the background must follow, or None (locked off);
    real_person: True when the pixels show a real person (the real person prior applies).
    """

    fgr: np.ndarray
    pha: np.ndarray
    flow: np.ndarray | None
    camera: np.ndarray | None
    real_person: bool
    name: str = ''


def clip_from_motion(still, motion, blur_samples: int, real_person: bool) -> ForegroundClip:
    """Render every frame of ``motion`` (cmn_vfx.synth.motion.Motion) for a still."""
    from cmn_vfx.synth.render import render_subject
    from cmn_vfx_training.data.compose import backward_flow

    frames = [render_subject(still, motion, i, blur_samples) for i in range(motion.frames)]
    return ForegroundClip(
        fgr=np.stack([f for f, _ in frames]),
        pha=np.stack([a for _, a in frames]),
        flow=np.stack([backward_flow(motion, i) for i in range(motion.frames)]),
        camera=np.stack([motion.camera_matrix(i) for i in range(motion.frames)]),
        real_person=real_person,
        name=still.name,
    )
