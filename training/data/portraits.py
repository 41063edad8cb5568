"""Portrait stills with alpha (``original/*.jpg`` + ``alpha/*.png``) animated into clips.

The layout is P3M's (assets/p3m_dev). Each still's foreground colour is
estimated once with pymatting and cached as a 16-bit PNG under ``cache_dir``.
Stills are loaded when the source is built, in the main process, and kept in
memory at ``max_side`` pixels at most: pymatting runs numba's parallel threads,
which must not run again in a forked DataLoader worker (the worker is killed).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from cmn_vfx.synth.motion import random_motion
from cmn_vfx.synth.still import Still, load_still
from cmn_vfx_training.data.compose import prescale
from cmn_vfx.errors import BadInputError
from cmn_vfx_training.data.sources import ForegroundClip, clip_from_motion
from cmn_vfx_training.data.splits import VALIDATION_PORTRAITS, check_training_portraits

# Portraits kept out of training: the validation suite and the sample shot use them (training/data/splits.py).
HELD_OUT = VALIDATION_PORTRAITS
IMAGE_EXTS = ('.jpg', '.jpeg', '.png')


def list_portraits(root: str, split: str = 'all', held_out: tuple[str, ...] = HELD_OUT) -> list[tuple[str, str]]:
    """(image, alpha) path pairs under ``root``/original and ``root``/alpha matched by
    file stem, sorted by name. split: 'train' drops ``held_out``, 'val' keeps only them."""
    orig, alpha = os.path.join(root, 'original'), os.path.join(root, 'alpha')
    if not (os.path.isdir(orig) and os.path.isdir(alpha)):
        raise BadInputError(f'{root}: portrait folder needs original/ and alpha/ subfolders (P3M layout); '
                            'point data.portraits.root at such a folder')
    alphas = {os.path.splitext(n)[0]: os.path.join(alpha, n) for n in os.listdir(alpha)
              if n.lower().endswith(IMAGE_EXTS)}
    pairs = []
    for name in sorted(os.listdir(orig)):
        stem, ext = os.path.splitext(name)
        if ext.lower() not in IMAGE_EXTS or stem not in alphas:
            continue
        if (split == 'train' and stem in held_out) or (split == 'val' and stem not in held_out):
            continue
        pairs.append((os.path.join(orig, name), alphas[stem]))
    if not pairs:
        raise BadInputError(f'{root}: no portrait with a matching alpha for split {split!r}; '
                            'check original/<name>.jpg has alpha/<name>.png')
    return pairs


@dataclass
class PortraitSource:
    """Real portrait stills moved with smooth random motion (exact alpha, fgr and flow).

    max_side: stills are resized so their longer side is at most this (pixels);
    cache_dir: where estimated foregrounds are cached (None: recompute per process).
    """

    root: str
    split: str = 'train'
    max_side: int = 800
    cache_dir: str | None = None
    blur_samples: int = 3
    speed: float = 1.0
    camera: bool = True
    held_out: tuple[str, ...] = HELD_OUT
    real_person = True
    _pairs: list = field(default_factory=list, init=False, repr=False)
    _stills: dict = field(default_factory=dict, init=False, repr=False)
    _small: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._pairs = list_portraits(self.root, self.split, tuple(self.held_out))
        if self.split == 'train':
            check_training_portraits([os.path.splitext(os.path.basename(p))[0] for p, _ in self._pairs], self.root)
        for idx in range(len(self._pairs)):
            self.still(idx)

    def __len__(self) -> int:
        return len(self._pairs)

    def still(self, idx: int) -> Still:
        """The idx-th still (loaded at construction, see the module docstring)."""
        if idx not in self._stills:
            image, alpha = self._pairs[idx]
            self._stills[idx] = load_still(image, alpha, self.max_side, self.cache_dir)
        return self._stills[idx]

    def sample(self, rng: np.random.Generator, frames: int, canvas: tuple[int, int]) -> ForegroundClip:
        """A clip of a random still over ``frames`` frames at canvas (width, height)."""
        still = self.still(int(rng.integers(len(self._pairs))))
        motion = random_motion(rng, frames, still, canvas, height_fraction=(0.6, 1.1),
                                       speed=self.speed * rng.uniform(0.3, 2.0), camera=self.camera,
                                       bottom_cut=still.cut_at_bottom())
        still, motion = prescale(still, motion, self._small)
        blur = self.blur_samples if rng.random() < 0.5 else 1
        return clip_from_motion(still, motion, blur, real_person=True)
