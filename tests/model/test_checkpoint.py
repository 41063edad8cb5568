"""save_checkpoint / load_model round trip and the user errors."""
import os

import pytest
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx.model import build_model, load_model, save_checkpoint
from cmn_vfx.model.checkpoint import sha256_of
from tests.model.conftest import tiny


def test_round_trip_gives_identical_outputs(tmp_path):
    torch.manual_seed(3)
    model = build_model(tiny()).eval()
    path = str(tmp_path / "m.pt")
    save_checkpoint(path, model, {"iteration": 7, "metrics": {"mad": 1.5}})
    loaded, info = load_model(path)
    assert info["name"] == "m" and info["sha256"] == sha256_of(path) and info["metrics"] == {"mad": 1.5}
    assert info["model_config"] == model.config.to_dict()
    src = torch.rand(1, 3, 32, 40)
    with torch.no_grad():
        a, _, _ = model(src)
        b, _, _ = loaded(src)
    assert torch.equal(a, b)
    assert not loaded.training


def test_missing_file_names_the_path():
    with pytest.raises(BadInputError, match="no_such_model"):
        load_model("no_such_model")


def test_corrupt_file(tmp_path):
    path = tmp_path / "bad.pt"
    path.write_bytes(b"this is not a checkpoint")
    with pytest.raises(BadInputError, match="bad.pt: not a readable checkpoint"):
        load_model(str(path))


def test_foreign_dict_is_refused(tmp_path):
    path = str(tmp_path / "plain.pt")
    torch.save({"weights": torch.zeros(1)}, path)
    with pytest.raises(BadInputError, match="not a cmn-vfx checkpoint"):
        load_model(path)


def test_incompatible_state_dict_names_the_mismatch(tmp_path):
    model = build_model(tiny(variant="baseline"))
    path = str(tmp_path / "edited.pt")
    save_checkpoint(path, model)
    ckpt = torch.load(path, weights_only=True)
    ckpt["model_config"]["width"] = 6
    torch.save(ckpt, path)
    with pytest.raises(BadInputError, match=r"do not match its model_config \(.*shape"):
        load_model(path)
    del ckpt["model"]["decoder_pha.last.1.bias"]
    ckpt["model_config"]["width"] = 4
    torch.save(ckpt, path)
    with pytest.raises(BadInputError, match="missing keys.*decoder_pha.last.1.bias"):
        load_model(path)


def test_no_temp_file_left_behind(tmp_path):
    save_checkpoint(str(tmp_path / "a.pt"), build_model(tiny(variant="baseline")))
    assert os.listdir(tmp_path) == ["a.pt"]


def test_strip_keeps_the_model_and_recipe_and_drops_training_state(tmp_path):
    from cmn_vfx.model.checkpoint import strip_checkpoint
    model = build_model(tiny()).eval()
    src, dst = str(tmp_path / "last.pt"), str(tmp_path / "default.pt")
    save_checkpoint(src, model, {"train_config": {"lr": 1e-3}, "iteration": 7,
                                 "optimizer": {"state": {0: torch.zeros(1000, 100)}}, "rng": {"torch": torch.zeros(8)}})
    kept = strip_checkpoint(src, dst)
    assert "optimizer" not in kept and "rng" not in kept and kept["iteration"] == 7
    assert os.path.getsize(dst) < os.path.getsize(src) - 300_000
    loaded, meta = load_model(dst)
    x = torch.rand(1, 3, 40, 56)
    with torch.no_grad():
        assert torch.equal(loaded(x)[0], model(x)[0])
    assert torch.load(dst, weights_only=False)["train_config"] == {"lr": 1e-3}


def test_nan_or_inf_weights_are_refused_naming_the_file_and_the_first_bad_tensor(tmp_path):
    path = str(tmp_path / "diverged.pt")
    save_checkpoint(path, build_model(tiny()), {})
    ckpt = torch.load(path, weights_only=True)
    names = [k for k, v in ckpt["model"].items() if v.is_floating_point()]
    ckpt["model"][names[5]].view(-1)[0] = float("inf")
    ckpt["model"][names[9]].view(-1)[0] = float("nan")
    torch.save(ckpt, path)
    with pytest.raises(BadInputError, match=rf"diverged\.pt: tensor '{names[5]}' holds NaN/Inf weights"):
        load_model(path)


def test_a_bad_variant_inside_a_checkpoint_names_the_file(tmp_path):
    path = str(tmp_path / "edited.pt")
    save_checkpoint(path, build_model(tiny()), {})
    ckpt = torch.load(path, weights_only=True)
    ckpt["model_config"]["variant"] = "bogus"
    torch.save(ckpt, path)
    with pytest.raises(BadInputError, match=r"edited\.pt: model config: variant='bogus' is unknown"):
        load_model(path)


class _RunsCode:
    """A pickle whose loading runs a shell command (what a hostile `.pt` does)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_whose_pickle_runs_code_is_refused_without_running_it(tmp_path):
    from cmn_vfx.model.checkpoint import strip_checkpoint
    marker = tmp_path / "ran"
    model = build_model(tiny(variant="baseline"))
    path = str(tmp_path / "hostile.pt")
    torch.save({"format": "cmn-vfx-checkpoint", "version": 1, "model_config": model.config.to_dict(),
                "model": model.state_dict(), "payload": _RunsCode(str(marker))}, path)
    for load in (load_model, lambda p: strip_checkpoint(p, str(tmp_path / "copy.pt"))):
        with pytest.raises(BadInputError, match=r"hostile.pt: holds Python objects other than weights"):
            load(path)
    assert not marker.exists()
    assert not (tmp_path / "copy.pt").exists()


def test_the_bundled_model_loads_as_weights_only():
    from cmn_vfx.model.checkpoint import read_checkpoint
    ckpt = read_checkpoint("cmn_vfx/models/default.pt")
    assert ckpt["format"] == "cmn-vfx-checkpoint" and len(ckpt["model"]) > 100
