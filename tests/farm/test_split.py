"""farm/ is split by where code runs: the submitting side (plan, template, preflight, status, backends) and the
worker side (farm/worker/: path mapping, subject and teach steps, resident session). Each imports, and its
`cmn-farm` commands run, with the other side unimportable (sys.modules poisoned in a fresh interpreter);
farm/taught.py (where a taught model goes) is shared."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from farm_helpers import write_spec

SUBMIT = ("cmn_vfx_farm.plan", "cmn_vfx_farm.template", "cmn_vfx_farm.preflight", "cmn_vfx_farm.status",
          "cmn_vfx_farm.backends", "cmn_vfx_farm.backends.base", "cmn_vfx_farm.backends.local",
          "cmn_vfx_farm.backends.deadline_cloud", "cmn_vfx_farm.backends.deadline10", "cmn_vfx_farm.backends.opencue")
WORKER = ("cmn_vfx_farm.worker.pathmap", "cmn_vfx_farm.worker.subject", "cmn_vfx_farm.worker.session",
          "cmn_vfx_farm.worker.teach")

SCRIPT = """
import importlib, json, sys
for name in BLOCKED:
    sys.modules[name] = None              # `import name` now raises ImportError
for name in IMPORTS:
    importlib.import_module(name)
from cmn_vfx_farm.cli import main
codes = [main(argv) for argv in COMMANDS]
print(json.dumps({"codes": codes}))
"""


def run_blocked(blocked, imports, commands) -> dict:
    code = f"BLOCKED = {blocked!r}\nIMPORTS = {imports!r}\nCOMMANDS = {commands!r}\n" + SCRIPT
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr[-3000:]
    return json.loads(got.stdout.strip().splitlines()[-1])


def test_the_submitting_side_runs_without_the_worker_side(spec_path):
    got = run_blocked(WORKER, SUBMIT, [["plan", spec_path, "--json"], ["submit", spec_path, "--dry-run", "--json"]])
    assert got["codes"] == [0, 0]


def test_the_worker_side_runs_without_the_submitting_side(tmp_path, spec_path):
    """A worker's task and subject commands (here with echo as cmn-matte) and the path mapping need no backend."""
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"version": "pathmapping-1.0", "path_mapping_rules": [
        {"source_path_format": "POSIX", "source_path": str(tmp_path), "destination_path": "/elsewhere"}]}))
    mapped = ["--spec", spec_path, "--path-mapping-rules", str(rules)]
    got = run_blocked(SUBMIT, WORKER + ("cmn_vfx_farm.worker", "cmn_vfx_farm.worker.commands"), [
        ["session", "task", "--socket", str(tmp_path / "s.sock"), "--cmn-matte", "echo", "--frames", "1001-1004",
         *mapped],
        ["subject", "--cmn-matte", "true", "--workdir", str(tmp_path), *mapped]])
    assert got["codes"] == [0, 0]
    from cmn_vfx.job.spec import ShotSpec
    spec = ShotSpec.from_yaml(str(tmp_path / "shot.mapped.yaml"))          # the rules reached the spec's paths
    assert spec.output == "/elsewhere/out" and spec.plate == ShotSpec.from_yaml(spec_path).plate   # plate: elsewhere


def test_blocking_works(spec_path):
    """The control: a poisoned module really is unimportable for what imports it (so the tests above can fail)."""
    code = "import sys\nsys.modules['cmn_vfx_farm.plan'] = None\nimport cmn_vfx_farm.backends.local\n"
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert got.returncode != 0 and "cmn_vfx_farm.plan" in got.stderr
    assert os.path.isfile(spec_path)
