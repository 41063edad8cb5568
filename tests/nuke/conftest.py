"""Fixtures for the Nuke plugin tests: a `nuke` double in sys.modules, a plate on disk."""
import sys

import pytest

import nuke_double



@pytest.fixture
def fake_nuke(monkeypatch):
    module = nuke_double.make_module()
    monkeypatch.setitem(sys.modules, "nuke", module)
    return module


@pytest.fixture
def plate(tmp_path):
    """Empty stand-in files /shot/plate/sh010.1001..1005.exr (the plugin never reads pixels)."""
    folder = tmp_path / "sh010" / "plate"
    folder.mkdir(parents=True)
    for frame in range(1001, 1006):
        (folder / f"sh010.{frame}.exr").write_bytes(b"")
    return str(folder / "sh010.####.exr")
