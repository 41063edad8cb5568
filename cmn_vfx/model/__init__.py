"""The Context Motion Network (paper section 3). See docs/model.md."""
from cmn_vfx.model.checkpoint import load_model, save_checkpoint
from cmn_vfx.model.cmn import CMN, MIN_SIZE, build_model
from cmn_vfx.model.config import ModelConfig

__all__ = ["CMN", "MIN_SIZE", "ModelConfig", "build_model", "load_model", "save_checkpoint"]
