"""Keys in the panel (docs/nuke.md, Teach the shot from Nuke): from a Read of key mattes, from a Roto rendered
through a temporary Write, the refusals, and suggested keys from a stand-in cmn-matte run beside the UI."""
import os
import sys

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
QtWidgets = pytest.importorskip("qtpy.QtWidgets")
QtCore = pytest.importorskip("qtpy.QtCore")

import nuke_double  # noqa: E402
from cmn_vfx.job.spec import ShotSpec  # noqa: E402
from cmn_vfx.teach.keys import find_keys  # noqa: E402
from fake_farm import FakeFarm, submitted, wait_until  # noqa: E402
from fake_render import with_render  # noqa: E402
from test_panel import Runner, answer, env, plate_knobs, qapp, written_spec  # noqa: E402,F401 - fixtures
from cmn_vfx_nuke.cmn_nuke import keynodes, panel  # noqa: E402


@pytest.fixture
def nuke(monkeypatch):
    module = with_render(nuke_double.make_module())
    monkeypatch.setitem(sys.modules, "nuke", module)
    return module


def open_panel(plate, env, nuke=None, **knob_changes):
    knobs = plate_knobs(plate)
    for name, value in knob_changes.items():
        setattr(knobs, name, value)
    if nuke is not None:   # the plate's Read is in the script and selected too: it is never taken as keys
        read = nuke.nodes.Read(file=knobs.file)
        read.setSelected(True)
        knobs.name = read.name()
    return panel.MattePanel(knobs, environ=env, key_nodes=keynodes)


def key_mattes(tmp_path, frames, name="sh010_roto"):
    folder = tmp_path / "sh010" / "keys"
    folder.mkdir(parents=True, exist_ok=True)
    for frame in frames:
        (folder / f"{name}.{frame:04d}.exr").write_bytes(b"")
    return str(folder / f"{name}.%04d.exr")


def spec_path(tmp_path):
    return str(tmp_path / "sh010" / "cmn" / "sh010.shot.yaml")


def test_keys_from_a_read_are_its_frames_on_disk(qapp, plate, env, tmp_path, nuke):
    runner = Runner(env, answer(tmp_path))
    keys_file = key_mattes(tmp_path, [1001, 1003, 1005])
    (tmp_path / "sh010" / "keys" / "other.1002.exr").write_bytes(b"")        # not the Read's sequence
    p = open_panel(plate, env, nuke)
    nuke.nodes.Read(file=keys_file).setSelected(True)
    assert p.keys.choose() is not None
    assert p.keys.label.text() == "Keys: 1001, 1003, 1005 (from Read2)"
    assert p.keys.frame_list.isReadOnly() and p.keys.frame_list.text() == "1001,1003,1005"
    assert submitted(p) is not None
    pattern = keys_file.replace("%04d", "####")
    assert written_spec(tmp_path)["keys"] == pattern
    spec = ShotSpec.from_yaml(runner.calls[0][2])
    assert spec.keys == pattern and spec.problems() == []
    assert find_keys(spec.keys, list(range(1001, 1006))).frames == (1001, 1003, 1005)
    assert nuke.state["executed"] == []                                      # a Read's keys are not rendered


def test_keys_from_a_roto_are_rendered_through_a_temporary_write(qapp, plate, env, tmp_path, nuke):
    runner = Runner(env, answer(tmp_path))
    keys_dir = tmp_path / "sh010" / "cmn" / "keys"
    keys_dir.mkdir(parents=True)
    (keys_dir / "sh010.1002.exr").write_bytes(b"")                           # an earlier render's key, not listed now
    p = open_panel(plate, env, nuke)
    nuke.add_roto()
    assert p.keys.choose() == {"kind": "roto", "node": "Roto1"}
    p.keys.frame_list.setText("1001, 1003,1005")
    p.keys.minutes.setValue(5)
    assert p.keys.label.text() == "Keys: 1001, 1003, 1005 (from Roto1)"
    assert submitted(p) is not None
    pattern = str(keys_dir / "sh010.####.exr")
    executed = nuke.state["executed"]
    assert [e["frames"] for e in executed] == [[1001], [1003], [1005]]
    assert {(e["file"], e["file_type"], e["channels"], e["datatype"]) for e in executed} == \
        {(pattern, "exr", "alpha", "16 bit half")}
    assert executed[0]["chain"] == ["Reformat1", "Roto1"]
    assert executed[0]["reformat"] == {"type": "to box", "box_fixed": True, "box_width": 2048, "box_height": 1152,
                                       "box_pixel_aspect": 1.0, "resize": "none", "center": False,
                                       "black_outside": False}
    assert sorted(nuke.state["deleted"]) == ["Reformat1", "Write1"]
    assert [n.Class() for n in nuke.allNodes()] == ["Read", "Roto"]        # nothing temporary left
    assert sorted(os.listdir(keys_dir)) == ["sh010.1001.exr", "sh010.1003.exr", "sh010.1005.exr"]
    assert written_spec(tmp_path)["keys"] == pattern and written_spec(tmp_path)["teach_minutes"] == 5.0
    spec = ShotSpec.from_yaml(runner.calls[0][2])
    assert (spec.keys, spec.teach_minutes, spec.problems()) == (pattern, 5.0, [])
    assert find_keys(spec.keys, list(range(1001, 1006))).frames == (1001, 1003, 1005)


def test_a_failed_render_is_shown_deletes_its_nodes_and_submits_nothing(qapp, plate, env, tmp_path, monkeypatch):
    nuke = with_render(nuke_double.make_module(), fail_at=1003)
    monkeypatch.setitem(sys.modules, "nuke", nuke)
    runner = Runner(env, answer(tmp_path))
    p = open_panel(plate, env, nuke)
    nuke.add_roto("RotoPaint")
    p.keys.choose()
    p.keys.frame_list.setText("1001,1003")
    assert p.submit() is None
    assert "rendering RotoPaint1&#x27;s alpha failed: Write1: Write failed at frame 1003" in p.message.text()
    assert sorted(nuke.state["deleted"]) == ["Reformat1", "Write1"] and runner.calls == []
    assert not os.path.exists(spec_path(tmp_path))


REFUSALS = {
    "no frames listed": ("roto", "", {}, "Keys: no frames listed for Roto1; list the frames to render as keys"),
    "a frame outside the plate": ("roto", "1001,1200", {},
                                  "Keys: frame 1200 is outside the frames matted (1001-1005)"),
    "a frame outside Frames": ("roto", "1004", {"frames": "1001-1003"},
                               "Keys: frame 1004 is outside the frames matted (1001-1003)"),
    "a Read numbered unlike the plate": ("read", [1, 2, 3], {},
                                         "Keys: Read2&#x27;s frames 1-3 are not numbered like the plate (1001-1005)"),
    "a Read with no file on disk": ("read", [], {}, "Keys: Read2 has no frame on disk"),
    "a retimed plate for a Roto": ("roto", "1001", {"retime": "frame+10"},
                                   "Keys: the plate&#x27;s Read retimes its frames"),
}


@pytest.mark.parametrize("kind, frames, change, line", REFUSALS.values(), ids=list(REFUSALS))
def test_bad_keys_are_refused_up_front_in_one_line(qapp, plate, env, tmp_path, nuke, kind, frames, change, line):
    runner = Runner(env, answer(tmp_path))
    p = open_panel(plate, env, nuke, **({"frame": change["retime"]} if "retime" in change else {}))
    if "frames" in change:
        p.frames.setText(change["frames"])
    if kind == "read":
        nuke.nodes.Read(file=key_mattes(tmp_path, frames)).setSelected(True)
    else:
        nuke.add_roto()
    p.keys.choose()
    p.keys.frame_list.setText(frames if kind == "roto" else p.keys.frame_list.text())
    assert p.submit() is None
    message = p.message.text()
    assert line in message, message
    assert message.count("<li>") == 1 and message.count("Keys:") == 1
    assert runner.calls == [] and nuke.state["executed"] == [] and not os.path.exists(spec_path(tmp_path))


def test_no_keys_writes_no_keys_and_two_sources_are_refused(qapp, plate, env, tmp_path, nuke):
    Runner(env, answer(tmp_path))
    p = open_panel(plate, env, nuke)
    assert p.keys.label.text() == "Keys: none (the automatic matte)"
    p.keys.minutes.setValue(7)                                               # minutes without keys: not written
    assert submitted(p) is not None
    assert "keys" not in written_spec(tmp_path) and "teach_minutes" not in written_spec(tmp_path)
    nuke.add_roto()
    nuke.nodes.Read(file=key_mattes(tmp_path, [1001])).setSelected(True)
    assert p.keys.choose() is None and p.keys.source is None
    assert "2 key sources are selected; select one Roto or RotoPaint node, or one Read" in p.message.text()


# --- suggested keys ----------------------------------------------------------------------

SUGGESTED = [{"frame": 1004, "reason": "31.0% of the matte is neither 0 nor 1", "unsure": 0.31, "change": 0.0},
             {"frame": 1002, "reason": "the matted area grows by 9.3% of the frame", "unsure": 0.0, "change": 0.09}]


def automatic_run(tmp_path):
    alpha = tmp_path / "sh010" / "cmn" / "alpha"
    alpha.mkdir(parents=True)
    for frame in range(1001, 1006):
        (alpha / f"sh010.{frame}.exr").write_bytes(b"")
    return str(alpha / "sh010.####.exr")


def test_suggest_keys_runs_beside_the_ui_and_offers_the_frames(qapp, plate, env, tmp_path, nuke):
    alpha = automatic_run(tmp_path)
    go = str(tmp_path / "go")
    matte = FakeFarm(tmp_path / "matte", {"alpha": alpha, "suggested": SUGGESTED}, go=go)
    env["CMN_MATTE"] = matte.path
    p = open_panel(plate, env, nuke)
    nuke.add_roto()
    p.keys.choose()
    ticks = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    job = p.keys.suggest()
    assert job is not None and p.keys.suggest_job is job and not p.keys.suggest_button.isEnabled()
    wait_until(lambda: len(ticks) >= 5 and matte.calls, what="the UI turning while suggest-keys runs")
    assert p.keys.suggest_job is job                                         # still running: the UI was not blocked
    open(go, "w").close()
    wait_until(lambda: p.keys.suggest_job is None, what="suggest-keys' end")
    timer.stop()
    assert matte.calls == [[matte.path, "suggest-keys", alpha, "--count", "3", "--json", "--frames", "1001-1005"]]
    buttons = p.keys.suggested_box.findChildren(QtWidgets.QPushButton)
    assert [b.text() for b in buttons] == ["1004", "1002", "Use all"]
    assert buttons[0].toolTip() == "1004: 31.0% of the matte is neither 0 nor 1"
    assert "Suggested keys: 1004, 1002" in p.message.text() and p.keys.suggest_button.isEnabled()
    buttons[0].click()
    assert p.keys.frame_list.text() == "1004"
    p.keys.frame_list.setText("1001")
    buttons[1].click()
    assert p.keys.frame_list.text() == "1001,1002"
    buttons[2].click()
    assert p.keys.frame_list.text() == "1002,1004"
    assert p.keys.label.text() == "Keys: 1002, 1004 (from Roto1)"


def test_suggest_keys_needs_an_automatic_run_and_shows_cmn_mattes_error(qapp, plate, env, tmp_path):
    env["CMN_MATTE"] = FakeFarm(tmp_path / "matte", code=2, error="cmn-matte: error: sh010.1003.exr: truncated").path
    p = open_panel(plate, env)
    assert p.keys.suggest() is None
    assert "no automatic run in" in p.message.text() and "alpha/sh010.####.exr yet" in p.message.text()
    automatic_run(tmp_path)
    assert p.keys.suggest() is not None
    wait_until(lambda: p.keys.suggest_job is None, what="suggest-keys' end")
    assert "Cannot suggest keys" in p.message.text() and "sh010.1003.exr: truncated" in p.message.text()
    assert not p.keys.suggested_box.isVisibleTo(p)


def test_the_keys_row_and_suggestions_squash_no_row(qapp, plate, env, tmp_path, nuke):
    p = open_panel(plate, env, nuke)
    nuke.add_roto()
    p.keys.choose()
    p.keys.frame_list.setText("1001,1003,1005")
    p.show()
    qapp.processEvents()
    p.keys.offer([{"frame": 1004, "reason": "grey"}, {"frame": 1002, "reason": "appears"}])
    qapp.processEvents()
    assert p.height() >= p.sizeHint().height()
    for widget in (p.keys.frame_list, p.keys.from_selection, p.keys.minutes, p.keys.label, p.subject, p.pick_viewer,
                   *p.keys.suggested_box.findChildren(QtWidgets.QPushButton)):
        assert widget.height() >= widget.minimumSizeHint().height(), widget
    p.close()
