"""Typed configs from YAML: the one loader every config dataclass uses.

No numpy/torch: ShotSpec (used inside Nuke and by the farm submitter) relies on it.
"""
from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from cmn_vfx.errors import BadInputError

T = TypeVar("T")


def load_yaml_mapping(path: str, what: str) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; BadInputError names the file and the fix."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except FileNotFoundError:
        raise BadInputError(f"{what} {path} does not exist; check the path") from None
    except OSError as exc:
        raise BadInputError(f"{what} {path}: cannot read it ({exc.strerror}); check the path") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "parse error"
        raise BadInputError(f"{what} {path} is not valid YAML ({first}); fix the file") from None
    if not isinstance(data, dict):
        raise BadInputError(f"{what} {path}: expected a mapping of settings, got {type(data).__name__}")
    return data


def dataclass_from_dict(cls: type[T], data: dict[str, Any], what: str) -> T:
    """Build a config dataclass, refusing unknown keys with the list of known ones."""
    if not isinstance(data, dict):
        raise BadInputError(f"{what}: expected a mapping of settings, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise BadInputError(f"{what}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise BadInputError(f"{what}: {exc}") from None
