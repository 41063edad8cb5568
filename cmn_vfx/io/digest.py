"""sha256 of a file, read in 1 MiB blocks (a model's identity in cmn:settings and ONNX exports)."""
from __future__ import annotations

import hashlib


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
