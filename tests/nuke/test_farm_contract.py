"""The panel's spec through the real farm planner: accepted, and results land where
'CMN Load Results' looks for them (two paths through the code, one answer)."""
import json

import pytest

from cmn_vfx_nuke.cmn_nuke import readnode, submit

farm_cli = pytest.importorskip("cmn_vfx_farm.cli")


def test_farm_plans_the_panels_spec(plate, tmp_path, capsys):
    fields = {"plate": plate, "frames": "1001-1005", "name": "sh010", "colorspace": "auto",
              "output": readnode.default_output(plate), "model": "default", "chunk_size": 2, "warmup": None,
              "downsample": "auto", "backend": "local"}
    spec = submit.spec_dict(fields)
    path = submit.write_spec(spec, submit.spec_file(spec))
    assert farm_cli.main(["plan", path, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    expected = readnode.expected_results(fields["output"], plate, "1001-1005")
    assert {k: plan[k] for k in ("alpha", "fg", "frames")} == expected
    assert [c["frames"] for c in plan["chunks"]] == ["1001-1002", "1003-1004", "1005-1005"]
