"""Submit backends: Deadline Cloud bundle and Deadline 10 files against golden files; missing tools."""
from __future__ import annotations

import os
import shutil

import pytest
import yaml
from farm_helpers import VENV_BIN, make_plate, write_spec

from cmn_vfx.errors import BadInputError, CMNError
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.backends import SubmitOptions, get_backend
from cmn_vfx_farm.backends.deadline10 import write_job_files
from cmn_vfx_farm.backends.deadline_cloud import write_bundle
from cmn_vfx_farm.plan import plan_shot
from cmn_vfx_farm.template import TEMPLATE_PATH

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
ROOT = "/ROOT"


@pytest.fixture
def fixed_plan(tmp_path):
    """A plan under tmp_path; file texts are compared with tmp_path replaced by /ROOT."""
    plate = make_plate(str(tmp_path / "plate"), frames=range(1001, 1005))
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"),
                      frames="1001-1004", chunk_size=2)
    return plan_shot(ShotSpec.from_yaml(spec))


def normalised(path: str, root) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read().replace(str(root), ROOT)


def golden(name: str) -> str:
    with open(os.path.join(GOLDEN, name), encoding="utf-8") as fh:
        return fh.read()


def test_deadline_cloud_bundle_matches_golden(fixed_plan, tmp_path):
    bundle = write_bundle(fixed_plan, str(tmp_path / "bundle"), str(tmp_path / "job" / "shot.yaml"), None)
    assert sorted(os.listdir(bundle)) == ["asset_references.yaml", "parameter_values.yaml", "template.yaml"]
    with open(TEMPLATE_PATH, encoding="utf-8") as fh:
        assert normalised(os.path.join(bundle, "template.yaml"), tmp_path) == fh.read()
    for name in ("parameter_values.yaml", "asset_references.yaml"):
        assert normalised(os.path.join(bundle, name), tmp_path) == golden(f"deadline_cloud_{name}"), name
    refs = yaml.safe_load(golden("deadline_cloud_asset_references.yaml"))["assetReferences"]
    assert len(refs["inputs"]["filenames"]) == 1 + 4      # the spec + the four plate frames


def test_bundle_template_passes_openjd_check(fixed_plan, tmp_path):
    import subprocess
    bundle = write_bundle(fixed_plan, str(tmp_path / "bundle"), str(tmp_path / "shot.yaml"), None)
    got = subprocess.run([os.path.join(VENV_BIN, "openjd"), "check", os.path.join(bundle, "template.yaml")],
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stdout + got.stderr


def test_deadline10_files_match_golden(fixed_plan, tmp_path):
    job, plugin = write_job_files(fixed_plan, str(tmp_path / "d10"), str(tmp_path / "job" / "shot.yaml"),
                                  "/opt/cmn/bin/cmn-matte")
    assert normalised(job, tmp_path) == golden("deadline10_job_info.job")
    assert normalised(plugin, tmp_path) == golden("deadline10_plugin_info.job")


def test_deadline10_refuses_gaps(tmp_path):
    plate = make_plate(str(tmp_path / "plate"), frames=[1001, 1002, 1005, 1006])
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"),
                      frames="1001-1002,1005-1006", missing="error")
    plan = plan_shot(ShotSpec.from_yaml(spec))
    with pytest.raises(BadInputError, match="gaps"):
        write_job_files(plan, str(tmp_path / "d10"), spec, "cmn-matte")


@pytest.mark.parametrize("backend,tool,left", [("deadline-cloud", "deadline", "bundle"),
                                               ("deadline10", "deadlinecommand", "deadline10")])
def test_missing_submitter_leaves_the_files(fixed_plan, backend, tool, left, monkeypatch):
    if shutil.which(tool):
        pytest.skip(f"{tool} is installed here")
    monkeypatch.setenv("PATH", os.path.dirname(shutil.which("true") or "/usr/bin/true"))
    with pytest.raises(CMNError, match=f"{tool}.*(not installed|not on PATH)"):
        get_backend(backend)(fixed_plan, SubmitOptions())
    (job,) = os.listdir(os.path.join(fixed_plan.spec.output, "jobs"))
    folder = os.path.join(fixed_plan.spec.output, "jobs", job)
    assert sorted(os.listdir(folder)) == sorted([left, "shot.yaml"])
    frozen = ShotSpec.from_yaml(os.path.join(folder, "shot.yaml"))
    assert frozen.to_dict() == fixed_plan.spec.to_dict()


def test_opencue_without_pyoutline_writes_nothing(fixed_plan):
    try:
        import outline  # noqa: F401
        pytest.skip("pyoutline is installed here")
    except ImportError:
        pass
    with pytest.raises(CMNError, match="pyoutline"):
        get_backend("opencue")(fixed_plan, SubmitOptions())
    assert not os.path.exists(os.path.join(fixed_plan.spec.output, "jobs"))


def test_opencue_spec_when_installed(fixed_plan):
    pytest.importorskip("outline")
    from cmn_vfx_farm.backends.opencue import build_outline
    job = build_outline(fixed_plan, "/jobs/shot.yaml", "cmn-matte")
    (layer,) = job.get_layers()
    assert layer.get_arg("command")[-1] == "#FRAME_START#-#FRAME_END#"
    assert layer.get_arg("chunk") == 2
