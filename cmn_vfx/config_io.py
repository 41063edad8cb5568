"""Typed configs from YAML: load_yaml_mapping and dataclass_from_dict, defined in
cmn_vfx/job/config_yaml.py (the bottom layer, which reads the shot spec); the model's and training's
configs import them by this name.
"""
from cmn_vfx.job.config_yaml import dataclass_from_dict, load_yaml_mapping

__all__ = ["dataclass_from_dict", "load_yaml_mapping"]
