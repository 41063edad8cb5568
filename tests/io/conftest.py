"""Fixtures for the io tests; helpers live in io_plates.py."""
from __future__ import annotations

import pytest

from io_plates import make_plate


@pytest.fixture
def plate(tmp_path):
    """sh010.####.exr, frames 1001-1002 and 1004 (hole at 1003), overscan data window."""
    return make_plate(tmp_path / "plate", [1001, 1002, 1004])
