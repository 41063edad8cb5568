"""Typed configs from YAML: the one loader every config dataclass uses.

No numpy/torch: ShotSpec (used inside Nuke and by the farm submitter) relies on it.
"""
from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from cmn_vfx.errors import BadInputError

T = TypeVar("T")


def _unique_keys_loader():
    """yaml.SafeLoader that refuses a key given twice in one mapping (SafeLoader keeps the last silently)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen: dict = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} is given twice (lines {seen[key] + 1} and {key_node.start_mark.line + 1}); "
                        "keep one", key_node.start_mark)
                seen[key] = key_node.start_mark.line
            return super().construct_mapping(node, deep)
    return UniqueKeyLoader


def load_yaml_mapping(path: str, what: str) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping (safely, every key once); BadInputError names the file and the fix."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_unique_keys_loader()) or {}
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
