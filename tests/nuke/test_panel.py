"""The panel with a real PySide6 (offscreen): plate info, validation, submit, settings, screenshot."""
import dataclasses
import json
import os
import sys

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
QtWidgets = pytest.importorskip("qtpy.QtWidgets")
QtGui = pytest.importorskip("qtpy.QtGui")

from cmn_vfx.job.names import PRIORS as PRIOR_NAMES  # noqa: E402
from cmn_vfx.job.spec import ShotSpec  # noqa: E402
from fake_farm import FakeFarm, submitted  # noqa: E402
from nuke_paths import REPO, fake_executable  # noqa: E402
from cmn_vfx_nuke.cmn_nuke import panel, pick, readnode  # noqa: E402


@pytest.fixture(scope="module")
def qapp():
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    app.setStyle("Fusion")
    app.setPalette(nuke_like_palette())
    return app


def nuke_like_palette():
    """Nuke's dark grey UI (the screenshot tool's colours), so the panel looks as inside Nuke."""
    sys.path.insert(0, os.path.join(REPO, "tools"))
    from nuke_panel_screenshot import PALETTE
    palette = QtGui.QPalette()
    for role, colour in PALETTE.items():
        palette.setColor(getattr(QtGui.QPalette, role), QtGui.QColor(colour))
    return palette


@pytest.fixture
def env(tmp_path):
    exe = fake_executable(tmp_path / "bin" / "cmn-farm", "exit 1")
    return {"CMN_FARM": exe, "PATH": os.environ.get("PATH", ""),
            "CMN_NUKE_SETTINGS": str(tmp_path / "settings.json")}


def plate_knobs(plate):
    return readnode.ReadKnobs(name="Read_sh010_plate", file=plate.replace("####", "%04d"), first=1001, last=1005,
                              origfirst=1001, origlast=1005, colorspace="ACES - ACEScg",
                              format=(2048, 1152, 1.0, "2K_DCP"), bbox=(-64, -64, 2112, 1216),
                              colorspace_values=["ACES - ACEScg", "Utility - Raw"])


class Runner(FakeFarm):
    """cmn-farm as a real process (now CMN_FARM in env): records its argv, prints a log line and the answer."""

    def __init__(self, env, answer):
        super().__init__(os.path.join(os.path.dirname(env["CMN_NUKE_SETTINGS"]), "farm"),
                         {**answer, "frames": "1001-1005"}, lines=["submitting"])
        env["CMN_FARM"] = self.path


def answer(tmp_path):
    out = tmp_path / "sh010" / "cmn"
    return {"job_id": "local-20261123-0001", "backend": "local", "alpha": f"{out}/alpha/sh010.####.exr",
            "fg": f"{out}/fg/sh010.####.exr", "log": f"{out}/logs/sh010.log"}


def texts(widget):
    return " | ".join(label.text() for label in widget.findChildren(QtWidgets.QLabel))


def test_panel_shows_the_plate(qapp, plate, env):
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    shown = texts(p)
    assert plate in shown and "1001-1005" in shown and "ACES - ACEScg" in shown
    assert "2048x1152 2K_DCP, data window 2176x1280 (overscan 64 px)" in shown
    assert p.output.text() == os.path.join(os.path.dirname(os.path.dirname(plate)), "cmn")


def test_bad_fields_show_errors_and_do_not_submit(qapp, plate, env, tmp_path):
    runner = Runner(env, answer(tmp_path))
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    p.frames.setText("1005-1001")
    p.model.setCurrentText("/nowhere/model.pt")
    p.downsample.setCurrentText("2")
    p.output.setText("relative/out")
    assert p.submit() is None
    message = p.message.text()
    for part in ("Cannot submit", "shot spec: frame range &#x27;1005-1001&#x27;: &#x27;1005-1001&#x27; runs backwards",
                 "Model: checkpoint /nowhere/model.pt does not exist", "shot spec: downsample 2.0 is out of range",
                 "Output folder: &#x27;relative/out&#x27; is not an absolute path"):
        assert part in message, message
    assert runner.calls == [] and not os.path.exists(env["CMN_NUKE_SETTINGS"])


def test_good_fields_submit(qapp, plate, env, tmp_path):
    runner = Runner(env, answer(tmp_path))
    loaded = []
    p = panel.MattePanel(plate_knobs(plate), environ=env, on_load=loaded.append)
    p.chunk_size.setValue(2)
    p.warmup.setValue(4)
    p.downsample.setCurrentText("0.5")
    result = submitted(p)
    spec_path = str(tmp_path / "sh010" / "cmn" / "sh010.shot.yaml")
    assert runner.calls == [[env["CMN_FARM"], "submit", spec_path, "--backend", "local", "--json"]]
    assert ShotSpec.from_yaml(spec_path) == ShotSpec(
        plate=plate, output=str(tmp_path / "sh010" / "cmn"), frames="1001-1005", name="sh010",
        colorspace="ACES - ACEScg", downsample=0.5, warmup=4, chunk_size=2)
    assert "local-20261123-0001" in p.message.text() and result["alpha"] in p.message.text()
    assert loaded == [result]   # local: the frames are there, loaded at once
    assert p.load_button.isEnabled()
    p.load_button.click()
    assert loaded == [result, result]
    saved = json.load(open(env["CMN_NUKE_SETTINGS"]))
    assert (saved["chunk_size"], saved["warmup"], saved["downsample"]) == (2, 4, "0.5")
    assert saved["jobs"][plate]["job_id"] == "local-20261123-0001"
    again = panel.MattePanel(plate_knobs(plate), environ=env)   # remembers the last settings
    assert (again.chunk_size.value(), again.warmup.value(), again.downsample.currentText()) == (2, 4, "0.5")


def written_spec(tmp_path):
    """The spec file submit wrote, as the dict the farm reads (JSON after one comment line)."""
    with open(tmp_path / "sh010" / "cmn" / "sh010.shot.yaml", encoding="utf-8") as fh:
        return json.loads(fh.read().split("\n", 1)[1])


def test_prior_combo_lists_the_priors(qapp, plate, env):
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    items = [p.prior.itemText(idx) for idx in range(p.prior.count())]
    assert items == ["auto (model's own)", *(name for name in PRIOR_NAMES if name != "auto")]
    assert p.prior.currentIndex() == 0 and p.fields()["prior"] is None
    assert "people" in p.prior.toolTip() and "without a prior" in p.prior.toolTip()


def test_chosen_prior_goes_into_the_spec_and_is_remembered(qapp, plate, env, tmp_path):
    runner = Runner(env, answer(tmp_path))
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    p.prior.setCurrentText("union_landscape")
    assert submitted(p) is not None
    assert written_spec(tmp_path)["prior"] == "union_landscape"
    assert ShotSpec.from_yaml(runner.calls[0][2]).prior == "union_landscape"
    assert json.load(open(env["CMN_NUKE_SETTINGS"]))["prior"] == "union_landscape"
    again = panel.MattePanel(plate_knobs(plate), environ=env)
    assert again.prior.currentText() == "union_landscape"
    again.prior.setCurrentIndex(0)   # back to the model's own: no override in the spec, and remembered
    assert submitted(again) is not None
    assert written_spec(tmp_path)["prior"] is None
    assert ShotSpec.from_yaml(runner.calls[1][2]).prior is None
    assert json.load(open(env["CMN_NUKE_SETTINGS"]))["prior"] is None
    assert panel.MattePanel(plate_knobs(plate), environ=env).prior.currentIndex() == 0


def test_temporal_steadiness_defaults_to_the_engines_and_a_change_reaches_the_spec(qapp, plate, env, tmp_path):
    from cmn_vfx.job.names import DEFAULT_TEMPORAL
    runner = Runner(env, answer(tmp_path))
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    assert p.temporal.value() == DEFAULT_TEMPORAL and p.fields()["temporal"] == DEFAULT_TEMPORAL
    assert submitted(p) is not None
    assert "temporal" not in written_spec(tmp_path)             # the default: not written
    p.temporal.setValue(0.0)                                    # off
    assert p.temporal.text() == "off"
    assert submitted(p) is not None
    assert written_spec(tmp_path)["temporal"] == 0.0
    assert ShotSpec.from_yaml(runner.calls[1][2]).temporal == 0.0
    assert panel.MattePanel(plate_knobs(plate), environ=env).temporal.value() == 0.0     # remembered


def test_farm_failure_is_shown(qapp, plate, env, tmp_path):
    env["CMN_FARM"] = FakeFarm(tmp_path / "farm", code=2,
                               error="cmn-farm: error: model 'default' not installed; run make models").path
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    assert submitted(p) is None
    assert "cmn-farm submit failed: cmn-farm: error: model &#x27;default&#x27; not installed" in p.message.text()


def test_single_image_read(qapp, env):
    knobs = readnode.ReadKnobs(name="Read2", file="/p/still.exr", first=1, last=1, origfirst=1, origlast=1)
    p = panel.MattePanel(knobs, environ=env)
    assert "Plate: /p/still.exr has no frame number" in p.message.text()


def test_screenshot(qapp, env, tmp_path):
    """The panel after a submit renders to an image (into tmp: docs/images/nuke_panel.png is made by
    tools/nuke_panel_screenshot.py from a real local job, never by a test)."""
    knobs = plate_knobs("/shows/abc/sh010/plate/sh010.####.exr")
    knobs.first, knobs.origfirst, knobs.last, knobs.origlast = 1001, 1001, 1100, 1100
    p = panel.MattePanel(knobs, environ=env, on_load=lambda result: None,
                         viewer_sample=viewer_at(1210.5, 1152 - 540.5), roto_sample=FakeRoto([]))
    p.pick_viewer.click()   # a ctrl+click on the person at plate pixel (1210, 540)
    assert p.subject.currentText() == "1210,540@1001"
    out = "/shows/abc/sh010/cmn"
    p.show_result({"job_id": "local-20261123-0001", "backend": "local", "frames": "1001-1100",
                   "alpha": f"{out}/alpha/sh010.####.exr", "fg": f"{out}/fg/sh010.####.exr",
                   "spec": f"{out}/sh010.shot.yaml", "log": f"{out}/logs/local-20261123-0001.log"})
    p.load_button.setEnabled(True)
    p.show()
    p.submit_button.setFocus()
    qapp.processEvents()
    image = p.grab().toImage()
    screenshot = str(tmp_path / "nuke_panel.png")
    assert image.save(screenshot)
    assert QtGui.QImage(screenshot).width() >= 600
    assert "local-20261123-0001" in p.message.text()
    p.close()


def test_a_plate_in_a_layer_fills_layer_from_the_read_and_the_spec_carries_it(qapp, plate, env, tmp_path):
    runner = Runner(env, answer(tmp_path))
    knobs = plate_knobs(plate)
    knobs.channels = ["plate.red", "plate.green", "plate.blue", "depth.Z"]
    p = panel.MattePanel(knobs, environ=env)
    assert p.layer.text() == "plate" and p.fields()["layer"] == "plate"
    assert submitted(p) is not None
    assert written_spec(tmp_path)["layer"] == "plate"
    assert ShotSpec.from_yaml(runner.calls[0][2]).layer == "plate"
    p.layer.setText("bad layer/")
    assert p.submit() is None and "Layer:" in p.message.text()
    assert panel.MattePanel(plate_knobs(plate), environ=env).fields()["layer"] == ""   # rgba: no layer


# --- which person: the Subject row ------------------------------------------------------

SPEC_HAS_SUBJECT = "subject" in {f.name for f in dataclasses.fields(ShotSpec)}


def viewer_at(x, y, frame=1001, fmt=(2048, 1152, 1.0)):
    """An injected Viewer whose ctrl+click sample is at Nuke pixel (x, y) (y up) of a 2048x1152 plate."""
    width, height, aspect = fmt
    u, v = 2 * x / width - 1, (y - height / 2) / (width * aspect / 2)
    return lambda: {"bbox": (u, v, u, v), "format": fmt, "frame": frame}


@pytest.mark.parametrize("typed", [" 1210 , 540 @1001", "1210.5,540@1003; 900,200,1400,1080@1005", "MAIN"])
def test_a_pick_typed_in_the_panel_round_trips_through_the_grammar(qapp, plate, env, tmp_path, typed):
    """Typed in Nuke, written by the panel, read back by cmn_vfx: the same people on the same frames."""
    from cmn_vfx.job.subject_grammar import parse_subject, subject_text
    Runner(env, answer(tmp_path))
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    p.subject.setCurrentText(typed)
    assert submitted(p) is not None
    written = written_spec(tmp_path)["subject"]
    assert written == subject_text(parse_subject(typed))
    spec = ShotSpec.from_yaml(str(tmp_path / "sh010" / "cmn" / "sh010.shot.yaml"))
    assert parse_subject(spec.subject) == parse_subject(typed)


def test_subject_defaults_to_all_and_is_not_in_the_spec(qapp, plate, env, tmp_path):
    runner = Runner(env, answer(tmp_path))
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    assert p.subject.currentText() == "all" and p.fields()["subject"] == "all"
    assert [p.subject.itemText(i) for i in range(p.subject.count())] == ["all", "main"]
    assert not p.pick_viewer.isEnabled() and not p.pick_roto.isEnabled()   # no Nuke to pick from
    assert submitted(p) is not None
    assert "subject" not in written_spec(tmp_path)   # all: ShotSpec's default, loads anywhere


def test_pick_from_the_viewer_fills_plate_pixels_with_y_flipped(qapp, plate, env, tmp_path):
    runner = Runner(env, answer(tmp_path))
    p = panel.MattePanel(plate_knobs(plate), environ=env, viewer_sample=viewer_at(1210.5, 600.5))
    assert p.pick_viewer.isEnabled()
    p.pick_viewer.click()
    assert p.subject.currentText() == "1210,551@1001"   # 1152 - 1 - 600: rows counted from the top
    assert "Picked 1210,551@1001" in p.message.text()
    assert submitted(p) is not None
    assert written_spec(tmp_path)["subject"] == "1210,551@1001"
    if SPEC_HAS_SUBJECT:
        assert ShotSpec.from_yaml(runner.calls[0][2]).subject == "1210,551@1001"
    saved = json.load(open(env["CMN_NUKE_SETTINGS"]))
    assert "subject" not in saved   # picks are per shot
    assert panel.MattePanel(plate_knobs(plate), environ=env).subject.currentText() == "all"


class FakeRoto:
    def __init__(self, points, frame=1001):
        self.points, self.frame = points, frame

    def __call__(self):
        return {"points": self.points, "frame": self.frame}


def test_roto_centre_and_box_and_two_picks_joined(qapp, plate, env, tmp_path):
    runner = Runner(env, answer(tmp_path))
    roto = FakeRoto([(300, 100), (500, 100), (500, 700), (300, 700)], frame=1003)
    p = panel.MattePanel(plate_knobs(plate), environ=env, viewer_sample=viewer_at(1600.5, 500.5),
                         roto_sample=roto)
    p.pick_roto.click()
    assert p.subject.currentText() == "400,752@1003"   # the centre (400, 400) in Nuke -> y 1152 - 400
    p.pick_viewer.click()
    assert p.subject.currentText() == "400,752@1003;1600,651@1001"
    p.clear_subject()
    assert p.subject.currentText() == "all"
    p.roto_box.setChecked(True)
    p.pick_roto.click()
    assert p.subject.currentText() == "300,452,500,1052@1003"
    p.subject.setCurrentText("main")
    p.pick_viewer.click()   # a pick replaces main
    assert p.subject.currentText() == "1600,651@1001"
    p.pick_roto.click()
    assert submitted(p) is not None
    assert written_spec(tmp_path)["subject"] == "1600,651@1001;300,452,500,1052@1003"


def test_pick_errors_are_shown_and_change_nothing(qapp, plate, env):
    def no_viewer():
        raise pick.PickError("no Viewer is open: view the plate, ctrl+click the person, then Pick from Viewer")
    p = panel.MattePanel(plate_knobs(plate), environ=env, viewer_sample=no_viewer,
                         roto_sample=FakeRoto([(-500, -500), (-400, -400)]))
    p.pick_viewer.click()
    assert "Cannot pick" in p.message.text() and "no Viewer is open" in p.message.text()
    p.pick_roto.click()
    assert "outside the plate&#x27;s format" in p.message.text()
    other = panel.MattePanel(plate_knobs(plate), environ=env, viewer_sample=viewer_at(10, 10, fmt=(1024, 1024, 1.0)))
    other.pick_viewer.click()
    assert "the Viewer shows a 1024x1024 image, not the plate&#x27;s 2048x1152" in other.message.text()
    assert p.subject.currentText() == other.subject.currentText() == "all"


def test_a_bad_typed_pick_is_refused_and_nothing_is_submitted(qapp, plate, env, tmp_path):
    runner = Runner(env, answer(tmp_path))
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    p.subject.setCurrentText("1210,540")
    assert p.submit() is None
    assert "shot spec: subject &#x27;1210,540&#x27;: give all, main, or picks like 1210,540@1001" in p.message.text()
    p.subject.setCurrentText("1210,540@900")
    assert p.submit() is None
    assert "Subject: pick 1210,540@900 is on frame 900, outside the frames 1001-1005" in p.message.text()
    assert runner.calls == [] and not os.path.exists(tmp_path / "sh010" / "cmn" / "sh010.shot.yaml")
    p.subject.setCurrentText(" Main ")
    assert submitted(p) is not None and written_spec(tmp_path)["subject"] == "main"


def test_a_long_message_grows_the_panel_instead_of_squashing_its_rows(qapp, plate, env):
    p = panel.MattePanel(plate_knobs(plate), environ=env)
    p.show()
    qapp.processEvents()
    lines = "<br>".join(f"line {i}: /shows/abc/sh010/cmn/alpha/sh010.####.exr" for i in range(8))
    p._say(f"<span>{lines}</span>")           # what a finished job shows: job, status, alpha, fg, spec, log
    qapp.processEvents()
    assert p.height() >= p.sizeHint().height()
    assert p.subject.height() >= p.subject.minimumSizeHint().height()
    assert p.pick_viewer.height() >= p.pick_viewer.minimumSizeHint().height()
    p.close()
