"""gizmos/CMN_Matte.gizmo: balanced braces, the expected nodes and knobs, wiring, despill maths."""
import os
import re

import pytest

from nuke_paths import GIZMO_DIR

GIZMO = os.path.join(GIZMO_DIR, "CMN_Matte.gizmo")


def parse(text):
    """Nuke script text -> [(class, {knob: value}, [addUserKnob lines])] in file order."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    nodes, current = [], None
    for line in lines:
        stripped = line.strip()
        opening = re.fullmatch(r"(\w+) \{", stripped)
        if current is None and opening:
            current = (opening.group(1), {}, [])
        elif current is not None and stripped == "}" and line.startswith(" " * (0 if current[0] == "Gizmo" else 1)) \
                and len(line) - len(line.lstrip()) == (0 if current[0] == "Gizmo" else 1):
            nodes.append(current)
            current = None
        elif current is not None:
            key, _, value = stripped.partition(" ")
            if key == "addUserKnob":
                current[2].append(value)
            else:
                current[1][key] = value.strip('"')
        else:
            nodes.append((stripped, {}, []))
    assert current is None, "unterminated node"
    return nodes


def braces_balanced(text):
    depth, quoted, escaped = 0, False, False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "{":
            depth += 1
        elif not quoted and char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not quoted


@pytest.fixture(scope="module")
def nodes():
    with open(GIZMO, encoding="utf-8") as fh:
        text = fh.read()
    assert braces_balanced(text)
    return parse(text)


def test_structure(nodes):
    assert [n[0] for n in nodes] == ["version 13.0 v1", "Gizmo", "Input", "FilterErode", "Blur", "Input",
                                     "Expression", "Copy", "Premult", "Output", "end_group"]
    gizmo = nodes[1]
    assert gizmo[1]["inputs"] == "2"
    user = [re.match(r"\{\d+ (\w+)", k).group(1) for k in gizmo[2]]
    assert user == ["cmn", "edge_text", "erode", "edge_blur", "despill_text", "despill_color", "despill",
                    "output_text", "premultiply"]
    copy = next(n for n in nodes if n[0] == "Copy")[1]
    assert (copy["inputs"], copy["from0"], copy["to0"]) == ("2", "rgba.alpha", "rgba.alpha")
    inputs = {n[1]["name"]: n[1].get("number", "0") for n in nodes if n[0] == "Input"}
    assert inputs == {"plate": "0", "alpha": "1"}


def test_wiring(nodes):
    """Replay Nuke's node stack: each node pops its inputs (input 0 = top) and pushes itself."""
    stack, inputs_of = [], {}
    for cls, knobs, _ in nodes[2:-1]:
        count = int(knobs.get("inputs", 0 if cls == "Input" else 1))
        taken = [stack.pop() for _ in range(count)]
        inputs_of[knobs["name"]] = taken
        stack.append(knobs["name"])
    assert inputs_of["Erode"] == ["alpha"] and inputs_of["EdgeBlur"] == ["Erode"]
    assert inputs_of["Despill"] == ["plate"]
    assert inputs_of["CopyAlpha"] == ["Despill", "EdgeBlur"]   # B = plate, A = alpha
    assert inputs_of["Premult"] == ["CopyAlpha"] and inputs_of["Output1"] == ["Premult"]
    assert stack == ["Output1"]


def test_expressions_use_existing_knobs(nodes):
    user = {re.match(r"\{\d+ (\w+)", k).group(1) for k in nodes[1][2]}
    used = set()
    for _, knobs, _ in nodes[2:]:
        for value in knobs.values():
            used |= set(re.findall(r"parent\.(\w+)", value))
    assert used and used <= user


def despill(nodes, rgb, colour, amount):
    knobs = next(n for n in nodes if n[0] == "Expression")[1]
    env = {"max": max, "r": rgb[0], "g": rgb[1], "b": rgb[2]}

    def ev(expr):
        expr = expr.replace("parent.despill_color.", "c_").replace("parent.despill", "amount")
        return eval(expr, {}, {**env, "c_r": colour[0], "c_g": colour[1], "c_b": colour[2], "amount": amount})
    for idx in range(4):
        env[knobs[f"temp_name{idx}"]] = ev(knobs[f"temp_expr{idx}"])
    return tuple(ev(knobs[f"expr{idx}"]) for idx in range(3))


@pytest.mark.parametrize("rgb, colour, expected", [
    ((0.3, 0.9, 0.3), (0, 1, 0), (0.5, 0.5, 0.5)),        # green spill becomes its grey
    ((0.5, 0.5, 0.5), (0, 1, 0), (0.5, 0.5, 0.5)),        # neutral stays
    ((0.9, 0.2, 0.2), (0, 1, 0), (0.9, 0.2, 0.2)),        # no green excess: untouched
    ((0.2, 0.2, 0.8), (0, 0, 1), (0.4, 0.4, 0.4)),        # blue screen
])
def test_despill_maths(nodes, rgb, colour, expected):
    assert despill(nodes, rgb, colour, 1.0) == pytest.approx(expected, abs=1e-9)
    assert despill(nodes, rgb, colour, 0.0) == pytest.approx(rgb, abs=1e-12)
