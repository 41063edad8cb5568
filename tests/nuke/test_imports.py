"""Nuke's Python has no torch, numpy, PyYAML or cmn_vfx: the plugin must import without them."""
import json
import subprocess
import sys

from nuke_paths import PLUGIN_DIR, REPO

HEAVY = ("torch", "numpy", "yaml", "cmn_vfx")
CHECK = "import json, sys; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy})))"


def imported_after(code, path):
    script = f"import sys; sys.path.insert(0, {path!r}); {code}; " + CHECK.format(heavy=set(HEAVY))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""}, cwd=PLUGIN_DIR)
    return json.loads(out.stdout)


def test_package_import_is_light():
    code = ("import nuke_plugin, cmn_vfx_nuke.cmn_nuke.readnode, cmn_vfx_nuke.cmn_nuke.submit, cmn_vfx_nuke.cmn_nuke.pick, "
            "cmn_vfx_nuke.cmn_nuke.nodes, cmn_vfx_nuke.cmn_nuke.panel, cmn_vfx_nuke.cmn_nuke.vendor.job.spec, "
            "cmn_vfx_nuke.cmn_nuke.vendor.job.finished, cmn_vfx_nuke.cmn_nuke.vendor.job.warmup")
    assert imported_after(code, REPO) == []


def test_nuke_path_import_is_light():
    assert imported_after("import cmn_nuke.nodes, cmn_nuke.panel, cmn_nuke.pick", PLUGIN_DIR) == []
