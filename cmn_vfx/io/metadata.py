"""Header metadata <-> plain Python values, so a plate's attributes survive a rewrite.

Read: every attribute of an OIIO ImageSpec becomes name -> str | int | float | tuple.
Write: the OIIO type is recovered from well-known names (timecode, matrices,
frame rate) or from the value's shape. Attributes that describe the file layout
(compression, chunking, bit depth, other formats' private keys) are not copied:
the writer decides those.
"""
from __future__ import annotations

from typing import Any, Mapping

import OpenImageIO as oiio

_KNOWN_TYPES = {
    "smpte:TimeCode": oiio.TypeTimeCode,
    "smpte:KeyCode": oiio.TypeKeyCode,
    "FramesPerSecond": oiio.TypeRational,
    "worldToCamera": oiio.TypeMatrix44,
    "worldToNDC": oiio.TypeMatrix44,
    "worldToScreen": oiio.TypeMatrix44,
    "screenWindowCenter": oiio.TypeFloat2,
    "chromaticities": oiio.TypeDesc("float[8]"),
}
# Set by the writer, or meaningless in another file/format.
_NOT_COPIED_PREFIXES = ("dpx:", "tiff:", "png:", "jpeg:", "cineon:", "openexr:chunk", "openexr:version",
                        "oiio:", "exr:", "ICCProfile")
_NOT_COPIED = {"compression", "planarconfig", "Orientation", "DateTime", "Software",
               "openexr:lineOrder", "tiff:RowsPerStrip", "openexr:roundingmode"}
_KEPT_OIIO = {"oiio:ColorSpace"}


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    return value


def spec_metadata(spec: "oiio.ImageSpec") -> dict[str, object]:
    """All header attributes of `spec` as plain values (tuples for arrays)."""
    return {p.name: _plain(p.value) for p in spec.extra_attribs}


def _copied(name: str) -> bool:
    if name in _KEPT_OIIO:
        return True
    return name not in _NOT_COPIED and not name.startswith(_NOT_COPIED_PREFIXES)


def _type_of(name: str, value: Any) -> "oiio.TypeDesc | None":
    if name in _KNOWN_TYPES:
        return _KNOWN_TYPES[name]
    if isinstance(value, bool):
        return oiio.TypeInt
    if isinstance(value, tuple) and value:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return oiio.TypeDesc(f"int[{len(value)}]")
        if all(isinstance(v, (int, float)) for v in value):
            return {9: oiio.TypeMatrix33, 16: oiio.TypeMatrix44}.get(len(value), oiio.TypeDesc(f"float[{len(value)}]"))
        return None
    return None


def apply_metadata(spec: "oiio.ImageSpec", metadata: Mapping[str, object]) -> list[str]:
    """Set copyable attributes on `spec`; returns the names skipped because their value has no header type."""
    skipped = []
    for name, value in metadata.items():
        if not _copied(name) or value is None:
            continue
        typedesc = _type_of(name, value)
        if typedesc is not None:
            spec.attribute(name, typedesc, value)
        elif isinstance(value, (str, int, float)):
            spec.attribute(name, int(value) if isinstance(value, bool) else value)
        else:
            skipped.append(name)
    return skipped
