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
    from cmn_vfx.config_io import load_yaml_mapping
    from cmn_vfx_training.heads_config import HeadsConfig

    if "phase1" not in load_yaml_mapping(path, "recipe"):       # a frozen-trunk heads recipe (v5)
        cfg = HeadsConfig.from_yaml(path)
        assert cfg.iterations > 0 and cfg.out_dir and cfg.model["frozen_trunk"]
        return
    cfg = TrainConfig.from_yaml(path)
    assert cfg.phase1.iterations > 0 and cfg.out_dir
