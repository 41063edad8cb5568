"""The light layer imports, and a spec validates, with numpy, torch, cv2 and OpenImageIO unimportable."""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAVY = ("numpy", "torch", "cv2", "OpenImageIO", "PyOpenColorIO")
LIGHT = ("cmn_vfx.job", "cmn_vfx.job.names", "cmn_vfx.job.spec", "cmn_vfx.job.layout", "cmn_vfx.job.warmup",
         "cmn_vfx.job.finished", "cmn_vfx.job.subject_grammar", "cmn_vfx.io.sequence", "cmn_vfx.io.atomic", "cmn_vfx_farm.plan",
         "cmn_vfx.engine", "cmn_vfx.engine.shot")

SCRIPT = """
import importlib, json, sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in HEAVY:
            raise ImportError(f'{name} is blocked in this test')
sys.meta_path.insert(0, Blocker())
for name in LIGHT:
    importlib.import_module(name)
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx.job.layout import OutputLayout
from cmn_vfx.job.warmup import warmup_frames
spec = ShotSpec(plate='/p/sh010.####.exr', output='/o', frames='1001-1010', prior='people', subject='main',
                person_layers=True, precision='fp16', refine='none', auto_cuts=False, threads=2, cuts=[1005])
spec.validate()
from cmn_vfx.engine import Shot  # the package's lazy names: shot only
from cmn_vfx.io.sequence import Sequence
assert Shot(spec, Sequence('/p', 'sh010.', '.exr', 4, tuple(range(1001, 1011))), '/o', 'sh010').frames[-1] == 1010
print(json.dumps({'spec': spec.to_dict()['precision'], 'alpha': OutputLayout('/o', 'sh010', 3).alpha_path(-7),
                  'warmup': list(warmup_frames(1009, 8, 1001, [1005])),
                  'heavy': sorted(m for m in sys.modules if m.split('.')[0] in HEAVY)}))
"""


def test_light_layer_without_numpy_or_torch():
    code = f"HEAVY = {HEAVY!r}\nLIGHT = {LIGHT!r}\n" + SCRIPT
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env=dict(os.environ, PYTHONPATH=REPO))
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got == {"spec": "fp16", "alpha": "/o/alpha/sh010.-007.exr", "warmup": [1005, 1006, 1007, 1008],
                   "heavy": []}


def test_the_blocker_blocks():
    """The same script fails when a light module starts importing torch (here: the engine's loop)."""
    code = f"HEAVY = {HEAVY!r}\nLIGHT = {LIGHT + ('cmn_vfx.engine.matte',)!r}\n" + SCRIPT
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env=dict(os.environ, PYTHONPATH=REPO))
    assert out.returncode != 0 and "is blocked in this test" in out.stderr
