"""Imports never run in a circle (STYLE.md rule 11).

The project's modules (cmn_vfx; farm/, training/, nuke_plugin/ as cmn_vfx_farm, cmn_vfx_training,
cmn_vfx_nuke, the names setup.py installs them under; bench, tools) are parsed
with `ast`, never imported, so nothing runs. What counts as an edge A -> B:
  - every `import B` / `from B import x` anywhere in A: module level, inside functions,
    and under `if TYPE_CHECKING:` (a type-only circle still ties the two modules together);
  - `from P import x` where P.x is a module: the edge goes to P.x; otherwise to P itself;
  - relative imports resolved against A's package; Nuke's `cmn_nuke.*` is
    cmn_vfx_nuke.cmn_nuke.* (the same files on NUKE_PATH).
What does not count: a package's parents. Importing P.x runs P/__init__.py first, but an
__init__ that only documents (or re-exports its own modules) is the normal package shape;
an __init__ that imports a module which imports the package back IS caught, through the
explicit edges above.
"""
from __future__ import annotations

import ast
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# import name -> folder
ROOTS = {"cmn_vfx": "cmn_vfx", "cmn_vfx_farm": "farm", "cmn_vfx_training": "training", "cmn_vfx_nuke": "nuke_plugin",
         "bench": "bench", "tools": "tools"}
ALIASES = {"cmn_nuke": "cmn_vfx_nuke.cmn_nuke"}


def project_modules(repo: str = REPO) -> dict[str, str]:
    """Dotted module name -> file path, for every .py below the project's packages."""
    modules = {}
    for package, root in ROOTS.items():
        for folder, dirs, files in os.walk(os.path.join(repo, root)):
            dirs[:] = [d for d in dirs if not d.startswith((".", "__pycache__"))]
            for name in files:
                if name.endswith(".py"):
                    rel = [package] + os.path.relpath(os.path.join(folder, name), os.path.join(repo, root))[:-3].split(os.sep)
                    if rel[-1] == "__init__":
                        rel = rel[:-1]
                    modules[".".join(rel)] = os.path.join(folder, name)
    return modules


def _absolute(name: str, level: int, module: str, is_package: bool) -> str:
    if level == 0:
        head, _, rest = name.partition(".")
        return f"{ALIASES[head]}.{rest}".rstrip(".") if head in ALIASES else name
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports_of(module: str, path: str, modules: dict[str, str]) -> set[str]:
    """The project modules `module` imports (see the module docstring for what counts)."""
    return {t for t in imported_names(module, path, modules) if t in modules and t != module}


def imported_names(module: str, path: str, modules: dict[str, str]) -> set[str]:
    """Every absolute name `module` imports, the project's and third parties' (`onnxruntime`,
    `openvino.runtime`), found as the module docstring says."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    is_package = os.path.basename(path) == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [_absolute(a.name, 0, module, is_package) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module or "", node.level, module, is_package)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        found.update(targets)
    return found


def import_graph(repo: str = REPO) -> dict[str, set[str]]:
    modules = project_modules(repo)
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_walker_sees_a_cycle(tmp_path):
    """The walker itself: a function-level and a relative import closing a circle are found."""
    pkg = tmp_path / "cmn_vfx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cmn_vfx import b\n")
    (pkg / "b.py").write_text("def f():\n    from . import c\n")
    (pkg / "c.py").write_text("import cmn_vfx.a\n")
    (pkg / "d.py").write_text("from cmn_vfx.a import thing\n")
    graph = import_graph(str(tmp_path))
    assert graph["cmn_vfx.d"] == {"cmn_vfx.a"}
    assert find_cycles(graph) == [["cmn_vfx.a", "cmn_vfx.b", "cmn_vfx.c"]]


def test_no_import_cycles():
    graph = import_graph()
    assert "cmn_vfx.commands.run" in graph and "cmn_vfx_farm.plan" in graph
    assert find_cycles(graph) == []


def test_the_core_imports_no_training_or_bench():
    """cmn_vfx ships to artists: it may not reach into training/ or bench/ (the sample shot's
    still, motion and drawing live in cmn_vfx/synth/; training's flow in training/data/compose.py)."""
    graph = import_graph()
    assert "cmn_vfx_training.data.compose" in graph and "cmn_vfx.synth.render" in graph
    bad = {m: sorted(t for t in targets if t.split(".")[0] in ("cmn_vfx_training", "bench"))
           for m, targets in graph.items() if m.split(".")[0] == "cmn_vfx"}
    assert {m: t for m, t in bad.items() if t} == {}
