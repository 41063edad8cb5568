"""`cmn-matte suggest-keys`' third sign: the run's person prior, run again on the plate frame each alpha's
header names, against the matte. A tiny shot: the disc plate of tests/engine/engine_helpers.py, an alpha that
is the disc's exact matte but drops it on DROPPED, headers as `cmn-matte run` writes them, and a stand-in prior
that sees the disc by its colour (so the plate frame the header names must be read).
On GREY the matte has a 0.3 haze over the left GREY_COLUMNS: more of the frame unsure than the drop's change,
less than the change and the prior's disagreement together."""
import json
import os

import numpy as np
import pytest

import cmn_vfx.prior
from cmn_vfx.cli import matte_main
from cmn_vfx.io.image import write_exr
from cmn_vfx.job.layout import frame_metadata, settings_json
from cmn_vfx.prior.base import PersonPrior
from tests.commands.test_teach import truth
from tests.engine.engine_helpers import DATA, DISPLAY, write_plate

FRAMES = range(1001, 1013)
DROPPED, GREY, GREY_COLUMNS = 1006, 1010, 20
SETTINGS = {"prior": "selfie", "colorspace": ["lin_rec709", "lin_rec709"], "layer": None, "cuts": []}


class DiscPrior(PersonPrior):
    """The plate's disc: red 2.5 scene-linear (1.0 in sRGB) over a gradient whose red stays below 0.4 in sRGB."""

    def predict(self, src: np.ndarray) -> np.ndarray:
        return (src[..., 0] > 0.7).astype(np.float32)


@pytest.fixture
def loaded(monkeypatch):
    """The prior names load_prior was asked for; it gives the DiscPrior."""
    names = []

    def load(name, threads=1):
        names.append(name)
        return DiscPrior()
    monkeypatch.setattr(cmn_vfx.prior, "load_prior", load)
    return names


def write_alpha(folder: str, plate: str | None, drop: int = DROPPED, settings: dict = SETTINGS) -> str:
    """The run's alpha of the disc plate, the disc dropped on frame `drop`; headers name `plate`'s frames
    (None: no cmn:* header, as a file from another tool)."""
    os.makedirs(folder, exist_ok=True)
    for f in FRAMES:
        alpha = np.zeros((DATA.height, DATA.width), np.float32) if f == drop else truth(f)
        if f == GREY:
            alpha[:, :GREY_COLUMNS] = np.maximum(alpha[:, :GREY_COLUMNS], 0.3)
        meta = None if plate is None else frame_metadata(
            "tiny", "0" * 64, plate.replace("####", f"{f:04d}"), f, settings_json(settings), "lin_rec709",
            version="test")
        write_exr(os.path.join(folder, f"sh010.{f}.exr"), alpha[..., None], ("A",), DATA, DISPLAY, meta)
    return os.path.join(folder, "sh010.####.exr")


def suggest_keys(capsys, *args):
    code = matte_main(["suggest-keys", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def shot(tmp_path):
    plate = write_plate(str(tmp_path / "plate"), frames=FRAMES)
    return {"plate": plate, "alpha": write_alpha(str(tmp_path / "alpha"), plate), "root": tmp_path}


def test_the_frame_whose_matte_drops_the_person_the_prior_sees_comes_first_for_that(shot, loaded, capsys):
    code, out, err = suggest_keys(capsys, shot["alpha"], "--count", "2")
    assert code == 0 and err == "" and loaded == ["selfie"]            # the prior the run's settings name
    lines = out.splitlines()
    assert lines[0].startswith(f"{DROPPED}  the person prior and the matte disagree on "), out
    assert lines[1].startswith(f"{GREY}  ") and "neither 0 nor 1" in lines[1], out
    code, out, _ = suggest_keys(capsys, shot["alpha"], "--count", "2", "--json")
    rows = json.loads(out)["suggested"]
    disc = float((truth(DROPPED) > 0.5).mean())
    assert rows[0]["frame"] == DROPPED and abs(rows[0]["disagree"] - disc) < 0.3 * disc, (rows[0], disc)
    assert all(r["disagree"] < 0.3 * disc for r in rows[1:]) and all("disagree" in r for r in rows)


def test_no_prior_reads_the_alpha_alone(shot, monkeypatch, capsys):
    monkeypatch.setattr(cmn_vfx.prior, "load_prior", lambda *a, **k: pytest.fail("--no-prior loaded a prior"))
    code, out, err = suggest_keys(capsys, shot["alpha"], "--count", "2", "--json", "--no-prior")
    rows = json.loads(out)["suggested"]
    assert code == 0 and err == "" and all("disagree" not in r and "prior" not in r["reason"] for r in rows)
    assert [r["frame"] for r in rows] == [GREY, DROPPED]          # the grey outweighs the drop's change alone


def test_without_a_plate_it_says_so_once_and_goes_on_and_plate_gives_it_back(shot, loaded, capsys):
    moved = write_alpha(str(shot["root"] / "moved"), str(shot["root"] / "gone" / "sh010.####.exr"))
    bare = write_alpha(str(shot["root"] / "bare"), None)
    for alpha, words, then in ((moved, "is not found", ""), (bare, "names no plate frame", "prior 'auto' is run")):
        code, out, err = suggest_keys(capsys, alpha, "--count", "2")
        lines = err.strip().splitlines()
        assert code == 0 and len(lines) == 1 and words in lines[0] and "--plate" in lines[0], err
        assert out.strip() and "prior" not in out                        # the other two signs still speak
        code, out, err = suggest_keys(capsys, alpha, "--count", "2", "--plate", shot["plate"])
        assert code == 0 and then in err and out.startswith(f"{DROPPED}  the person prior and the matte disagree"), out
    assert loaded == ["selfie", "auto"]          # a header without settings: the measured default


def test_a_colourspace_this_machine_lacks_is_one_line_and_the_other_signs_go_on(shot, loaded, capsys):
    alpha = write_alpha(str(shot["root"] / "other_ocio"), shot["plate"],
                        settings=dict(SETTINGS, colorspace=["ACES - ACEScg of another config", "x"]))
    code, out, err = suggest_keys(capsys, alpha, "--count", "2")
    lines = err.strip().splitlines()
    assert code == 0 and len(lines) == 1 and "ACEScg of another config" in lines[0], err
    assert [line.split()[0] for line in out.splitlines()] == [str(GREY), str(DROPPED)] and "prior" not in out
