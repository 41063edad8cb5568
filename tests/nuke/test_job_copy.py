"""Nuke's copy of the job package (nuke_plugin/cmn_nuke/vendor/job/) is cmn_vfx/job, byte for byte, and
works where Nuke runs it: no cmn_vfx, no PyYAML, no numpy.

    python tools/copy_job_to_nuke.py      # refresh the copy after any change in cmn_vfx/job
"""
import json
import os
import subprocess
import sys

from nuke_paths import PLUGIN_DIR, REPO

SOURCE = os.path.join(REPO, "cmn_vfx", "job")
COPY = os.path.join(PLUGIN_DIR, "cmn_nuke", "vendor", "job")


def python_files(folder):
    found = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as fh:
                found[name] = fh.read()
    return found


def test_the_copy_is_the_job_package_byte_for_byte():
    source, copy = python_files(SOURCE), python_files(COPY)
    assert "spec.py" in source and "frames.py" in source
    assert sorted(copy) == sorted(source), "run: python tools/copy_job_to_nuke.py"
    differ = [name for name in source if copy[name] != source[name]]
    assert differ == [], f"{differ} differ; run: python tools/copy_job_to_nuke.py"


NUKE = """
import json, sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('cmn_vfx', 'yaml', 'numpy', 'torch', 'OpenImageIO'):
            raise ImportError(f'{name} is not in Nuke')
sys.meta_path.insert(0, Blocker())
sys.path.insert(0, PLUGIN_DIR)
from cmn_nuke.vendor.job.errors import BadInputError
from cmn_nuke.vendor.job.layout import OutputLayout
from cmn_nuke.vendor.job.spec import ShotSpec
spec = ShotSpec(plate='/p/sh010.####.exr', output='/o', frames='1001-1100x2', subject='main', person_layers=True)
try:
    ShotSpec.from_yaml(SPEC)
except BadInputError as exc:
    no_yaml = str(exc)
print(json.dumps({'valid': spec.validate() is spec, 'alpha': OutputLayout('/o', 'sh010', 3).alpha_path(-7),
                  'no_yaml': no_yaml}))
"""


def test_the_copy_runs_without_cmn_vfx_or_pyyaml(tmp_path):
    spec = tmp_path / "sh010.shot.yaml"
    spec.write_text("plate: /p/sh010.####.exr\noutput: /o\n")
    code = f"PLUGIN_DIR = {PLUGIN_DIR!r}\nSPEC = {str(spec)!r}\n" + NUKE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(tmp_path), env={"PATH": ""})
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["valid"] and got["alpha"] == "/o/alpha/sh010.-007.exr"
    assert got["no_yaml"].startswith(f"reading shot spec {spec} needs PyYAML, which this Python lacks"), got
