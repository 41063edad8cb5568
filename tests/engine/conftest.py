"""Fixtures for tests/engine; the helpers live in engine_helpers.py (a unique module name)."""
from engine_helpers import checkpoint, exported, plate  # noqa: F401
