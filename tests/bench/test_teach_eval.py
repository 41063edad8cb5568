"""bench/teach_eval's edge check: the regions of a true alpha and the MAD over each."""
from __future__ import annotations

import os

import numpy as np
import pytest

from bench.teach_eval import EDGE_PX, region_mads, regions


def _square() -> np.ndarray:
    truth = np.zeros((40, 60), np.float32)
    truth[10:30, 20:40] = 1.0
    return truth


def test_the_edge_band_is_edge_px_either_side_of_the_contour():
    masks = regions(_square())
    assert not (masks["edge"] & masks["inner"]).any() and not (masks["edge"] & masks["outer"]).any()
    assert (masks["edge"] | masks["inner"] | masks["outer"]).all()
    row = masks["edge"][20]                       # across the square's middle: x 20..39 is the person
    assert row[20 - EDGE_PX:20 + EDGE_PX].all() and not row[20 - EDGE_PX - 1] and not row[20 + EDGE_PX]
    assert masks["inner"].sum() == (20 - 2 * EDGE_PX) ** 2
    assert not regions(np.zeros((8, 8), np.float32))["edge"].any()       # no person, no contour


def test_a_softened_edge_shows_in_the_edge_band_alone():
    truth = _square()
    soft = truth.copy()
    soft[9:31, 19:41] = np.maximum(soft[9:31, 19:41], 0.5)         # a 0.5 halo 1 px outside
    soft[10:30, 20:40][[0, -1], :] = 0.5                           # and 1 px inside at top and bottom
    mads = region_mads([soft], [truth], [0])
    band = regions(truth)["edge"].sum()
    assert mads["inner"] == 0 and mads["outer"] == 0
    assert abs(mads["edge"] - 1e3 * float(np.abs(soft - truth).sum()) / band) < 0.01


def test_end_to_end_runs_the_shipped_teach_then_the_taught_model(monkeypatch, tmp_path):
    """--method correct --end-to-end: cmn-matte teach --method correct at its defaults, then run --model taught.pt
    (not the harness's net on the auto run's alpha)."""
    import argparse
    import types

    import bench.teach_eval as TE
    clip = types.SimpleNamespace(src=[np.zeros((16, 24, 3), np.float32)] * 5, truth=[np.zeros((16, 24), np.float32)] * 5)
    monkeypatch.setattr(TE.V, "render", lambda c: clip)
    monkeypatch.setattr(TE, "write_plate", lambda folder, src: "plate.####.exr")
    monkeypatch.setattr(TE, "write_keys", lambda folder, truth, keys: "keys.####.exr")
    monkeypatch.setattr(TE, "backward_flows", lambda src: [])
    monkeypatch.setattr(TE, "read_outputs", lambda out, plate: clip.truth)
    monkeypatch.setattr(TE, "flicker", lambda preds, flows: 0.0)
    monkeypatch.setattr(TE, "correct_row", lambda *a: pytest.fail("the harness ran, not the product"))
    commands = []

    def timed(cmd, log, run=True):
        commands.append(cmd)
        if log.endswith("teach.log"):
            with open(log, "w") as fh:
                fh.write('{"iterations": 7, "key_mad_x1e3": {}}\n')
        return {"seconds": 1.0, "peak_rss_mb": 1}
    monkeypatch.setattr(TE, "timed", timed)
    os.makedirs(tmp_path / "two_a")
    args = argparse.Namespace(base="default", work=str(tmp_path), method="correct", end_to_end=True, minutes=3.0,
                              iterations=None, rescore=False)
    row = TE.clip_row("two_a", args)
    teach, taught = commands[1], commands[2]
    assert teach[1] == "teach" and teach[teach.index("--method") + 1] == "correct" and "--iterations" not in teach
    assert teach[teach.index("--minutes") + 1] == "3.0" and "--threads" not in teach
    assert taught[1] == "run" and taught[taught.index("--model") + 1].endswith("taught.pt")
    assert row["teach"]["iterations"] == 7 and "ratio" in row and "default" not in row
