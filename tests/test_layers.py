"""Layers hold: dependencies point down (DESIGN.md, "Layers"; issue 30).

  - job, the bottom layer, imports nothing outside itself but the standard library (PyYAML and
    OpenImageIO only inside the one function that reads a YAML file or an EXR): Nuke gets the
    package copied whole (nuke_plugin/cmn_nuke/vendor/job/), where cmn_vfx is not importable;
  - io imports nothing above it: only io itself, the job layer and the base modules (errors,
    interrupts, ...); not the engine, the model, the priors, the commands or the console scripts;
  - prior imports nothing of the engine (job's names and the subject grammar are below it);
  - model, the network, imports nothing of the engine, the console scripts, the priors or the
    commands, and no runtime package (OpenVINO, ONNX Runtime): running an export is the engine's;
  - the commands do not import cmn-matte's console script (cmn_vfx.cli), which imports them:
    what every console script shares lives below both, in cmn_vfx.console.

Imports are read by test_import_cycles' walker (ast, nothing runs), so an import inside a
function counts as much as one at the top: a lazy upward import is still a loop between layers.
"""
from __future__ import annotations

import ast
import os
import sys

from test_import_cycles import REPO, import_graph, imported_names, project_modules

# Below every layer: any layer may import these.
BASE = ("cmn_vfx.errors", "cmn_vfx.interrupts", "cmn_vfx.installed", "cmn_vfx.config_io")
JOB = "cmn_vfx.job"
# Third-party modules the job layer may import, each inside the function that needs it (never at the
# top of a module, so the package imports in Nuke, which has neither).
OPTIONAL_IN_JOB = {"cmn_vfx.job.config_yaml": ["yaml"], "cmn_vfx.job.finished": ["OpenImageIO"]}
ABOVE_PRIOR = ("cmn_vfx.engine", "cmn_vfx.commands", "cmn_vfx.cli", "cmn_vfx.teach")
ABOVE_MODEL = ("cmn_vfx.engine", "cmn_vfx.commands", "cmn_vfx.cli", "cmn_vfx.prior", "cmn_vfx.teach")
RUNTIMES = ("openvino", "onnxruntime")


def _inside(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def upward(graph: dict[str, set[str]], package: str, *, allowed: tuple[str, ...] = (),
           forbidden: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Module of `package` -> the project modules it imports that it should not: with `allowed`,
    everything outside `package` and `allowed`; with `forbidden`, what is inside `forbidden`."""
    bad = {}
    for module, targets in graph.items():
        if not _inside(module, (package,)):
            continue
        if allowed:
            wrong = [t for t in targets if not _inside(t, (package,) + allowed)]
        else:
            wrong = [t for t in targets if _inside(t, forbidden)]
        if wrong:
            bad[module] = sorted(wrong)
    return bad


def test_the_check_sees_a_lazy_upward_import(tmp_path):
    pkg = tmp_path / "cmn_vfx"
    for sub in ("io", "job"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("")
    (pkg / "job" / "names.py").write_text("")
    (pkg / "io" / "seq.py").write_text("from cmn_vfx.errors import x\ndef f():\n    from ..job import names\n")
    graph = import_graph(str(tmp_path))
    assert upward(graph, "cmn_vfx.io", allowed=BASE) == {"cmn_vfx.io.seq": ["cmn_vfx.job.names"]}


def test_io_imports_nothing_above_it():
    graph = import_graph()
    assert "cmn_vfx.io.sequence" in graph and "cmn_vfx.io.image" in graph
    assert upward(graph, "cmn_vfx.io", allowed=BASE + (JOB,)) == {}


def outside_names(package: str, modules: dict[str, str]) -> dict[str, list[str]]:
    """Module of `package` -> the names it imports that are neither inside `package` nor the standard library."""
    found = {}
    for module, path in modules.items():
        if _inside(module, (package,)):
            names = {n for n in imported_names(module, path, modules)
                     if not _inside(n, (package,)) and n.split(".")[0] not in sys.stdlib_module_names}
            if names:
                found[module] = sorted(names)
    return found


def module_level_imports(path: str) -> set[str]:
    """Top-level names imported outside any function (what importing the module runs)."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    found, todo = set(), list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module.split(".")[0])
        todo.extend(ast.iter_child_nodes(node))
    return found


def test_job_imports_only_itself_and_the_standard_library():
    modules = project_modules()
    assert {"cmn_vfx.job.spec", "cmn_vfx.job.frames", "cmn_vfx.job.errors"} <= set(modules)
    assert outside_names(JOB, modules) == OPTIONAL_IN_JOB
    for module, names in OPTIONAL_IN_JOB.items():
        assert not module_level_imports(modules[module]) & set(names), f"{module} imports {names} at the top"


def test_the_job_check_sees_an_import_of_cmn_vfx_and_a_top_level_yaml(tmp_path):
    (tmp_path / "cmn_vfx" / "job").mkdir(parents=True)
    (tmp_path / "cmn_vfx" / "__init__.py").write_text("")
    (tmp_path / "cmn_vfx" / "errors.py").write_text("")
    (tmp_path / "cmn_vfx" / "job" / "__init__.py").write_text("")
    (tmp_path / "cmn_vfx" / "job" / "a.py").write_text("import os\nfrom . import b\ndef f():\n    from cmn_vfx import errors\n")
    (tmp_path / "cmn_vfx" / "job" / "b.py").write_text("import re\nimport yaml\n")
    modules = project_modules(str(tmp_path))
    assert outside_names(JOB, modules) == {"cmn_vfx.job.a": ["cmn_vfx.errors"], "cmn_vfx.job.b": ["yaml"]}
    assert module_level_imports(modules["cmn_vfx.job.b"]) == {"re", "yaml"}


def test_prior_imports_nothing_of_the_engine():
    graph = import_graph()
    assert "cmn_vfx.prior.follow" in graph
    assert upward(graph, "cmn_vfx.prior", forbidden=ABOVE_PRIOR) == {}


def test_model_imports_no_engine_cli_prior_or_commands():
    graph = import_graph()
    assert "cmn_vfx.model.cmn" in graph
    assert upward(graph, "cmn_vfx.model", forbidden=ABOVE_MODEL) == {}


def test_commands_do_not_import_the_cli():
    graph = import_graph()
    assert "cmn_vfx.commands.run" in graph and "cmn_vfx.commands.run" in graph["cmn_vfx.cli"]
    assert upward(graph, "cmn_vfx.commands", forbidden=("cmn_vfx.cli",)) == {}


def test_model_imports_no_runtime_package():
    modules = project_modules()
    found = {}
    for module, path in modules.items():
        if _inside(module, ("cmn_vfx.model",)):
            runtimes = sorted({n.split(".")[0] for n in imported_names(module, path, modules)} & set(RUNTIMES))
            if runtimes:
                found[module] = runtimes
    assert os.path.isdir(os.path.join(REPO, "cmn_vfx", "model"))
    assert found == {}
