"""Loading the sniklaus/pytorch-pwc checkpoint layout (synthetic file with the port's names and shapes)."""
import pytest
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.model.pwc_weights import load_pwc_port, port_key_to_ours
from cmn_vfx.model.pwcnet import PWCNet

WORDS = ["One", "Two", "Thr", "Fou", "Fiv", "Six"]
LEVEL_IN = {2: 81 + 32 + 4, 3: 81 + 64 + 4, 4: 81 + 96 + 4, 5: 81 + 128 + 4, 6: 81}


def port_state(prefix: str = "net") -> dict[str, torch.Tensor]:
    """Every key of the port's state dict with its shape, written out from the port's layout."""
    g = torch.Generator().manual_seed(0)
    state = {}

    def conv(name, cin, cout, k=3):
        state[f"{name}.weight"] = torch.randn(cout, cin, k, k, generator=g) * 0.01
        state[f"{name}.bias"] = torch.randn(cout, generator=g) * 0.01

    chans = [3, 16, 32, 64, 96, 128, 196]
    for i, word in enumerate(WORDS):
        for j, (ci, co) in enumerate([(chans[i], chans[i + 1]), (chans[i + 1],) * 2, (chans[i + 1],) * 2]):
            conv(f"{prefix}Extractor.{prefix}{word}.{2 * j}", ci, co)
    for level in range(2, 7):
        word, cin = WORDS[level - 1], LEVEL_IN[level]
        if level < 6:
            state[f"{prefix}{word}.{prefix}Upflow.weight"] = torch.randn(2, 2, 4, 4, generator=g) * 0.01
            state[f"{prefix}{word}.{prefix}Upflow.bias"] = torch.zeros(2)
            state[f"{prefix}{word}.{prefix}Upfeat.weight"] = torch.randn(LEVEL_IN[level + 1] + 448, 2, 4, 4, generator=g) * 0.01
            state[f"{prefix}{word}.{prefix}Upfeat.bias"] = torch.zeros(2)
        for k, cout in enumerate([128, 128, 96, 64, 32, 2]):
            conv(f"{prefix}{word}.{prefix}{WORDS[k]}.0", cin, cout)
            cin += cout
    for idx, (ci, co) in zip(range(0, 13, 2), [(565, 128), (128, 128), (128, 128), (128, 96), (96, 64), (64, 32), (32, 2)]):
        conv(f"{prefix}Refiner.{prefix}Main.{idx}", ci, co)
    return state


@pytest.mark.parametrize("prefix", ["net", "module"])
def test_port_state_dict_loads_with_every_tensor_in_place(tmp_path, prefix):
    state = port_state(prefix)
    path = str(tmp_path / "network-default.pytorch")
    torch.save(state, path)
    net = PWCNet()
    load_pwc_port(net, path)
    ours = net.state_dict()
    assert len(ours) == len(state)
    for key, value in state.items():
        assert torch.equal(ours[port_key_to_ours(key)], value), key


def test_key_mapping_examples():
    assert port_key_to_ours("netTwo.netSix.0.weight") == "decoders.0.predict.weight"
    assert port_key_to_ours("moduleSix.moduleOne.0.bias") == "decoders.4.dense.0.0.bias"
    assert port_key_to_ours("netExtractor.netThr.2.weight") == "extractor.levels.2.2.weight"
    assert port_key_to_ours("netFiv.netUpfeat.weight") == "decoders.3.upfeat.weight"
    assert port_key_to_ours("netRefiner.netMain.12.bias") == "refiner.12.bias"


def test_reduced_width_net_refuses_port_weights(tmp_path):
    path = str(tmp_path / "w.pytorch")
    torch.save(port_state(), path)
    with pytest.raises(BadInputError, match="pwc_width=0.5.*shape"):
        load_pwc_port(PWCNet(0.5), path)


def test_missing_weights_file(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        load_pwc_port(PWCNet(0.125), str(tmp_path / "nope.pytorch"))
