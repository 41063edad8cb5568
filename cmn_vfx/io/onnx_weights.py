"""An exported .onnx file's weights and its metadata map, read without the onnx package (the torch-free install
has none).

    digest, nonfinite = weights_digest("cmn_vfx/models/default.onnx")

The digest (sha256 over every initializer's name, type and bytes, in file order) is recorded in the file's
metadata at export (cmn_vfx.model.onnx_export) and checked before a run (cmn_vfx.engine.runtime): the
checkpoint's sha256 in the metadata says which model the file claims to be, this says its weights are
still the ones exported. `nonfinite` counts NaN/Inf float weights (a diverged or damaged export).

ONNX is protobuf: ModelProto.graph (field 7) holds GraphProto.initializer (field 5), TensorProtos with
data_type (2), name (8) and raw_data (9) (what torch.onnx.export writes) or float_data (4).
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Iterator

import numpy as np

from cmn_vfx.errors import BadInputError

FLOATS = {1: np.float32, 10: np.float16, 11: np.float64}      # TensorProto.DataType -> numpy


class UnreadableExport(BadInputError):
    """An .onnx file a runtime could not read (another runtime may read it)."""


def weights_digest(path: str) -> tuple[str, int]:
    """(sha256 hex of the initializers, how many float weights are NaN or Inf); UnreadableExport for a file
    that is not ONNX protobuf. Cached per file identity (a resident farm server opens it for every task)."""
    stat = os.stat(path)
    return _digest(os.path.realpath(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _digest(path: str, mtime_ns: int, size: int) -> tuple[str, int]:  # noqa: ARG001 - the cache key
    with open(path, "rb") as fh:
        data = memoryview(fh.read())
    sha, nonfinite = hashlib.sha256(), 0
    try:
        for graph in (v for f, w, v in _fields(data) if f == 7 and w == 2):
            for tensor in (v for f, w, v in _fields(graph) if f == 5 and w == 2):
                fields = {f: v for f, w, v in _fields(tensor) if f in (2, 8, 9)}
                floats = b"".join(bytes(v) for f, w, v in _fields(tensor) if f == 4)
                dtype, blob = int(fields.get(2, 0)), bytes(fields.get(9, b"")) or floats
                sha.update(bytes(fields.get(8, b"")) + b"\0" + str(dtype).encode() + b"\0" + blob)
                if dtype in FLOATS and blob:
                    kind = FLOATS[dtype] if 9 in fields else np.float32        # float_data is float32
                    nonfinite += int(np.count_nonzero(~np.isfinite(np.frombuffer(blob, kind))))
    except (IndexError, ValueError) as exc:
        raise UnreadableExport(f"{path}: not a readable ONNX model ({exc}); export it again with cmn-matte "
                               "export-onnx") from None
    return sha.hexdigest(), nonfinite


def read_metadata(path: str) -> dict[str, str]:
    """The file's metadata map (ModelProto.metadata_props, field 14: key 1, value 2), as a runtime's session reads it;
    UnreadableExport for a file that is not ONNX protobuf."""
    with open(path, "rb") as fh:
        data = memoryview(fh.read())
    try:
        entries = [{f: bytes(v).decode() for f, w, v in _fields(e) if w == 2} for f, w, e in _fields(data)
                   if f == 14 and w == 2]
    except (IndexError, ValueError) as exc:
        raise UnreadableExport(f"{path}: not a readable ONNX model ({exc}); export it again with cmn-matte "
                               "export-onnx") from None
    return {e.get(1, ""): e.get(2, "") for e in entries}


def _fields(buf: memoryview) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value) of one protobuf message; value an int (varint) or a memoryview."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, i = buf[i:i + width], i + width
        elif wire == 2:
            length, i = _varint(buf, i)
            if i + length > n:
                raise ValueError("truncated")
            value, i = buf[i:i + length], i + length
        else:
            raise ValueError(f"protobuf wire type {wire}")
        yield field, wire, value


def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7
