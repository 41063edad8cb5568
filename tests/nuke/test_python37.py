"""Everything Nuke imports parses as Python 3.7 (Nuke 13's), the oldest Nuke we support (PySide2, 13-15).

`ast.parse(feature_version=(3, 7))` refuses 3.8+ syntax: assignment expressions, positional-only
parameters, f-string `=`; annotations stay strings under `from __future__ import annotations`, which
every module with PEP 604/585 annotations must have (checked here too)."""
import ast
import os

import pytest

PLUGIN = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "nuke_plugin")
SOURCES = sorted(os.path.join(d, f) for d, _, files in os.walk(PLUGIN) for f in files if f.endswith(".py"))


def test_the_plugin_has_sources():
    assert any(p.endswith(os.path.join("vendor", "job", "spec.py")) for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: os.path.relpath(p, PLUGIN))
def test_parses_as_python_3_7(path):
    source = open(path, encoding="utf-8").read()
    tree = ast.parse(source, filename=path, feature_version=(3, 7))
    new_annotations = "| None" in source or "list[" in source or "dict[" in source or "tuple[" in source
    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
                 for n in tree.body)
    assert future or not new_annotations, f"{path}: PEP 604/585 annotations need from __future__ import annotations on 3.7"
