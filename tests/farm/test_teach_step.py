"""A spec with `keys:` gives a job whose first step teaches the shot's model and whose Matte step runs it
(template, local runner, Deadline Cloud bundle, Deadline 10, OpenCue); submit checks the keys' headers only."""
from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml
from farm_helpers import cmn_farm, make_plate, write_spec

from cmn_vfx.io.image import Box, image_info, write_exr
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.backends.deadline10 import read_info, write_job_files
from cmn_vfx_farm.backends.deadline_cloud import validate_bundle, write_bundle
from cmn_vfx_farm.backends.opencue import build_outline, serialize
from cmn_vfx_farm.plan import plan_shot
from cmn_vfx_farm.template import TEMPLATE_PATH, job_template, template_text
from tests.commands.test_teach import make_shot, truth, write_keys

FRAMES = range(1001, 1007)


def keyed_plan(tmp_path, subject: str | None = None):
    plate = make_plate(str(tmp_path / "plate"), frames=range(1001, 1005))
    box = Box(0, 0, 48, 32)
    os.makedirs(tmp_path / "keys")
    write_exr(str(tmp_path / "keys" / "sh010.1002.exr"), np.ones((32, 48, 1), np.float32), ("A",), box, box)
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"), frames="1001-1004",
                      chunk_size=2, keys="keys/sh010.####.exr", subject=subject)
    return plan_shot(ShotSpec.from_yaml(spec))


def dependencies(steps) -> list[tuple[str, list[str]]]:
    return [(s["name"], [d["dependsOn"] for d in s.get("dependencies", [])]) for s in steps]


def test_the_template_with_keys_teaches_first_and_the_matte_step_depends_on_it():
    assert dependencies(job_template(subject=False, teach=True)["steps"]) == [("Teach", []), ("Matte", ["Teach"])]
    assert dependencies(job_template(subject=True, teach=True)["steps"]) == [     # the subject on the taught model
        ("Teach", []), ("Subject", ["Teach"]), ("Matte", ["Teach", "Subject"])]
    assert dependencies(job_template(subject=True)["steps"]) == [("Subject", []), ("Matte", ["Subject"])]
    (teach,) = [s for s in job_template(teach=True)["steps"] if s["name"] == "Teach"]
    args = teach["script"]["actions"]["onRun"]["args"]
    assert args[0] == "teach" and args[args.index("--keys") + 1] == "{{Param.Keys}}"
    assert "Keys" not in {p["name"] for p in job_template()["parameterDefinitions"]}


def test_every_backend_puts_the_teach_step_before_the_matte_step(tmp_path):
    plan = keyed_plan(tmp_path, subject="main")
    spec_path = str(tmp_path / "job" / "shot.yaml")
    os.makedirs(os.path.dirname(spec_path))
    plan.spec.to_yaml(spec_path)
    # Deadline Cloud: the whole template file; openjd.model builds Teach, Subject, Matte from the bundle
    bundle = write_bundle(plan, str(tmp_path / "bundle"), spec_path, None)
    with open(TEMPLATE_PATH, encoding="utf-8") as fh:
        assert open(os.path.join(bundle, "template.yaml"), encoding="utf-8").read() == fh.read()
    job = validate_bundle(bundle)
    assert [s.name for s in job.steps] == ["Teach", "Subject", "Matte"]
    assert [d.dependsOn for d in job.steps[1].dependencies] == ["Teach"]
    assert sorted(d.dependsOn for d in job.steps[2].dependencies) == ["Subject", "Teach"]
    values = yaml.safe_load(open(os.path.join(bundle, "parameter_values.yaml")))["parameterValues"]
    assert {"name": "Keys", "value": str(tmp_path / "keys" / "sh010.####.exr")} in values
    refs = yaml.safe_load(open(os.path.join(bundle, "asset_references.yaml")))["assetReferences"]
    assert [f for f in refs["inputs"]["filenames"] if "/keys/" in f] == [str(tmp_path / "keys" / "sh010.1002.exr")]
    # Deadline 10: teach, subject, matte chained; the matte job runs the spec with the taught model
    jobs = write_job_files(plan, str(tmp_path / "d10"), spec_path, "cmn-matte")
    assert [read_info(info)["Name"].split()[1] for info, _ in jobs] == ["teach", "subject", "matte"]
    assert read_info(jobs[0][1])["Arguments"].startswith(f"teach --spec <QUOTE>{spec_path}<QUOTE>")
    matte_args = read_info(jobs[2][1])["Arguments"]
    matte_spec = matte_args.split("<QUOTE>")[1]
    assert matte_spec != spec_path
    assert ShotSpec.from_yaml(matte_spec).model == str(tmp_path / "out" / ".cmn" / "taught" / "sh010.pt")
    assert read_info(jobs[1][1])["Arguments"].startswith(f"run --spec <QUOTE>{matte_spec}<QUOTE> --resolve-subject")
    # OpenCue: the subject layer depends on the teach layer, the matte layer on both
    _, xml = serialize(build_outline(plan, spec_path, "cmn-matte"), str(tmp_path / "cue"))
    root = ET.fromstring(xml)
    assert [layer.get("name") for layer in root.iter("layer")] == ["teach", "subject", "matte"]
    depends = sorted((d.findtext("deplayer"), d.findtext("onlayer")) for d in root.iter("depend"))
    assert depends == [("matte", "subject"), ("matte", "teach"), ("subject", "teach")]
    commands = {layer.get("name"): layer.findtext("cmd") for layer in root.iter("layer")}
    assert "cmn-farm teach --spec" in commands["teach"]
    assert matte_spec in commands["matte"] and matte_spec in commands["subject"]


def test_submit_of_a_keyed_shot_reads_only_headers(tmp_path, monkeypatch):
    """No network, prior or teach at submit, and no pixel decoded (the keys' NaN/empty checks are the worker's)."""
    import sys

    import cmn_vfx.io.image as image
    from cmn_vfx_farm import cli
    from test_subject_step import NEVER
    keyed_plan(tmp_path)
    for name in NEVER + ("cmn_vfx.teach.fit", "cmn_vfx.teach.shot"):
        monkeypatch.setitem(sys.modules, name, None)
    import cmn_vfx.teach.keys as keys    # binds image_info at import: patch it there too, whatever ran before
    headers = []
    info = image.image_info
    counted = lambda path: headers.append(path) or info(path)  # noqa: E731
    monkeypatch.setattr(image, "image_info", counted)
    monkeypatch.setattr(keys, "image_info", counted)
    monkeypatch.setattr(image, "_read", lambda *a, **k: pytest.fail("submit decoded pixels"))
    monkeypatch.setattr(keys, "read_image", lambda *a, **k: pytest.fail("submit decoded a key"))
    assert cli.main(["submit", str(tmp_path / "shot.yaml"), "--dry-run", "--json"]) == 0
    assert str(tmp_path / "keys" / "sh010.1002.exr") in headers
    assert not os.path.exists(tmp_path / "out" / ".cmn")            # nothing taught here


def _rgb_key(folder: str) -> str:
    """Keys without an A channel: three channels, so none is the matte."""
    os.makedirs(folder, exist_ok=True)
    box = Box(0, 0, 48, 32)
    write_exr(os.path.join(folder, "sh010.1002.exr"), np.zeros((32, 48, 3), np.float32), ("R", "G", "B"), box, box)
    return os.path.join(folder, "sh010.####.exr")


def _small_key(folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    box = Box(0, 0, 24, 16)
    write_exr(os.path.join(folder, "sh010.1002.exr"), np.ones((16, 24, 1), np.float32), ("A",), box, box)
    return os.path.join(folder, "sh010.####.exr")


def _outside_key(folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    box = Box(0, 0, 48, 32)
    write_exr(os.path.join(folder, "sh010.1050.exr"), np.ones((32, 48, 1), np.float32), ("A",), box, box)
    return os.path.join(folder, "sh010.####.exr")


@pytest.mark.parametrize("make_keys,says", [
    (lambda d: os.path.join(d, "sh010.1002.exr"), "is not a sequence pattern of EXRs"),     # the form (problems())
    (lambda d: os.path.join(d, "none.####.exr"), "no key found"),
    (_rgb_key, "no A channel and 3 channels"),
    (_small_key, "the key is 24x16"),
    (_outside_key, "key frame 1050 is outside the frames taught"),
])
def test_bad_keys_are_refused_by_submit_with_one_line_and_nothing_written(tmp_path, plate, make_keys, says):
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"), frames="1001-1012",
                      keys=make_keys(str(tmp_path / "keys")))
    got = cmn_farm("submit", spec, "--dry-run", timeout=120)
    assert got.returncode == 2, got.stderr
    (line,) = got.stderr.strip().splitlines()
    assert says in line
    assert not os.path.exists(tmp_path / "out")


def _parsed_teach(argv: list[str]):
    """The ShotSpec `cmn-matte teach` builds from argv (cmn_vfx.commands.teach.run_spec)."""
    import argparse

    from cmn_vfx.commands import teach
    parser = argparse.ArgumentParser()
    teach.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv[1:])
    return teach.run_spec(args, args.plate)


def test_the_teach_step_teaches_under_the_specs_run_settings_and_hashes_them(taught_shot):
    from cmn_vfx.engine.taught import CORRECTION_INPUTS
    from cmn_vfx_farm.worker.teach import teach_argv, teach_key
    spec = ShotSpec.from_yaml(taught_shot["spec"])
    other = ShotSpec.from_dict(dict(spec.to_dict(), refine="none", temporal=0.25, subject="-3,4@1001", prior="people",
                                    cuts=[1003, 1005], auto_cuts=False, warmup=2, downsample=0.9))
    fields = lambda s: {k: str(getattr(s, k)) for k in CORRECTION_INPUTS}  # noqa: E731 - the flags' text is a str
    for each in (spec, other):
        assert fields(_parsed_teach(teach_argv(each, "cmn-matte", "m.pt"))) == fields(each)
    keys = {teach_key(spec)} | {teach_key(ShotSpec.from_dict(dict(spec.to_dict(), **{k: getattr(other, k)})))
                                for k in CORRECTION_INPUTS}
    assert len(keys) == len(CORRECTION_INPUTS) + 1          # each setting taught again when it changes


# -- the local runner end to end: teach, then matte with the taught model; resubmits ----------------------------

@pytest.fixture(scope="module")
def taught_shot(tmp_path_factory):
    shot = make_shot(tmp_path_factory.mktemp("taught_shot"), FRAMES, (1001, 1004))
    root = shot["root"]
    spec = write_spec(str(root / "shot.yaml"), plate=shot["plate"], output=str(root / "out"), model=shot["base"],
                      chunk_size=10, keys="keys/key.####.exr", teach_minutes=0.02, runtime="onnx")
    return dict(shot, spec=spec, out=root / "out")


def _sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _headers(out) -> dict[int, tuple[str, int]]:
    """{frame: (cmn:checkpoint_sha256, mtime_ns)} of the alpha frames."""
    found = {}
    for f in FRAMES:
        path = os.path.join(out, "alpha", f"sh010.{f}.exr")
        found[f] = (image_info(path)["metadata"]["cmn:checkpoint_sha256"], os.stat(path).st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def first_job(taught_shot):
    """The first submit of the keyed shot (teach ~30 s on this machine, then one chunk): its frames' headers."""
    got = cmn_farm("submit", taught_shot["spec"], timeout=300)
    assert got.returncode == 0, got.stderr[-3000:]
    assert "teach: teaching the shot's model" in got.stderr
    return _headers(taught_shot["out"])


def test_a_local_job_teaches_then_mattes_with_the_taught_model(taught_shot, first_job):
    taught = taught_shot["out"] / ".cmn" / "taught" / "sh010.pt"
    assert os.path.isfile(str(taught)[:-3] + ".onnx")
    assert {sha for sha, _ in first_job.values()} == {_sha256(taught)} != {_sha256(taught_shot["base"])}


def test_a_resubmit_with_the_same_keys_teaches_nothing_and_skips_every_frame(taught_shot, first_job):
    out = taught_shot["out"]
    got = cmn_farm("submit", taught_shot["spec"], timeout=300)
    assert got.returncode == 0, got.stderr[-3000:]
    job = sorted(os.listdir(out / "jobs"))[-1]
    assert "taught from these keys already" in open(out / "jobs" / job / "teach-0.log", encoding="utf-8").read()
    assert _headers(out) == first_job                       # same sha256, files untouched


def test_a_resubmit_with_other_keys_teaches_again_and_redoes_every_frame(taught_shot, first_job):
    write_keys(str(taught_shot["root"] / "keys"), frames=(1006,))        # one more keyframe
    got = cmn_farm("submit", taught_shot["spec"], timeout=300)
    assert got.returncode == 0, got.stderr[-3000:]
    again = _headers(taught_shot["out"])
    taught = taught_shot["out"] / ".cmn" / "taught" / "sh010.pt"
    assert {sha for sha, _ in again.values()} == {_sha256(taught)} != {first_job[1001][0]}
    assert all(again[f][1] != first_job[f][1] for f in FRAMES)


def test_a_key_with_nan_fails_the_teach_step_with_its_line_and_no_frame_is_written(taught_shot, tmp_path):
    """NaN needs the pixels: submit accepts the headers; the worker's teach refuses it with cmn-matte's line."""
    keys = write_keys(str(tmp_path / "keys"), frames=(1003,), pixels=lambda f: np.where(
        truth(f) > 0.5, np.nan, truth(f))[..., None])
    spec = write_spec(str(tmp_path / "shot.yaml"), plate=str(taught_shot["root"] / "plate" / "sh010.####.exr"),
                      output=str(tmp_path / "out"), model=taught_shot["base"], keys=keys, teach_minutes=0.02)
    got = cmn_farm("submit", spec, timeout=300)
    assert got.returncode == 2
    line = got.stderr.strip().splitlines()[-1]             # after the runner's progress lines
    assert line.startswith("cmn-farm: error: ") and "NaN/Inf values in channel A" in line and "teach step" in line
    assert not os.path.exists(tmp_path / "out" / "alpha")


def test_a_keyed_job_with_a_subject_resolves_it_on_the_taught_model(taught_shot, tmp_path):
    """Teach -> Subject -> Matte: the subject pass opens the model the chunks run (here `runtime: onnx`, which the
    base, without an ONNX export, cannot give; before the Subject step depended on Teach this job failed there)."""
    spec = ShotSpec.from_yaml(taught_shot["spec"])
    spec.output, spec.subject = str(tmp_path / "out"), "main"
    spec.to_yaml(str(tmp_path / "shot.yaml"))
    got = cmn_farm("submit", str(tmp_path / "shot.yaml"), timeout=300)
    assert got.returncode == 0, got.stderr[-3000:]
    assert os.path.isfile(tmp_path / "out" / ".cmn" / "sh010.subject.json")
    taught = _sha256(tmp_path / "out" / ".cmn" / "taught" / "sh010.pt")
    assert {sha for sha, _ in _headers(tmp_path / "out").values()} == {taught}
