"""Loading results: Read nodes with the right knobs beside the plate, wired into CMN_Matte."""
import json
import os
import types

import pytest

import nuke_double
from nuke_paths import GIZMO_DIR
from cmn_vfx_nuke.cmn_nuke import nodes, pick, readnode

ACES = ["default (ACES - ACEScg)", "ACES - ACEScg", "ACES - ACEScct", "Utility - Linear - sRGB", "Utility - Raw"]


def add_plate(nuke, plate, colorspace="ACES - ACEScct", values=ACES, name="Read1"):
    knobs = nuke_double.read_knobs(file=plate.replace("####", "%04d"), first=1001, last=1005,
                                   colorspace=colorspace, values=values,
                                   fmt=nuke_double.Format(2048, 1152, 1.0, "2K"))
    node = nuke.add_node(nuke_double.Node("Read", name, knobs, bbox=(-50, -50, 2148, 1252)))
    node.setXYpos(100, 200)
    node.setSelected(True)
    return node


def results(tmp_path, frames=(1001,)):
    out = tmp_path / "sh010" / "cmn"
    for kind in ("alpha", "fg"):
        (out / kind).mkdir(parents=True, exist_ok=True)
        for frame in frames:
            (out / kind / f"sh010.{frame}.exr").write_bytes(b"")
    return {"job_id": "7", "backend": "local", "alpha": str(out / "alpha" / "sh010.####.exr"),
            "fg": str(out / "fg" / "sh010.####.exr"), "frames": "1001-1005", "log": None}


@pytest.fixture
def nuke_aces(fake_nuke):
    fake_nuke.colorspace_values = ACES
    fake_nuke.pluginAddPath(GIZMO_DIR)
    return fake_nuke


def test_read_knobs_from_a_node(nuke_aces, plate):
    knobs = nodes.read_knobs(add_plate(nuke_aces, plate))
    assert (knobs.file, knobs.first, knobs.last) == (plate.replace("####", "%04d"), 1001, 1005)
    assert knobs.format == (2048, 1152, 1.0, "2K") and knobs.bbox == (-50, -50, 2098, 1202)
    assert knobs.colorspace_values == ACES


def test_load_results_builds_reads_and_gizmo(nuke_aces, plate, tmp_path):
    plate_node = add_plate(nuke_aces, plate)
    result = results(tmp_path)
    alpha, fg, gizmo = nodes.load_results(plate_node, result)
    assert nuke_aces.state["messages"] == []
    expect = {"first": 1001, "last": 1005, "origfirst": 1001, "origlast": 1005}
    assert {k: alpha[k].value() for k in ("file", *expect, "colorspace", "raw", "premultiplied")} == \
        {"file": result["alpha"], **expect, "colorspace": "Utility - Raw", "raw": True, "premultiplied": False}
    assert {k: fg[k].value() for k in ("file", *expect, "colorspace", "raw", "premultiplied")} == \
        {"file": result["fg"], **expect, "colorspace": "ACES - ACEScg", "raw": False, "premultiplied": True}
    assert gizmo.Class() == "CMN_Matte" and gizmo.input(0) is plate_node and gizmo.input(1) is alpha
    assert (alpha.xpos(), alpha.ypos()) == (100 + nodes.SPACING, 200)
    assert (fg.xpos(), fg.ypos()) == (100 + 2 * nodes.SPACING, 200)
    assert (gizmo.xpos(), gizmo.ypos()) == (100, 200 + nodes.SPACING)
    assert alpha.input(0) is None and fg.input(0) is None


def test_load_results_before_the_job_wrote_anything(nuke_aces, plate, tmp_path):
    result = results(tmp_path, frames=())
    assert nodes.load_results(add_plate(nuke_aces, plate), result) is None
    assert nuke_aces.state["messages"][0].startswith("No results yet:")
    assert nuke_aces.allNodes("Read") == [nuke_aces.toNode("Read1")]


def test_load_results_menu_uses_the_remembered_job(nuke_aces, plate, tmp_path, monkeypatch):
    settings = tmp_path / "settings.json"
    result = results(tmp_path)
    result["alpha"] = result["alpha"].replace("cmn", "elsewhere")
    os.makedirs(os.path.dirname(result["alpha"]))
    open(result["alpha"].replace("####", "1001"), "wb").close()
    settings.write_text(json.dumps({"jobs": {plate: result}}))
    monkeypatch.setenv("CMN_NUKE_SETTINGS", str(settings))
    add_plate(nuke_aces, plate)
    alpha, _, _ = nodes.load_results()
    assert alpha["file"].value() == result["alpha"]


def test_load_results_menu_falls_back_to_the_default_folder(nuke_aces, plate, tmp_path, monkeypatch):
    monkeypatch.setenv("CMN_NUKE_SETTINGS", str(tmp_path / "none.json"))
    expected = results(tmp_path)
    add_plate(nuke_aces, plate)
    alpha, fg, _ = nodes.load_results()
    assert (alpha["file"].value(), fg["file"].value()) == (expected["alpha"], expected["fg"])


def test_several_reads_selected(nuke_aces, plate):
    add_plate(nuke_aces, plate)
    add_plate(nuke_aces, plate, name="Read2")
    assert nodes.matte_shot() is None
    assert nuke_aces.state["messages"] == ["2 Read nodes are selected; select only the plate's Read node."]


def test_read_knobs_carry_the_reads_channels_so_the_layer_is_known(nuke_aces, plate):
    node = add_plate(nuke_aces, plate)
    assert readnode.spec_values(nodes.read_knobs(node))["layer"] == ""
    node._channels = ["plate.red", "plate.green", "plate.blue"]
    assert readnode.spec_values(nodes.read_knobs(node))["layer"] == "plate"


# --- picks: what nodes.py reads from the Viewer and a Roto node ----------------------------

class Viewer:
    def __init__(self, node):
        self._node = node

    def node(self):
        return self._node

    def activeInput(self):
        return 0


def viewer_on(nuke, plate_node, bbox):
    viewer = nuke.add_node(nuke_double.Node("Viewer", "Viewer1", [nuke_double.Knob("colour_sample_bbox", bbox)]))
    viewer.setInput(0, plate_node)
    plate_node.format = lambda: nuke_double.Format(2048, 1152, 1.0, "2K")
    nuke.activeViewer = lambda: Viewer(viewer)
    return viewer


def test_viewer_sample_reads_the_colour_sample_format_and_plate_frame(nuke_aces, plate):
    plate_node = add_plate(nuke_aces, plate)
    viewer_on(nuke_aces, plate_node, [0.1, 0.2, 0.1, 0.2])
    nuke_aces.frame = lambda: 1003
    assert nodes.viewer_sample(plate_node) == {"bbox": (0.1, 0.2, 0.1, 0.2), "format": (2048, 1152, 1.0),
                                              "frame": 1003}
    plate_node.metadata = lambda key=None, time=None: {"input/frame": 1013}[key] if time == 1003 else None
    assert nodes.plate_frame(plate_node) == 1013   # a retimed Read: the file frame shown


def test_no_viewer_is_a_pick_error(nuke_aces, plate):
    nuke_aces.activeViewer = lambda: None
    nuke_aces.frame = lambda: 1001
    with pytest.raises(pick.PickError, match="no Viewer is open"):
        nodes.viewer_sample(add_plate(nuke_aces, plate))


class Transform:
    def __init__(self, matrix):
        self.matrix = matrix

    def evaluate(self, frame):
        return self

    def getMatrix(self):
        return self.matrix


IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]


class Element(list):
    def __init__(self, name, items=(), matrix=IDENTITY):
        super().__init__(items)
        self.name, self._transform = name, Transform(matrix)

    def getTransform(self):
        return self._transform


class Shape(Element):
    pass


class Layer(Element):
    pass


class Point:
    def __init__(self, x, y):
        self.center = types.SimpleNamespace(getPosition=lambda frame: (x, y, 0))


class Curves:
    def __init__(self, root, selected):
        self.rootLayer, self._selected = root, selected

    def getSelected(self):
        return list(self._selected)


def roto_node(nuke, root, selected):
    node = nuke.add_node(nuke_double.Node("Roto", "Roto1"))
    node._knobs["curves"] = Curves(root, selected)   # node['curves'] is the curves knob itself, as in Nuke
    node.setSelected(True)
    return node


def test_roto_sample_applies_the_shape_and_layer_transforms(nuke_aces, plate):
    plate_node = add_plate(nuke_aces, plate)
    plate_node.setSelected(False)
    nuke_aces.frame = lambda: 1002
    shape = Shape("Bezier1", [Point(100, 100), Point(300, 500)], matrix=[1, 0, 0, 5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    layer = Layer("Layer1", [shape], matrix=[1, 0, 0, 0, 0, 1, 0, 10, 0, 0, 1, 0, 0, 0, 0, 1])
    root = Layer("Root", [layer, Shape("Bezier2", [Point(0, 0)])])
    roto_node(nuke_aces, root, [shape])
    assert nodes.roto_sample(plate_node) == {"points": [(105, 110), (305, 510)], "frame": 1002}


@pytest.mark.parametrize("selected, message", [
    (None, "select one Roto"),
    ([], "Roto1 has 2 shapes at the top and none selected"),
    (["a", "b"], "2 shapes are selected; select one shape"),
])
def test_roto_sample_refusals(nuke_aces, plate, selected, message):
    plate_node = add_plate(nuke_aces, plate)
    plate_node.setSelected(False)
    nuke_aces.frame = lambda: 1001
    a, b = Shape("a", [Point(1, 1)]), Shape("b", [Point(2, 2)])
    if selected is not None:
        roto_node(nuke_aces, Layer("Root", [a, b]), [{"a": a, "b": b}[n] for n in selected])
    with pytest.raises(pick.PickError, match=message):
        nodes.roto_sample(plate_node)
