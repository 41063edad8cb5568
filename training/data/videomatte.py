"""VideoMatte240K layout: ``root/fgr/<clip>/<frame>.jpg`` and ``root/pha/<clip>/<frame>.jpg``.

The layout used by public video-matting code (RobustVideoMatting's
VideoMatteDataset). Frames are matched by file name; only the folder listing
happens at start-up, images are read when a clip is drawn.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import cv2
import numpy as np

from cmn_vfx.synth.footage import fit_to_canvas
from cmn_vfx.errors import BadInputError
from cmn_vfx_training.data.sources import ForegroundClip

IMAGE_EXTS = ('.jpg', '.jpeg', '.png')


@dataclass
class VideoMatteSource:
    """Random T-frame windows of real foreground videos with alpha (flow unknown)."""

    root: str
    _clips: list = field(default_factory=list, init=False, repr=False)
    real_person = True

    def __post_init__(self) -> None:
        fgr_root, pha_root = os.path.join(self.root, 'fgr'), os.path.join(self.root, 'pha')
        if not (os.path.isdir(fgr_root) and os.path.isdir(pha_root)):
            raise BadInputError(f'{self.root}: expected fgr/<clip>/ and pha/<clip>/ folders (VideoMatte240K layout); '
                                'point data.foregrounds[].root at the split folder, e.g. VideoMatte240K_JPEG_SD/train')
        for clip in sorted(os.listdir(fgr_root)):
            fdir, pdir = os.path.join(fgr_root, clip), os.path.join(pha_root, clip)
            if not os.path.isdir(pdir):
                continue
            names = sorted(set(n for n in os.listdir(fdir) if n.lower().endswith(IMAGE_EXTS))
                           & set(os.listdir(pdir)))
            if names:
                self._clips.append((fdir, pdir, names))
        if not self._clips:
            raise BadInputError(f'{self.root}: no clip has frames in both fgr/ and pha/; check the layout')

    def __len__(self) -> int:
        return len(self._clips)

    def sample(self, rng: np.random.Generator, frames: int, canvas: tuple[int, int]) -> ForegroundClip:
        """``frames`` consecutive frames of a random clip, fitted to canvas (width, height)."""
        fdir, pdir, names = self._clips[int(rng.integers(len(self._clips)))]
        start = int(rng.integers(0, max(1, len(names) - frames + 1)))
        picked = [names[min(start + i, len(names) - 1)] for i in range(frames)]
        fgr, pha = [], []
        for name in picked:
            f = cv2.imread(os.path.join(fdir, name), cv2.IMREAD_COLOR)
            a = cv2.imread(os.path.join(pdir, name), cv2.IMREAD_GRAYSCALE)
            if f is None or a is None:
                raise BadInputError(f'{fdir}/{name}: cannot read the frame or its alpha; re-extract the clip')
            fgr.append(fit_to_canvas(f[:, :, ::-1].astype(np.float32) / 255.0, canvas))
            pha.append(fit_to_canvas(np.repeat(a[..., None], 3, 2).astype(np.float32) / 255.0, canvas)[..., 0])
        return ForegroundClip(np.stack(fgr), np.stack(pha), None, None, True, os.path.basename(fdir))
