"""The shot spec as this worker sees it: its paths mapped by the session's path-mapping rules.

A job is submitted with the submitter's paths (/mnt/shows/abc/...). A worker that sees the
files under another root (job attachments, a Windows/Linux mix, another mount point) gets
OpenJD path-mapping rules; OpenJD applies them to the PATH job parameters (ShotSpec, Plate,
Model, OutputDir, Keys) and writes them to {{Session.PathMappingRulesFile}} (pathmapping-1.0 JSON;
`{}` when there are none). Here the same rules are applied to every path inside the spec,
then the mapped PATH parameters take their fields, and the result is written into the
session's working directory for cmn-matte to read:

    localise("/w/jobs/j1/shot.yaml", "/w/session/rules.json", "/w/session",
             plate="/w/plate/sh010.####.exr", output="/w/out")  ->  "/w/session/shot.yaml"

Without rules and overrides the spec is used as it is (same path back), so Deadline 10,
OpenCue and a shared file system cost nothing.
"""
from __future__ import annotations

import json
import os

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.spec import ShotSpec

PATH_FIELDS = ("plate", "output", "model", "keys")  # the spec's fields that hold a path (a bundled model name stays)
MAPPED_NAME = "shot.mapped.yaml"


def load_rules(path: str | None) -> list:
    """openjd.sessions.PathMappingRule list from a pathmapping-1.0 file, most specific source first."""
    if not path:
        return []
    from openjd.sessions import PathMappingRule
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as exc:
        raise BadInputError(f"path-mapping rules {path}: cannot be read ({exc})") from None
    rules = [PathMappingRule.from_dict(r) for r in (doc or {}).get("path_mapping_rules", [])]
    return sorted(rules, key=lambda r: -len(str(r.source_path).replace("\\", "/").split("/")))


def map_path(rules: list, path: str) -> str:
    """`path` through the first rule that matches it (unchanged when none does)."""
    for rule in rules:
        matched, mapped = rule.apply(path=path)
        if matched:
            return mapped
    return path


def _is_path(field: str, value: str) -> bool:
    return field != "model" or os.path.isabs(value)


def localise(spec_path: str, rules_file: str | None, workdir: str | None, plate: str | None = None,
             output: str | None = None, model: str | None = None, keys: str | None = None) -> str:
    """The spec file this worker's cmn-matte reads: `spec_path` itself when nothing changes, else a mapped
    copy in `workdir` (the paths inside mapped by the rules, then plate/output/model/keys from the mapped
    PATH parameters where given)."""
    rules = load_rules(rules_file)
    given = {"plate": plate, "output": output, "model": model, "keys": keys}
    if not rules and not any(given.values()):
        return spec_path
    spec = ShotSpec.from_yaml(spec_path)
    for field in PATH_FIELDS:
        value = getattr(spec, field)
        if isinstance(value, str) and _is_path(field, value):
            setattr(spec, field, given[field] or map_path(rules, value))
    if not workdir:
        raise BadInputError("cmn-farm: --workdir is needed to write the mapped shot spec")
    mapped = os.path.join(workdir, MAPPED_NAME)
    spec.to_yaml(mapped)
    return mapped
