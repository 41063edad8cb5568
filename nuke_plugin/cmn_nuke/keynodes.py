"""The Nuke side of the keys (keys.py decides): the selected key source, and a Roto's alpha rendered to EXR.

    source = selected_source("Read_sh010_plate", "/shows/abc")   # {"kind": "roto", "node": "Roto1"} or a Read's
    render_roto(source, "/shot/cmn/keys/sh010.####.exr", [1001, 1020, 1040], (2048, 1152, 1.0))

The render goes through two temporary nodes, deleted afterwards whatever happens: a Reformat to the
plate's format (pixels kept where they are: resize none, not centred, so the key's display window is
the plate's, which cmn-matte teach requires) and a Write (channels alpha, EXR 16 bit half), executed
with nuke.execute once per key frame. `nuke` is imported inside the functions (tests install a double).
"""
from __future__ import annotations

import os

from .keys import KeysError, frames_on_disk, read_source
from .readnode import frame_path

SOURCES = ("Roto", "RotoPaint", "Read")
WRITE_KNOBS = (("file_type", "exr"), ("channels", "alpha"), ("datatype", "16 bit half"), ("raw", True))


def selected_source(plate_node: str, project_directory: str = "") -> dict:
    """The one selected Roto/RotoPaint node or Read of key mattes (the plate's own Read does not count); a
    relative Read path is taken from `project_directory` (nodes.project_directory, which the panel got)."""
    import nuke
    chosen = [n for n in nuke.selectedNodes() if n.Class() in SOURCES and n.name() != plate_node]
    if len(chosen) != 1:
        raise KeysError(f"{len(chosen)} key sources are selected; select one Roto or RotoPaint node, or one Read "
                        "of key mattes (not the plate), then From selection")
    node = chosen[0]
    if node.Class() != "Read":
        return {"kind": "roto", "node": node.name()}
    try:
        path = nuke.filename(node)   # TCL evaluated, frame pattern kept
    except Exception:   # noqa: BLE001 - as nodes.read_knobs: the raw knob is a fine fallback
        path = None
    return read_source(node.name(), path or node["file"].value(), project_directory)


def _set(node, knobs) -> None:
    for name, value in knobs:
        node[name].setValue(value)


def render_roto(source: dict, pattern: str, frames: list[int], plate_format: tuple) -> list[str]:
    """Render the Roto's alpha for `frames` (plate frame numbers = timeline frames: keys.problems refuses a
    retimed plate) to `pattern`; earlier renders of other frames there are removed, so the frames on disk
    are exactly the keys. Returns the files written; KeysError when the node is gone or Nuke fails."""
    import nuke
    roto = nuke.toNode(source["node"])
    if roto is None:
        raise KeysError(f"{source['node']} is no longer in the script; choose the keys again (From selection)")
    width, height, aspect = plate_format[:3]
    os.makedirs(os.path.dirname(pattern), exist_ok=True)
    for stale in set(frames_on_disk(pattern)) - set(frames):
        os.remove(frame_path(pattern, stale))
    made = []
    try:
        reformat = nuke.nodes.Reformat()
        made.append(reformat)
        _set(reformat, (("type", "to box"), ("box_fixed", True), ("box_width", width), ("box_height", height),
                        ("box_pixel_aspect", aspect), ("resize", "none"), ("center", False),
                        ("black_outside", False)))
        reformat.setInput(0, roto)
        write = nuke.nodes.Write()
        made.append(write)
        _set(write, (("file", pattern), *WRITE_KNOBS))
        write.setInput(0, reformat)
        for frame in frames:
            nuke.execute(write, frame, frame, 1)
    except RuntimeError as exc:   # Nuke's render errors ("Roto1: nothing to render", a full disk)
        raise KeysError(f"rendering {source['node']}'s alpha failed: {exc}") from None
    finally:
        for node in made:
            nuke.delete(node)
    return [frame_path(pattern, frame) for frame in frames]
