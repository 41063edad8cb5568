"""Submit beside Nuke's UI: a real stand-in cmn-farm process, real PySide6 (offscreen), the `nuke` double.

Every wait is on a condition (a signal's effect, a file, a pid) with a generous timeout; nothing is timed.
"""
import os

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
QtCore = pytest.importorskip("qtpy.QtCore")
QtWidgets = pytest.importorskip("qtpy.QtWidgets")

from fake_farm import FakeFarm, alive, submitted, wait_until  # noqa: E402
from nuke_paths import GIZMO_DIR  # noqa: E402
from test_nodes import ACES, add_plate  # noqa: E402
from cmn_vfx_nuke.cmn_nuke import background, nodes, panel  # noqa: E402


@pytest.fixture(scope="module")
def qapp():
    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


@pytest.fixture
def nuke(fake_nuke):
    fake_nuke.colorspace_values = ACES
    fake_nuke.pluginAddPath(GIZMO_DIR)
    return fake_nuke


def answer(tmp_path, backend="local"):
    out = tmp_path / "sh010" / "cmn"
    return {"job_id": "sh010-20261207-1800-ab12", "backend": backend, "frames": "1001-1005",
            "alpha": f"{out}/alpha/sh010.####.exr", "fg": f"{out}/fg/sh010.####.exr", "log": f"{out}/jobs/job.log"}


def results(tmp_path):
    out = tmp_path / "sh010" / "cmn"
    return [out / kind / f"sh010.{frame}.exr" for kind in ("alpha", "fg") for frame in range(1001, 1006)]


def open_panel(nuke, plate, tmp_path, farm, backend="local"):
    """The panel as nodes.matte_shot opens it: the plate's knobs, results loaded by nodes.load_results."""
    plate_node = add_plate(nuke, plate)
    environ = {"CMN_FARM": farm.path, "PATH": os.environ.get("PATH", ""),
               "CMN_NUKE_SETTINGS": str(tmp_path / "settings.json")}
    p = panel.MattePanel(nodes.read_knobs(plate_node), environ=environ,
                         on_load=lambda result: nodes.load_results(plate_node, result))
    p.backend.setCurrentText(backend)
    p.cancel_grace = 1.0   # the stand-in's child ignores SIGTERM: the SIGKILL comes after this
    return p, plate_node


def made_nodes(nuke, plate_node):
    return [n for n in nuke.allNodes() if n is not plate_node]


def test_submit_returns_at_once_shows_progress_then_the_job_and_loads_the_reads(qapp, nuke, plate, tmp_path):
    go = tmp_path / "go"
    farm = FakeFarm(tmp_path / "farm", answer(tmp_path), lines=["  sh010: 0/5 frames, 1 worker(s) running"],
                    go=str(go), after=["  sh010: 5/5 frames, 0 worker(s) running"], write=results(tmp_path))
    p, plate_node = open_panel(nuke, plate, tmp_path, farm)
    job = p.submit()
    assert isinstance(job, background.BackgroundJob) and p.job is job   # returned while cmn-farm waits for `go`
    ticks = []
    QtCore.QTimer.singleShot(0, lambda: ticks.append(job.proc.poll()))
    wait_until(lambda: ticks, what="a QTimer firing while the job runs")
    assert ticks == [None]   # the event loop turned while cmn-farm was still running
    wait_until(lambda: "0/5 frames" in p.progress.text(), what="the first progress line")
    assert not p.submit_button.isEnabled() and p.cancel_button.isEnabled() and p.submit() is None
    go.write_text("")
    wait_until(lambda: p.job is None, what="the job's end")
    assert job.proc.returncode == 0 and "5/5 frames" in p.progress.text()
    spec = str(tmp_path / "sh010" / "cmn" / "sh010.shot.yaml")
    assert farm.calls == [[farm.path, "submit", spec, "--backend", "local", "--json"]]
    shown = p.message.text()
    assert "sh010-20261207-1800-ab12" in shown and f"{farm.path} status {spec}" in shown, shown
    alpha, fg, gizmo = made_nodes(nuke, plate_node)
    assert (alpha["file"].value(), fg["file"].value()) == (p.result["alpha"], p.result["fg"])
    assert gizmo.Class() == "CMN_Matte" and gizmo.input(1) is alpha
    assert p.submit_button.isEnabled() and not p.cancel_button.isEnabled() and p.load_button.isEnabled()


def test_a_farm_backend_shows_the_job_and_leaves_loading_to_load_results(qapp, nuke, plate, tmp_path):
    status = f"cmn-farm status {tmp_path}/sh010/cmn/sh010.shot.yaml"   # cmn-farm's own, shown as it says
    farm = FakeFarm(tmp_path / "farm", {**answer(tmp_path, "deadline-cloud"), "status": status}, lines=["submitting"])
    p, plate_node = open_panel(nuke, plate, tmp_path, farm, backend="deadline-cloud")
    assert submitted(p)["status"] == status
    assert "Submitted" in p.message.text() and status in p.message.text() and p.load_button.isEnabled()
    assert made_nodes(nuke, plate_node) == []   # the frames are not rendered yet


def test_a_failure_shows_the_one_line_error_and_creates_nothing(qapp, nuke, plate, tmp_path):
    error = "cmn-farm: error: sh010.1003.exr: the plate frame is missing; fix the Read's range"
    farm = FakeFarm(tmp_path / "farm", lines=["  sh010: 0/5 frames"], code=2, error=error, write=results(tmp_path))
    p, plate_node = open_panel(nuke, plate, tmp_path, farm)
    assert submitted(p) is None
    assert "cmn-farm submit failed: " + error.replace("'", "&#x27;") in p.message.text()
    assert made_nodes(nuke, plate_node) == [] and not os.path.exists(tmp_path / "settings.json")
    assert p.submit_button.isEnabled() and not p.load_button.isEnabled()


def pids_shown(p):
    """(cmn-farm's pid, its child's pid) once the stand-in has printed `child PID`."""
    text = p.progress.text()
    return (p.job.pid, int(text.split()[1])) if text.startswith("child ") else None


def test_cancel_stops_the_farm_and_its_children(qapp, nuke, plate, tmp_path):
    farm = FakeFarm(tmp_path / "farm", answer(tmp_path), go=str(tmp_path / "never"), child=True,
                    write=results(tmp_path))
    p, plate_node = open_panel(nuke, plate, tmp_path, farm)
    p.submit()
    wait_until(lambda: pids_shown(p), what="the child's pid")
    leader, child = pids_shown(p)
    assert alive(leader) and alive(child)
    p.cancel_button.click()
    assert p.job is not None and not p.cancel_button.isEnabled()   # the click returned before the tree is gone
    wait_until(lambda: p.job is None, what="the cancelled job's end")
    assert not os.path.exists(f"/proc/{leader}") and not alive(child)   # reaped: no zombie; the child too
    assert "Cancelled" in p.message.text() and made_nodes(nuke, plate_node) == []
    assert p.submit_button.isEnabled()


def test_closing_the_panel_cancels_its_job(qapp, nuke, plate, tmp_path):
    farm = FakeFarm(tmp_path / "farm", answer(tmp_path), go=str(tmp_path / "never"), child=True)
    p, _ = open_panel(nuke, plate, tmp_path, farm)
    p.setAttribute(QtCore.Qt.WA_DeleteOnClose)   # as panel.show() opens it in Nuke
    p.show()
    job = p.submit()
    wait_until(lambda: pids_shown(p), what="the child's pid")
    leader, child = pids_shown(p)
    proc = job.proc
    assert p.close()
    wait_until(lambda: proc.returncode is not None and not alive(child), what="the job's tree gone after close")
    assert not os.path.exists(f"/proc/{leader}")


def test_a_farm_command_that_cannot_start_is_an_error_line(qapp, nuke, plate, tmp_path):
    farm = FakeFarm(tmp_path / "farm", answer(tmp_path))
    os.chmod(farm.path, 0o644)   # a file, but not a program: validation passes, starting it fails
    p, plate_node = open_panel(nuke, plate, tmp_path, farm)
    assert p.submit() is None and p.job is None
    assert "Permission denied" in p.message.text() and p.submit_button.isEnabled()
    assert farm.calls == [] and made_nodes(nuke, plate_node) == []
