"""What the keys need of the `nuke` double (nuke_double.py) beyond menus and Reads: Roto nodes, temporary
Reformat and Write nodes, nuke.execute and nuke.delete, each recorded.

    nuke = with_render(nuke_double.make_module())
    nuke.state["executed"]   [{"write": "Write1", "file": ..., "channels": "alpha", "frames": [1001], ...}]
    nuke.state["deleted"]    ["Reformat1", "Write1"]

execute() writes an empty file per frame at the Write's file (#### -> the frame), as a render would, after
following the Write's input chain to the node it renders (recorded as "source").
"""
from __future__ import annotations

import os
import re

from nuke_double import Knob, Node

REFORMAT_KNOBS = {"type": "to format", "box_fixed": False, "box_width": 0, "box_height": 0, "box_pixel_aspect": 1.0,
                  "resize": "width", "center": True, "black_outside": True}
WRITE_KNOBS = {"file": "", "file_type": "", "channels": "rgb", "datatype": "", "raw": False}


def with_render(nuke, fail_at: int | None = None):
    """Add Roto/Reformat/Write nodes, execute and delete to a nuke double; `fail_at`: the frame whose
    execute raises RuntimeError as Nuke does for a failed render."""
    state = nuke.state
    state.update(executed=[], deleted=[])

    def unique(cls):
        state["counter"][cls] = state["counter"].get(cls, 0) + 1
        return f"{cls}{state['counter'][cls]}"

    def factory(cls, defaults):
        def make(**knobs):
            node = Node(cls, unique(cls), [Knob(k, v) for k, v in defaults.items()])
            for name, value in knobs.items():
                node[name].setValue(value)
            return nuke.add_node(node)
        return make

    def execute(node, first, last, incr=1):
        if isinstance(node, str):
            node = nuke.toNode(node)
        assert node is not None and node in state["nodes"], "execute of a node that is not in the script"
        chain, upstream = [], node.input(0)
        while upstream is not None:
            chain.append(upstream)
            upstream = upstream.input(0)
        frames = list(range(int(first), int(last) + 1, int(incr)))
        if fail_at in frames:
            raise RuntimeError(f"{node.name()}: Write failed at frame {fail_at}")
        state["executed"].append({"write": node.name(), "frames": frames, "chain": [n.name() for n in chain],
                                  "reformat": {k: chain[0][k].value() for k in REFORMAT_KNOBS} if chain else None,
                                  **{k: node[k].value() for k in WRITE_KNOBS}})
        for frame in frames:
            path = re.sub(r"#+", lambda m: str(frame).zfill(len(m.group(0))), node["file"].value())
            assert os.path.isdir(os.path.dirname(path)), f"Nuke cannot write into {os.path.dirname(path)}: no folder"
            open(path, "wb").close()

    def delete(node):
        state["nodes"].remove(node)
        state["deleted"].append(node.name())

    def roto(cls="Roto", selected=True):
        node = nuke.add_node(Node(cls, unique(cls), [Knob("output", "alpha")]))
        node.setSelected(selected)
        return node

    nuke.nodes.Reformat = factory("Reformat", REFORMAT_KNOBS)
    nuke.nodes.Write = factory("Write", WRITE_KNOBS)
    nuke.execute, nuke.delete, nuke.add_roto = execute, delete, roto
    return nuke
