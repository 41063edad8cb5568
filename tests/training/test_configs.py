"""Every training recipe in configs/train parses and validates (a typo in a key fails here, not an hour into a run)."""
import glob
import os

import pytest

from cmn_vfx_training.config import TrainConfig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "configs", "train", "*.yaml")))


def test_the_recipes_are_found():
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize("path", CONFIGS, ids=[os.path.basename(p) for p in CONFIGS])
def test_recipe_parses(path):
    cfg = TrainConfig.from_yaml(path)
    assert cfg.phase1.iterations > 0 and cfg.out_dir
