"""`cmn-matte teach --method correct` (the default) on the tiny shot of tests/commands/test_teach.py: its inputs are
the engine's own (cmn_vfx.teach.capture: the alpha `cmn-matte run` hands its correction stage, after refinement at
the working size), the taught model beats its base on a frame it never saw in every runtime, and any base can be
taught."""
import json
import os

import numpy as np
import pytest
import torch

from cmn_vfx.cli import matte_main
from cmn_vfx.engine.reader import first_geometry
from cmn_vfx.engine.torch_backend import TorchBackend
from cmn_vfx.io.digest import sha256_of
from cmn_vfx.io.sequence import find_sequence, shot_frames
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx.model.checkpoint import read_checkpoint
from cmn_vfx.model.onnx_format import correction_path
from cmn_vfx.teach.capture import capture_keys
from cmn_vfx.teach.keys import read_keys
from tests.commands.test_teach import KEYS, assert_beats_base_in_every_runtime, shot, teach  # noqa: F401 - shot: a fixture
from tests.engine.engine_helpers import make_checkpoint

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def captured(shot, tmp_path_factory):
    """{refine: the KeyInputs captured under it}, the keys and the base (a v3 checkpoint: its state shows in the
    alpha, engine_helpers)."""
    seq = find_sequence(shot["plate"])
    keys = read_keys(shot["keys"], shot_frames(seq, None), first_geometry(seq))
    base = make_checkpoint(str(tmp_path_factory.mktemp("capture") / "v3.pt"))
    got = {}
    for refine in ("guided", "none"):      # the spec's default, then the run's --refine none
        spec = ShotSpec(plate=shot["plate"], output="unused", frames="1003-1010", model=base, threads=1, refine=refine)
        got[refine], recorded = capture_keys(spec, keys)        # a warm-up before 1003
        assert recorded["refine"] == refine and recorded["subject"] == "all" and recorded["warmup"] == 8
    return got, keys, base


@pytest.mark.parametrize("refine", ["guided", "none"])
def test_the_captured_inputs_are_what_cmn_matte_run_corrects_under_its_settings(captured, shot, refine, monkeypatch,
                                                                                 tmp_path):
    inputs, keys, base = captured
    got = inputs[refine]
    assert sorted(got) == [1008]
    assert not np.array_equal(inputs["guided"][1008].pha, inputs["none"][1008].pha)   # the setting reaches the alpha
    fed = []
    correct = TorchBackend.correct
    monkeypatch.setattr(TorchBackend, "correct", lambda self, pha, src: fed.append(pha) or correct(self, pha, src))
    assert matte_main(["run", shot["plate"], "--model", base, "--out", str(tmp_path / "run"), "--frames",
                       "1003-1010", "--runtime", "torch", "--refine", refine, "--no-progress"]) == 0
    assert len(fed) == 8                                # the range's frames, in order (the warm-up writes nothing)
    run_pha = TorchBackend.plane(fed[-3])               # 1008: the third from the end
    assert np.array_equal(got[1008].pha, run_pha)
    assert got[1008].src.shape == (*run_pha.shape, 3) and got[1008].key.shape == run_pha.shape
    assert abs(float(got[1008].key.sum()) - float(keys[1008].sum()) * run_pha.size / keys[1008].size) < 1.0


def test_correct_taught_model_beats_its_base_on_a_held_out_frame_in_every_runtime(shot, capsys):
    # the net gets 3 levels, not the default 5 (correct.levels_for): the tiny shot's 42x68 working frame gives
    # 40 px crops, which 5 levels halve to 2-3 px (measured, 400 iterations on the keys: MAD x1e3 27 at 5 levels,
    # 1.5 at 3, against the base's 31)
    out = str(shot["root"] / "models" / "corrected.pt")
    assert teach(shot, shot["keys"], out, "--iterations", "400", "--lr", "5e-3", "--json", "--propagate", "4") == 0
    # (the default method)
    report = json.loads(capsys.readouterr().out)
    assert report["method"] == "correct" and report["iterations"] == 400
    assert report["carried"]["frames"] == 8 and report["carried"]["trusted"] > 0.5     # 1002-1007, 1009, 1010
    assert all(report["key_mad_x1e3"][str(f)] < 0.5 * report["base_key_mad_x1e3"][str(f)] for f in KEYS), report
    ckpt = read_checkpoint(out)
    assert ckpt["model_config"]["correction"]["levels"] == 3 and ckpt["model_config"]["correction"]["width"] == 16
    assert os.path.isfile(correction_path(out[:-3] + ".onnx"))          # the sidecar the ONNX runtimes need
    assert ckpt["teach"]["method"] == "correct" and ckpt["teach"]["settings"]["iterations"] == 400
    assert ckpt["teach"]["base"]["sha256"] == sha256_of(shot["base"])
    base = read_checkpoint(shot["base"])["model"]
    assert all(torch.equal(v, ckpt["model"][k]) for k, v in base.items())        # the base's weights, untouched
    assert_beats_base_in_every_runtime(shot, out, "correct")


def test_correct_teaches_a_base_without_frozen_trunk_under_the_run_settings_it_records(shot, tmp_path, capsys):
    old = make_checkpoint(str(tmp_path / "v3.pt"))
    out = str(tmp_path / "m.pt")
    assert matte_main(["teach", shot["plate"], "--keys", shot["keys"], "--out", out, "--model", old,
                       "--iterations", "2", "--no-progress", "--refine", "none", "--temporal", "0.5",
                       "--no-auto-cuts", "--cuts", "1005", "--downsample", "0.9"]) == 0
    ckpt = read_checkpoint(out)
    assert not ckpt["model_config"]["frozen_trunk"] and ckpt["model_config"]["correction"]
    assert ckpt["teach"]["result"]["iterations"] == 2 and os.path.isfile(out[:-3] + ".onnx")
    assert ckpt["teach"]["run"] == {"refine": "none", "temporal": 0.5, "subject": "all", "prior": None,
                                    "cuts": [1005], "auto_cuts": False, "warmup": 8, "downsample": 0.9}
    assert ckpt["teach"]["working_size"] == [61, 38]        # the 68x42 plate at --downsample 0.9
    capsys.readouterr()
    same = ["--refine", "none", "--temporal", "0.5", "--no-auto-cuts", "--cuts", "1005", "--downsample", "0.9"]
    for runtime in ("torch", "onnx", "openvino"):       # the record reaches every runtime (checkpoint, ONNX metadata)
        for extra, differ in ((same, []), (same[2:], ["refine"]), (same[:2] + same[4:] + ["--subject", "all"],
                                                                   ["temporal"])):
            assert matte_main(["run", shot["plate"], "--model", out, "--out", str(tmp_path / f"run_{runtime}"),
                               "--runtime", runtime, "--no-progress", "--overwrite", *extra]) == 0
            said = [line for line in capsys.readouterr().err.splitlines() if "taught under other settings" in line]
            assert len(said) == len(differ[:1]), (runtime, extra, said)         # once a run, or never
            assert all(f"{k} taught" in said[0] for k in differ), said
            assert all(f"{k} taught" not in "".join(said) for k in ("cuts", "auto_cuts", "downsample", "subject"))


def test_capture_brings_the_keys_neighbours_and_where_the_shot_cuts(shot, tmp_path):
    seq = find_sequence(shot["plate"])
    keys = read_keys(shot["keys"], shot_frames(seq, None), first_geometry(seq))         # 1001, 1008
    spec = ShotSpec(plate=shot["plate"], output="unused", model=make_checkpoint(str(tmp_path / "v3.pt")), threads=1,
                    cuts=[1006], auto_cuts=False)
    got, _ = capture_keys(spec, keys, around=2)
    assert sorted(got) == [1001, 1002, 1003, 1006, 1007, 1008, 1009, 1010]
    assert [f for f in sorted(got) if got[f].key is not None] == [1001, 1008]
    assert [f for f in sorted(got) if got[f].cut] == [1006]
    assert sorted(capture_keys(spec, keys)[0]) == [1001, 1008]     # around 0: the keys alone
    from cmn_vfx.commands.teach import _carried
    carried = _carried(got, 2)          # 1002, 1003 from 1001; 1006, 1007, 1009, 1010 from 1008
    assert len(carried) == 6 and all(c[2].shape == got[1001].pha.shape for c in carried)


def test_a_model_without_the_record_is_never_warned_about(shot, tmp_path, capsys):
    assert matte_main(["run", shot["plate"], "--model", shot["base"], "--out", str(tmp_path / "run"), "--refine",
                       "none", "--runtime", "torch", "--no-progress"]) == 0
    assert "taught under" not in capsys.readouterr().err


def test_run_flags_are_refused_with_method_heads_and_bad_values_by_the_spec(shot, tmp_path, capsys):
    out = str(tmp_path / "models" / "m.pt")
    assert teach(shot, shot["keys"], out, "--method", "heads", "--refine", "none") == 2
    assert "--refine: --method heads" in capsys.readouterr().err
    assert teach(shot, shot["keys"], out, "--temporal", "1.5") == 2
    assert "temporal 1.5 must be a number 0 <= s < 1" in capsys.readouterr().err
    for bad in (["--propagate", "-1"], ["--method", "heads", "--propagate", "2"]):
        assert teach(shot, shot["keys"], out, *bad) == 2
        assert "--propagate" in capsys.readouterr().err
    assert not os.path.exists(out)


def test_a_fit_worse_than_the_base_is_said_and_a_near_equal_one_is_not():
    from cmn_vfx.commands.teach import fit_warning
    report = lambda taught, base: {"key_mad_x1e3": {1001: taught, 1008: taught}, "base_key_mad_x1e3": {1001: base, 1008: base}}  # noqa: E731
    said = fit_warning(report(326.0, 31.0))     # what the unclipped tiny shot at lr 5e-3 did on an AVX-512 EPYC
    assert said and "326.0" in said and "31.0" in said and "--lr" in said
    assert fit_warning(report(1.7, 31.0)) is None and fit_warning(report(1.6, 1.2)) is None     # within the margin
    assert fit_warning(report(40.0, 31.0))
