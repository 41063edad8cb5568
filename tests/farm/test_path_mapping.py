"""Path mapping end to end: a Deadline Cloud bundle written under one root runs, with OpenJD's path-mapping
rules, on a machine that sees the files under another root, and writes every frame there."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import yaml
from farm_helpers import VENV_BIN, cmn_farm, make_plate, write_spec

from cmn_vfx.job.spec import ShotSpec

FRAMES = range(1001, 1007)


def rules(source: str, destination: str) -> str:
    return json.dumps({"version": "pathmapping-1.0", "path_mapping_rules": [
        {"source_path_format": "POSIX", "source_path": source, "destination_path": destination}]})


def test_a_bundle_moved_to_another_root_writes_every_frame_there(tmp_path, tiny_checkpoint):
    old, new = str(tmp_path / "submitter" / "show"), str(tmp_path / "worker" / "mnt" / "show")
    plate = make_plate(os.path.join(old, "plate"), frames=FRAMES)
    shutil.copy(tiny_checkpoint, os.path.join(old, "tiny.pt"))
    spec = write_spec(os.path.join(old, "shot.yaml"), plate=plate, output="out", model="tiny.pt", device="cpu",
                      frames="1001-1006", chunk_size=3, warmup=2)
    got = cmn_farm("submit", spec, "--backend", "deadline-cloud", "--dry-run", "--json")
    assert got.returncode == 0, got.stderr
    job = json.loads(got.stdout)["job_id"]

    os.makedirs(os.path.dirname(new))
    os.rename(old, new)                              # the worker sees the same files under another root
    bundle = os.path.join(new, "out", "jobs", job, "bundle")
    with open(os.path.join(bundle, "parameter_values.yaml"), encoding="utf-8") as fh:
        values = {p["name"]: p["value"] for p in yaml.safe_load(fh)["parameterValues"]}
    frozen = ShotSpec.from_yaml(os.path.join(new, "out", "jobs", job, "shot.yaml"))
    assert values["Plate"] == frozen.plate == os.path.join(old, "plate", "sh010.####.exr")   # the submitter's paths
    assert frozen.model == os.path.join(old, "tiny.pt")
    with open(tmp_path / "params.json", "w", encoding="utf-8") as fh:
        json.dump(values, fh)

    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    run = subprocess.run([os.path.join(VENV_BIN, "openjd"), "run", os.path.join(bundle, "template.yaml"),
                          "--job-param", f"file://{tmp_path / 'params.json'}", "--path-mapping-rules", rules(old, new)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout[-3000:]
    for kind in ("alpha", "fg"):
        assert sorted(os.listdir(os.path.join(new, "out", kind))) == [f"sh010.{f}.exr" for f in FRAMES]
    assert not os.path.exists(old)                   # nothing went back to the submitter's root
    assert "resident cmn-matte ready" in run.stdout  # the session's server loaded the mapped model
