"""init.py and menu.py run against the `nuke` double: gizmo path, menu items, lazy commands."""
import os
import runpy
import sys

import pytest

from nuke_paths import GIZMO_DIR, PLUGIN_DIR


@pytest.fixture
def plugin_on_path(monkeypatch):
    """Nuke puts NUKE_PATH folders on sys.path; drop the top-level cmn_nuke modules afterwards."""
    monkeypatch.syspath_prepend(PLUGIN_DIR)
    yield
    for name in [m for m in sys.modules if m == "cmn_nuke" or m.startswith("cmn_nuke.")]:
        del sys.modules[name]


def test_init_adds_the_gizmo_folder(fake_nuke, monkeypatch):
    monkeypatch.delenv("CMN_GIZMO_PATH", raising=False)
    runpy.run_path(os.path.join(PLUGIN_DIR, "init.py"))
    assert [os.path.realpath(p) for p in fake_nuke.state["plugin_paths"]] == [os.path.realpath(GIZMO_DIR)]
    assert os.path.isfile(os.path.join(fake_nuke.state["plugin_paths"][0], "CMN_Matte.gizmo"))


def test_init_honours_cmn_gizmo_path(fake_nuke, monkeypatch, tmp_path):
    monkeypatch.setenv("CMN_GIZMO_PATH", str(tmp_path))
    runpy.run_path(os.path.join(PLUGIN_DIR, "init.py"))
    assert fake_nuke.state["plugin_paths"] == [str(tmp_path)]


def test_menu_items(fake_nuke):
    runpy.run_path(os.path.join(PLUGIN_DIR, "menu.py"))
    nodes = fake_nuke.menu("Nodes")
    matte = nodes.findItem("CMN/CMN Matte Shot")
    assert matte["shortcut"] == "alt+shift+m"
    assert nodes.findItem("CMN/CMN Load Results")["command"] == "import cmn_nuke.nodes; cmn_nuke.nodes.load_results()"
    assert nodes.findItem("CMN/CMN_Matte")["command"] == "nuke.createNode('CMN_Matte')"
    top = fake_nuke.menu("Nuke")
    assert [c["name"] for c in top.findItem("CMN").commands] == ["CMN Matte Shot", "CMN Load Results"]
    assert "cmn_nuke" not in sys.modules   # nothing imported until an artist clicks


def test_menu_commands_run(fake_nuke, plugin_on_path):
    runpy.run_path(os.path.join(PLUGIN_DIR, "menu.py"))
    for path in ("CMN/CMN Matte Shot", "CMN/CMN Load Results"):
        exec(fake_nuke.menu("Nodes").findItem(path)["command"], {"nuke": fake_nuke})
    assert fake_nuke.state["messages"] == ["Select the plate's Read node first, then choose CMN Matte Shot."] * 2


def test_menu_errors_do_not_break_startup(fake_nuke, capsys):
    def broken(name):
        raise RuntimeError("menu bar not ready")
    fake_nuke.menu = broken
    runpy.run_path(os.path.join(PLUGIN_DIR, "menu.py"))
    err = capsys.readouterr().err
    assert "Traceback" in err and "menu bar not ready" in err


def test_menu_py_is_short():
    with open(os.path.join(PLUGIN_DIR, "menu.py"), encoding="utf-8") as fh:
        assert len(fh.read().splitlines()) <= 40
