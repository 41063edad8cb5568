"""Load PWC-Net weights saved by the common PyTorch port (sniklaus/pytorch-pwc, e.g. network-default.pytorch).

Key mapping (the port's names on the left; 'module' is the port's older prefix, read as 'net'):
    netExtractor.net{One,Two,Thr,Fou,Fiv,Six}.{0,2,4}.*  ->  extractor.levels.{0..5}.{0,2,4}.*
    net{Two..Six}.netUpflow.*                            ->  decoders.{0..4}.upflow.*    (level 2..6 -> index 0..4)
    net{Two..Six}.netUpfeat.*                            ->  decoders.{0..4}.upfeat.*
    net{Two..Six}.net{One..Fiv}.0.*                      ->  decoders.{0..4}.dense.{0..4}.0.*
    net{Two..Six}.netSix.0.*                             ->  decoders.{0..4}.predict.*
    netRefiner.netMain.{0..12}.*                         ->  refiner.{0..12}.*
"""
from __future__ import annotations

import os
import re

import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.model.pwcnet import PWCNet
from cmn_vfx.model.state_check import state_mismatch

NUMBERS = {"One": 0, "Two": 1, "Thr": 2, "Fou": 3, "Fiv": 4, "Six": 5}
LEVELS = {"Two": 2, "Thr": 3, "Fou": 4, "Fiv": 5, "Six": 6}


def port_key_to_ours(key: str) -> str:
    """One port state-dict key -> the PWCNet key (KeyError-free: unknown keys come back unchanged)."""
    key = key.replace("module", "net")
    if m := re.fullmatch(r"netExtractor\.net(\w{3})\.(\d+)\.(\w+)", key):
        return f"extractor.levels.{NUMBERS[m[1]]}.{m[2]}.{m[3]}"
    if m := re.fullmatch(r"netRefiner\.netMain\.(\d+)\.(\w+)", key):
        return f"refiner.{m[1]}.{m[2]}"
    if m := re.fullmatch(r"net(Two|Thr|Fou|Fiv|Six)\.net(Upflow|Upfeat)\.(\w+)", key):
        return f"decoders.{LEVELS[m[1]] - 2}.{m[2].lower()}.{m[3]}"
    if m := re.fullmatch(r"net(Two|Thr|Fou|Fiv|Six)\.net(\w{3})\.0\.(\w+)", key):
        index = LEVELS[m[1]] - 2
        if m[2] == "Six":
            return f"decoders.{index}.predict.{m[3]}"
        return f"decoders.{index}.dense.{NUMBERS[m[2]]}.0.{m[3]}"
    return key


def convert_port_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename every key of a port state dict to PWCNet's names."""
    return {port_key_to_ours(k): v for k, v in state.items()}


def load_pwc_port(net: PWCNet, path: str) -> None:
    """Load a port checkpoint file (or one of our own PWCNet state dicts) into `net`, strictly."""
    if not os.path.isfile(path):
        raise BadInputError(f"flow_weights: {path} does not exist; give the path of a pytorch-pwc .pytorch file or leave it empty")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise BadInputError(f"flow_weights: {path} is not a readable torch state dict ({type(exc).__name__})") from exc
    if not isinstance(state, dict):
        raise BadInputError(f"flow_weights: {path} holds a {type(state).__name__}, not a state dict")
    ours = convert_port_state(state)
    detail = state_mismatch(net.state_dict(), ours)
    if detail:
        raise BadInputError(f"flow_weights: {path} does not fit PWC-Net at pwc_width={net.width} ({detail}); "
                            "use the port's Sintel/default weights with pwc_width: 1.0")
    net.load_state_dict(ours)
