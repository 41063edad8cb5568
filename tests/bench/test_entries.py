"""bench/ as one harness: every entry runs as `python -m bench.<name>` from the repository root, no bench
file edits the import path, and the validation entry writes per-category scores for every clip it ran."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import torch

import bench.validation_clips as V
from bench import validate

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENTRIES = ("validate", "speed", "memory_check", "teach_eval", "subject_eval", "farm_seams")
PATH_EDIT = re.compile(r"\bsys\.path\b|\bPYTHONPATH\b")


@pytest.mark.parametrize("entry", ENTRIES)
def test_entry_help_runs(entry):
    done = subprocess.run([sys.executable, "-m", f"bench.{entry}", "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"python -m bench.{entry}" in done.stdout


def test_speed_modes_have_help():
    for mode in ("e2e", "stages", "prior", "io"):
        done = subprocess.run([sys.executable, "-m", "bench.speed", mode, "--help"], cwd=REPO, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and f"bench.speed {mode}" in done.stdout, done.stderr[-2000:]


def bench_files() -> list[str]:
    return [os.path.join(folder, name) for folder, _, names in os.walk(os.path.join(REPO, "bench"))
            for name in names if name.endswith(".py")]


def test_no_bench_file_edits_the_import_path():
    assert len(bench_files()) >= 10
    edits = [f"{os.path.relpath(path, REPO)}:{n}" for path in bench_files()
             for n, line in enumerate(open(path, encoding="utf-8"), 1) if PATH_EDIT.search(line)]
    assert edits == [], f"bench files touching sys.path/PYTHONPATH (import bench.<module> instead): {edits}"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    """A random-weight CMN, as small as ModelConfig allows (its scores mean nothing; its rows must exist)."""
    from cmn_vfx.model import ModelConfig, build_model, save_checkpoint
    torch.manual_seed(0)
    config = ModelConfig(variant="full", encoder="mobilenetv2", flow="dis", dis_preset="ultrafast", width=4, context=8)
    path = str(tmp_path_factory.mktemp("tiny") / "tiny.pt")
    save_checkpoint(path, build_model(config, load_weights=False).eval(), {})
    return path


def test_validation_smoke_writes_every_category(tiny_model, tmp_path):
    methods = ["people+guided", f"model:{tiny_model}?temporal=0"]
    out = tmp_path / "validate.json"
    code = validate.main(["--methods", ",".join(methods), "--clips", "two_a,hat_behind_a", "--size", "128x72",
                          "--frames", "2", "--no-real", "--fg", "--work", str(tmp_path / "work"), "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["suite"]["clips"] == ["two_a", "hat_behind_a"]
    for method in methods:
        rows = data["clips"][method]
        assert [r["category"] for r in rows] == ["two_people", "behind_hat"]
        summary = data["summary"][method]
        assert list(summary["categories"]) == ["two_people", "behind_hat"], "a category is missing"
        assert set(summary["parts"]) == {"first 1", "harder 1"}
        for scores in [summary["all"], *summary["categories"].values()]:
            assert {"mad", "dtssd", "flk"} <= set(scores)
            assert 0 <= scores["mad"] <= 1000 and scores["flk"] >= 0
        assert summary["all"]["mad"] == pytest.approx(sum(r["mad"] for r in rows) / 2)
    assert data["clips"][methods[1]][0]["fg_colour"] is not None, "--fg scores the model's fg"
    assert data["summary"]["people+guided"]["all"]["mad"] < 100, "the prior + guided filter finds the people"


def test_clip_selection_by_category_and_frames():
    clips = validate.suite("behind_hat,two_a", 3)
    assert [c.name for c in clips] == ["two_a", "hat_behind_a", "hat_behind_b"]
    assert {c.frames for c in clips} == {3}
    assert len(validate.suite(None, None)) == len(V.CLIPS) == 32
    with pytest.raises(SystemExit):
        validate.suite("no_such_clip", None)
