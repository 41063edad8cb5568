"""Typed configs from YAML: the one loader every config dataclass uses (the shot spec, the model's,
training's).

    data = load_yaml_mapping("sh010.shot.yaml", "shot spec")    # a mapping, every key once
    spec = dataclass_from_dict(ShotSpec, data, "shot spec")     # unknown keys refused, with the known ones

PyYAML is imported when a file is read or written, never at import: Nuke's Python has none, and
its copy of the job package imports this module all the same. Without it, reading a file is a
BadInputError that says so.
"""
from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from .errors import BadInputError

T = TypeVar("T")


def require_yaml(doing: str):
    """The `yaml` module (PyYAML); BadInputError naming what needed it when this Python has none."""
    try:
        import yaml
    except ImportError:
        raise BadInputError(f"{doing} needs PyYAML, which this Python lacks; install it (pip install PyYAML) "
                            "or run this where cmn-vfx is installed") from None
    return yaml


def _unique_keys_loader(yaml):
    """yaml.SafeLoader that refuses a key given twice in one mapping (SafeLoader keeps the last silently)."""

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
    yaml = require_yaml(f"reading {what} {path}")
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_unique_keys_loader(yaml)) or {}
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
