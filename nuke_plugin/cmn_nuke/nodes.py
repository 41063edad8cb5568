"""The Nuke side glue: read the selected Read node, open the panel, build result nodes.

Every decision is made by readnode.py / submit.py; this file only moves values
between Nuke nodes and those pure functions. `nuke` is imported inside the functions
so the module imports anywhere (tests install a double as sys.modules['nuke']).
"""
from __future__ import annotations

import os

from . import pick, readnode, submit

GIZMO = "CMN_Matte"
SPACING = 110   # DAG units between the plate and the result Reads


def _message(text: str) -> None:
    import nuke
    nuke.message(text)


def selected_read():
    """The one selected Read node; SubmitError if there is none or several."""
    import nuke
    reads = nuke.selectedNodes("Read")
    if not reads:
        raise submit.SubmitError("Select the plate's Read node first, then choose CMN Matte Shot.")
    if len(reads) > 1:
        raise submit.SubmitError(f"{len(reads)} Read nodes are selected; select only the plate's Read node.")
    return reads[0]


def read_knobs(node) -> readnode.ReadKnobs:
    """Copy the knobs the plugin needs out of a Read node."""
    import nuke
    try:
        path = nuke.filename(node)   # TCL evaluated, frame pattern kept
    except Exception:   # noqa: BLE001 - older builds raise on unusual nodes; the raw knob is a fine fallback
        path = None
    fmt = node["format"].value()
    try:
        x, y, w, h = node.bbox()
        bbox = (int(x), int(y), int(x + w), int(y + h))
    except Exception:   # noqa: BLE001 - no bbox for a Read with an error; the format alone is shown
        bbox = None
    knob = node["colorspace"]
    try:
        channels = [str(c) for c in node.channels()]
    except Exception:   # noqa: BLE001 - a Read with an error has no channels; rgba is assumed
        channels = []
    return readnode.ReadKnobs(
        name=node.name(), file=path or node["file"].value(),
        first=int(node["first"].value()), last=int(node["last"].value()),
        origfirst=int(node["origfirst"].value()), origlast=int(node["origlast"].value()),
        colorspace=str(knob.value()), colorspace_values=list(knob.values()),
        format=(fmt.width(), fmt.height(), fmt.pixelAspect(), fmt.name() or ""), bbox=bbox,
        proxy=node["proxy"].value() if node.knob("proxy") else "",
        frame_mode=str(node["frame_mode"].value()) if node.knob("frame_mode") else "",
        frame=str(node["frame"].value()) if node.knob("frame") else "",
        channels=channels,
    )


def project_directory() -> str:
    import nuke
    try:
        return nuke.root()["project_directory"].evaluate() or ""
    except Exception:   # noqa: BLE001 - an unset project directory is normal
        return ""


def plate_frame(plate_node) -> int:
    """The plate (file) frame the timeline's current frame shows: the Read's `input/frame`
    metadata (right under any retime), else the current frame."""
    import nuke
    now = int(nuke.frame())
    try:
        value = plate_node.metadata("input/frame", now)
    except Exception:   # noqa: BLE001 - no metadata (a Read in error): no retime is assumed
        value = None
    try:
        return int(round(float(value))) if value not in (None, "") else now
    except (TypeError, ValueError):
        return now


def viewer_sample(plate_node) -> dict:
    """The active Viewer's colour sample (ctrl+click), the viewed image's format and the plate frame."""
    import nuke
    viewer = nuke.activeViewer()
    node = viewer.node() if viewer is not None else None
    if node is None or node.knob("colour_sample_bbox") is None:
        raise pick.PickError("no Viewer is open: view the plate, ctrl+click the person, then Pick from Viewer")
    try:
        viewed = node.input(viewer.activeInput() or 0)
        fmt = viewed.format() if viewed is not None else None
        size = (fmt.width(), fmt.height(), fmt.pixelAspect()) if fmt is not None else None
    except Exception:   # noqa: BLE001 - an unconnected input: the plate's own format is assumed
        size = None
    return {"bbox": tuple(node["colour_sample_bbox"].value()), "format": size, "frame": plate_frame(plate_node)}


def _shape_parents(layer, found: dict) -> dict:
    """{element name: parent layer} for a Roto curves tree (names are unique in a curves knob;
    Nuke's Python wrappers are not the same objects from one walk to the next)."""
    for element in layer:
        found[element.name] = layer
        if element.__class__.__name__ == "Layer":
            _shape_parents(element, found)
    return found


def _matrix(element, frame):
    return element.getTransform().evaluate(frame).getMatrix()


def roto_sample(plate_node) -> dict:
    """The selected Roto/RotoPaint shape's control points on the current frame, in Nuke pixels
    with the shape's and its layers' transforms applied (knob values: full resolution)."""
    import nuke
    rotos = [n for n in nuke.selectedNodes() if n.Class() in ("Roto", "RotoPaint")]
    if len(rotos) != 1:
        raise pick.PickError("select one Roto (or RotoPaint) node with a shape on the person, then From Roto")
    curves = rotos[0]["curves"]
    shapes = [e for e in curves.getSelected() if e.__class__.__name__ == "Shape"]
    if not shapes:
        shapes = [e for e in curves.rootLayer if e.__class__.__name__ == "Shape"]
        if len(shapes) != 1:
            raise pick.PickError(f"{rotos[0].name()} has {len(shapes)} shapes at the top and none selected; "
                                 "select the shape on the person")
    if len(shapes) > 1:
        raise pick.PickError(f"{len(shapes)} shapes are selected; select one shape (one person) per pick")
    frame = nuke.frame()
    shape, parents = shapes[0], _shape_parents(curves.rootLayer, {})
    points = []
    for control in shape:
        position = control.center.getPosition(frame)
        x, y = pick.apply_matrix(_matrix(shape, frame), position[0], position[1])
        layer = parents.get(shape.name)
        while layer is not None:   # up to and including the root layer (the node's own transform)
            x, y = pick.apply_matrix(_matrix(layer, frame), x, y)
            layer = parents.get(layer.name)
        points.append((x, y))
    return {"points": points, "frame": plate_frame(plate_node)}


def matte_shot(parent=None):
    """Menu command 'CMN Matte Shot': open the panel for the selected Read node."""
    try:
        node = selected_read()
    except submit.SubmitError as exc:
        _message(str(exc))
        return None
    from . import panel
    return panel.show(read_knobs(node), project_directory(), parent=parent,
                      on_load=lambda result: load_results(node, result),
                      viewer_sample=lambda: viewer_sample(node), roto_sample=lambda: roto_sample(node))


def _place(node, x: int, y: int) -> None:
    node.setXYpos(int(x), int(y))


def create_result_nodes(plate_node, result: dict):
    """Two Read nodes (alpha, fg) beside the plate and a CMN_Matte under it.

    Returns (alpha_read, fg_read, gizmo). The gizmo's inputs: 0 plate, 1 alpha.
    """
    import nuke
    for node in nuke.selectedNodes():
        node.setSelected(False)
    knobs = readnode.result_read_knobs(result, read_knobs(plate_node))
    x, y = plate_node.xpos(), plate_node.ypos()
    made = []
    for idx, kind in enumerate(("alpha", "fg")):
        read = nuke.nodes.Read()   # not createNode: in the GUI that opens a file browser
        for name, value in knobs[kind].items():
            if read.knob(name) is not None:
                read[name].setValue(value)
        read["label"].setValue(f"CMN {kind}")
        _place(read, x + SPACING * (idx + 1), y)
        read.setSelected(False)
        made.append(read)
    gizmo = nuke.createNode(GIZMO, inpanel=False)
    gizmo.setInput(0, plate_node)
    gizmo.setInput(1, made[0])
    _place(gizmo, x, y + SPACING)
    return made[0], made[1], gizmo


def find_results(knobs: readnode.ReadKnobs, settings: dict) -> dict:
    """The last submit result for this plate, else where a default submit would write."""
    plate = readnode.spec_values(knobs, project_directory())
    return settings.get("jobs", {}).get(plate["plate"]) or \
        readnode.expected_results(readnode.default_output(plate["plate"]), plate["plate"], plate["frames"])


def load_results(plate_node=None, result: dict | None = None):
    """Menu command 'CMN Load Results': Read nodes + CMN_Matte for the selected plate."""
    try:
        plate_node = plate_node or selected_read()
        if result is None:
            result = find_results(read_knobs(plate_node), submit.load_settings(submit.settings_path()))
        first = readnode.result_frames(result)[0]
        if not os.path.isfile(readnode.frame_path(result["alpha"], first)):
            raise submit.SubmitError(f"No results yet: {readnode.frame_path(result['alpha'], first)} does not exist "
                                     f"(job {result.get('job_id', '?')} may still be running).")
    except (submit.SubmitError, ValueError) as exc:
        _message(str(exc))
        return None
    return create_result_nodes(plate_node, result)
