"""A small test double of Nuke's `nuke` module that records what the plugin does.

It models only what cmn_nuke uses: menus, nodes with knobs, selection, createNode
(which, like Nuke, connects a new node to the selected one and knows gizmos only when
their folder is on the plugin path), filename(), root(), message().
"""
from __future__ import annotations

import os
import types

NUKE_DEFAULT_VALUES = ["default (linear)", "linear", "sRGB", "rec709", "Cineon", "Gamma1.8", "Gamma2.2",
                       "Panalog", "raw"]


class Knob:
    def __init__(self, name, value=None, values=None):
        self._name, self._value, self._values = name, value, list(values or [])
        self.history = []

    def name(self):
        return self._name

    def value(self):
        return self._value

    def evaluate(self):
        return self._value

    def values(self):
        return list(self._values)

    def setValue(self, value):
        if self._values and value not in self._values:
            raise ValueError(f"{self._name}: {value!r} is not one of the knob's values")
        self.history.append(value)
        self._value = value
        return True


class Format:
    def __init__(self, width, height, aspect=1.0, name=""):
        self._w, self._h, self._a, self._n = width, height, aspect, name

    def width(self):
        return self._w

    def height(self):
        return self._h

    def pixelAspect(self):
        return self._a

    def name(self):
        return self._n


class Node:
    def __init__(self, cls, name, knobs=None, bbox=None, channels=None):
        self._cls, self._name = cls, name
        self._channels = list(channels or ("rgba.red", "rgba.green", "rgba.blue", "rgba.alpha"))
        self._knobs = {k.name(): k for k in (knobs or [])}
        self._knobs.setdefault("label", Knob("label", ""))
        self._inputs, self._xy, self._selected, self._bbox = {}, [0, 0], False, bbox

    def Class(self):
        return self._cls

    def name(self):
        return self._name

    def knob(self, name):
        return self._knobs.get(name)

    def knobs(self):
        return dict(self._knobs)

    def __getitem__(self, name):
        if name not in self._knobs:
            raise NameError(f"{self._name} has no knob {name}")
        return self._knobs[name]

    def xpos(self):
        return self._xy[0]

    def ypos(self):
        return self._xy[1]

    def setXYpos(self, x, y):
        self._xy = [x, y]

    def setInput(self, idx, node):
        self._inputs[idx] = node
        return True

    def input(self, idx):
        return self._inputs.get(idx)

    def setSelected(self, selected):
        self._selected = bool(selected)

    def isSelected(self):
        return self._selected

    def channels(self):
        return list(self._channels)

    def bbox(self):
        if self._bbox is None:
            raise RuntimeError("no bbox")
        return list(self._bbox)


class Menu:
    def __init__(self, name):
        self._name, self.items, self.commands = name, {}, []

    def name(self):
        return self._name

    def addMenu(self, name, icon=None, **kwargs):
        return self.items.setdefault(name, Menu(name))

    def addCommand(self, name, command=None, shortcut="", icon="", **kwargs):
        self.commands.append({"name": name, "command": command, "shortcut": shortcut})
        return self

    def findItem(self, path):
        head, _, rest = path.partition("/")
        if rest:
            sub = self.items.get(head)
            return sub.findItem(rest) if sub else None
        return self.items.get(head) or next((c for c in self.commands if c["name"] == head), None)


def read_knobs(file="", first=1, last=1, origfirst=None, origlast=None, colorspace="default (linear)",
               values=None, fmt=None, proxy="", frame_mode="expression", frame=""):
    values = list(values or NUKE_DEFAULT_VALUES)
    return [Knob("file", file), Knob("first", first), Knob("last", last),
            Knob("origfirst", first if origfirst is None else origfirst),
            Knob("origlast", last if origlast is None else origlast),
            Knob("colorspace", colorspace, values), Knob("raw", False), Knob("premultiplied", False),
            Knob("format", fmt or Format(1920, 1080, 1.0, "HD_1080")), Knob("proxy", proxy),
            Knob("frame_mode", frame_mode), Knob("frame", frame)]


def make_module(colorspace_values=None) -> types.ModuleType:
    """A fresh `nuke` double. colorspace_values: what new Read nodes' colorspace knob offers."""
    nuke = types.ModuleType("nuke")
    state = {"menus": {}, "nodes": [], "plugin_paths": [], "messages": [], "counter": {}}
    nuke.state = state
    nuke.colorspace_values = list(colorspace_values or NUKE_DEFAULT_VALUES)
    nuke.Format, nuke.Knob, nuke.Node = Format, Knob, Node

    def menu(name):
        return state["menus"].setdefault(name, Menu(name))

    def add_node(node):
        state["nodes"].append(node)
        return node

    def unique(cls):
        state["counter"][cls] = state["counter"].get(cls, 0) + 1
        return f"{cls}{state['counter'][cls]}"

    def createNode(cls, knobs="", inpanel=True):
        if cls == "Read":
            raise AssertionError("createNode('Read') opens a file browser in Nuke's GUI; use nuke.nodes.Read()")
        if any(os.path.isfile(os.path.join(p, f"{cls}.gizmo")) for p in state["plugin_paths"]):
            knob_list = []
        else:
            raise RuntimeError(f"{cls}: unknown command")
        node = Node(cls, unique(cls), knob_list)
        selected = [n for n in state["nodes"] if n.isSelected()]
        if selected:
            node.setInput(0, selected[-1])   # Nuke connects new nodes to the selection
        for other in state["nodes"]:
            other.setSelected(False)
        node.setSelected(True)
        return add_node(node)

    def make_read(**knobs):
        """nuke.nodes.Read(): no file browser, no auto-connection, selection unchanged."""
        node = Node("Read", unique("Read"), read_knobs(values=nuke.colorspace_values))
        for name, value in knobs.items():
            node[name].setValue(value)
        return add_node(node)

    def selectedNodes(filter=None):
        return [n for n in state["nodes"] if n.isSelected() and (filter is None or n.Class() == filter)]

    def selectedNode():
        chosen = selectedNodes()
        if not chosen:
            raise ValueError("no node selected")
        return chosen[-1]

    def toNode(name):
        return next((n for n in state["nodes"] if n.name() == name), None)

    root_node = Node("Root", "root", [Knob("project_directory", "")])
    nuke.menu, nuke.createNode, nuke.toNode = menu, createNode, toNode
    nuke.selectedNodes, nuke.selectedNode = selectedNodes, selectedNode
    nuke.allNodes = lambda filter=None: [n for n in state["nodes"] if filter is None or n.Class() == filter]
    nuke.pluginAddPath = lambda path: state["plugin_paths"].insert(0, path)
    nuke.pluginPath = lambda: list(state["plugin_paths"])
    nuke.message = lambda text: state["messages"].append(text)
    nuke.filename = lambda node, mode=None: node["file"].value()
    nuke.root = lambda: root_node
    nuke.add_node = add_node
    nuke.nodes = types.SimpleNamespace(Read=make_read)
    return nuke
