"""The resume key (cmn:settings) is derived from the spec's pixel fields: a new one is in it, a route setting
is not, and frames written by code older than the key's version are redone once."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import pytest

from cmn_vfx.engine.resume_key import KEY_VERSION, resume_key
from cmn_vfx.job.layout import SETTINGS
from cmn_vfx.job.spec import PIXELS, ROUTE, ShotSpec
from engine_helpers import FRAMES


@dataclass
class GrainSpec(ShotSpec):
    """A spec with one more setting that changes pixels, as a future field would be added."""

    grain: float = field(default=0.0, metadata=PIXELS)


@dataclass
class RouteSpec(ShotSpec):
    """One more setting that does not change pixels (where or how fast it runs)."""

    queue: str = field(default="a", metadata=ROUTE)


def _key(cls=ShotSpec, **settings) -> dict:
    return resume_key(cls(plate="p.####.exr", output="out", **settings), {})


def test_a_new_pixel_field_changes_the_key_and_a_route_field_does_not():
    assert _key(GrainSpec, grain=0.5)["grain"] == 0.5
    assert _key(GrainSpec, grain=0.0) != _key(GrainSpec, grain=0.5)
    assert _key(RouteSpec, queue="a") == _key(RouteSpec, queue="b") == _key()


def test_every_field_says_whether_it_changes_pixels():
    @dataclass
    class Undeclared(ShotSpec):
        grain: float = 0.0
    with pytest.raises(TypeError, match="grain"):
        Undeclared.pixel_fields()


def test_the_key_holds_the_pixel_fields_the_version_and_the_engines_constants():
    key = _key()
    assert key["key_version"] == KEY_VERSION
    assert set(ShotSpec.pixel_fields()) < set(key)
    assert not {"plate", "output", "frames", "name", "device", "runtime", "threads", "chunk_size"} & set(key)
    assert {"guided_filter", "refine_params", "stabiliser", "cut_threshold"} < set(key)
    with pytest.raises(ValueError, match="threads"):          # a resolution for a field that is not a pixel one
        resume_key(ShotSpec(plate="p", output="o"), {"threads": 4})


def _run(*argv: str) -> dict:
    """`cmn-matte run ARGV --json`: the report."""
    import contextlib
    import io
    from cmn_vfx.cli import matte_main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert matte_main(["run", *argv, "--no-progress", "--json"]) == 0
    return json.loads(out.getvalue())


def test_a_new_pixel_field_reruns_the_engines_frames(plate, checkpoint, tmp_path):
    from cmn_vfx.engine import MatteEngine
    from cmn_vfx.io.sequence import find_sequence
    seq, out = find_sequence(plate), str(tmp_path / "out")
    spec = GrainSpec(plate=plate, output=out, model=checkpoint, device="cpu", frames="1001-1002")
    engine = MatteEngine(spec)
    assert len(engine.run(spec, seq, out, "sh010", progress=False).written) == 2
    assert len(engine.run(spec, seq, out, "sh010", progress=False).skipped) == 2
    grain = GrainSpec(**dict(spec.to_dict(), grain=0.5))
    assert len(engine.run(grain, seq, out, "sh010", progress=False).written) == 2


def test_a_route_change_alone_skips_every_finished_frame(plate, exported, tmp_path):
    """Device, runtime, threads and chunk size say where and how fast the network runs (the runtimes agree to
    float32 rounding, tests/engine/test_runtime.py), not what it makes: a farm node's rerun keeps the frames."""
    out = str(tmp_path / "out")
    first = _run(plate, "--out", out, "--model", exported, "--device", "cpu", "--runtime", "onnx", "--threads", "1")
    assert first["written"] == len(FRAMES)
    mtimes = {p: os.stat(os.path.join(out, "alpha", p)).st_mtime_ns for p in os.listdir(os.path.join(out, "alpha"))}
    spec = str(tmp_path / "shot.yaml")
    ShotSpec(plate=plate, output=out, model=exported, device="auto", runtime="torch", threads=2,
             chunk_size=3).to_yaml(spec)
    again = _run("--spec", spec)
    assert again["runtime"] == "torch" and (again["written"], again["skipped"]) == (0, len(FRAMES))
    assert {p: os.stat(os.path.join(out, "alpha", p)).st_mtime_ns for p in mtimes} == mtimes


def test_missing_on_a_plate_without_holes_skips_every_finished_frame(plate, checkpoint, tmp_path):
    out = str(tmp_path / "out")
    assert _run(plate, "--out", out, "--model", checkpoint, "--device", "cpu", "--missing", "hold")["written"] == 6
    for mode in ("error", "black"):
        again = _run(plate, "--out", out, "--model", checkpoint, "--device", "cpu", "--missing", mode)
        assert (again["written"], again["skipped"]) == (0, len(FRAMES)), mode


def _drop_key_version(path: str) -> None:
    """Rewrite an output's cmn:settings as code before the key had a version wrote it (pixels untouched)."""
    import OpenImageIO as oiio
    buf = oiio.ImageBuf(path)
    key = json.loads(buf.spec().getattribute(SETTINGS))
    del key["key_version"]
    buf.specmod().attribute(SETTINGS, json.dumps(key, sort_keys=True, separators=(",", ":")))
    tmp = path + ".old.exr"
    assert buf.write(tmp)
    os.replace(tmp, path)


def test_frames_of_an_older_key_are_redone_once(plate, checkpoint, tmp_path):
    out = str(tmp_path / "out")
    argv = (plate, "--out", out, "--model", checkpoint, "--device", "cpu")
    assert _run(*argv)["written"] == len(FRAMES)
    for kind in ("alpha", "fg"):
        for name in os.listdir(os.path.join(out, kind)):
            _drop_key_version(os.path.join(out, kind, name))
    assert _run(*argv)["written"] == len(FRAMES)                          # no version: not finished
    assert (_run(*argv)["written"], _run(*argv)["skipped"]) == (0, len(FRAMES))
