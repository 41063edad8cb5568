"""Nuke's copy of the shot contract (nuke_plugin/cmn_nuke/contract.py) is what the generator makes from cmn_vfx.job."""
import os
import sys

from nuke_paths import REPO

sys.path.insert(0, os.path.join(REPO, "tools"))
import gen_nuke_contract  # noqa: E402


def test_the_copy_is_generated_from_the_light_layer():
    with open(gen_nuke_contract.TARGET, encoding="utf-8") as fh:
        assert fh.read() == gen_nuke_contract.generate(), "run: python tools/gen_nuke_contract.py"


def test_the_copy_gives_the_engines_paths():
    from cmn_vfx.job.layout import OutputLayout
    from cmn_vfx_nuke.cmn_nuke import contract, readnode
    for padding, frame in ((4, 1001), (3, -7), (1, 12)):
        assert contract.OutputLayout("/o", "sh010", padding).paths(frame) == OutputLayout("/o", "sh010", padding).paths(frame)
    got = readnode.expected_results("/out", "/plates/sh010.%03d.exr", "1-5")
    assert got["alpha"] == OutputLayout("/out", "sh010", 3).alpha_pattern
