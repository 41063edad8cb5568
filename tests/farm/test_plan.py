"""Chunk plans: OpenJD's CONTIGUOUS chunks (openjd.model's iterator), warm-up ranges, and refused inputs."""
from __future__ import annotations

import pytest
from cmn_vfx.errors import BadInputError
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx.job.names import DEFAULT_WARMUP
from cmn_vfx_farm.plan import contiguous_chunks, plan_shot, runs


@pytest.mark.parametrize("frames,size", [
    (list(range(1001, 1013)), 4), (list(range(1001, 1013)), 5), (list(range(1, 101)), 7),
    (list(range(1001, 1011)) + list(range(1020, 1031)), 4), ([5], 3), (list(range(-5, 6)), 10),
])
def test_chunks_are_openjds_contiguous_chunks(frames, size):
    """Every run of consecutive frames in ceil(n / size) chunks whose lengths differ by at most one, in order."""
    chunks = contiguous_chunks(frames, size)
    assert [f for c in chunks for f in c] == frames
    assert all(c == tuple(range(c[0], c[-1] + 1)) and len(c) <= size for c in chunks)
    for run in runs(frames):
        inside = [c for c in chunks if c[0] in run]
        assert len(inside) == -(-len(run) // size)
        assert max(map(len, inside)) - min(map(len, inside)) <= 1


def test_plan_of_twelve_frames(spec_path):
    plan = plan_shot(ShotSpec.from_yaml(spec_path))
    assert [c.text for c in plan.chunks] == ["1001-1004", "1005-1008", "1009-1012"]
    assert [c.warmup for c in plan.chunks] == [(), (1001, 1002, 1003, 1004), tuple(range(1001, 1009))]
    assert plan.layout.path("alpha", 1007).endswith("/out/alpha/sh010.1007.exr")
    assert plan.layout.fg_pattern.endswith("/out/fg/sh010.####.exr")
    assert plan.warmup == DEFAULT_WARMUP


@pytest.mark.parametrize("frames,chunk_size,message", [
    ("2000-2010", None, "outside the sequence"),
    (None, 0, "chunk size 0"),
])
def test_refused(spec_path, frames, chunk_size, message):
    with pytest.raises(BadInputError, match=message):
        plan_shot(ShotSpec.from_yaml(spec_path), frames, chunk_size)


def test_relative_checkpoint_path_is_relative_to_the_spec(tmp_path, plate):
    from farm_helpers import write_spec
    spec = ShotSpec.from_yaml(write_spec(str(tmp_path / "shot.yaml"), plate=plate, output="out", model="ck/tiny.pt"))
    assert (spec.model, spec.output) == (str(tmp_path / "ck" / "tiny.pt"), str(tmp_path / "out"))
    bare = ShotSpec.from_yaml(write_spec(str(tmp_path / "b.yaml"), plate=plate, output="out", model="default"))
    assert bare.model == "default"


@pytest.mark.parametrize("missing", ["hold", "black"])
def test_a_filled_hole_is_planned_like_cmn_matte_run(tmp_path, missing):
    """Issue 29 D4: the farm's frames are run's (io.sequence.shot_frames), holes included, not the files on disk."""
    from farm_helpers import make_plate, write_spec
    from cmn_vfx.engine.shot import Shot
    from cmn_vfx.io.sequence import find_sequence
    plate = make_plate(str(tmp_path / "plate"), frames=[1001, 1002, 1003, 1004, 1006, 1007, 1008])
    spec = ShotSpec.from_yaml(write_spec(str(tmp_path / "shot.yaml"), plate=plate, output="out", chunk_size=4,
                                         missing=missing))
    plan = plan_shot(spec)
    run_frames = Shot(spec, find_sequence(spec.plate), spec.output, "sh010").frames
    assert list(plan.frames) == run_frames == list(range(1001, 1009))
    assert [c.text for c in plan.chunks] == ["1001-1004", "1005-1008"]
    assert plan.chunks[1].warmup == (1001, 1002, 1003, 1004)      # the warm-up runs through a filled hole too
    spec.missing = "error"
    with pytest.raises(BadInputError, match="1005 is missing"):
        plan_shot(spec)


def test_scattered_frames_are_one_chunk_per_run(spec_path):
    """Issue 29 D5: what status lists for a resubmit (1006,1009 or a stepped 1003-1009x3) is planned, never refused."""
    plan = plan_shot(ShotSpec.from_yaml(spec_path), "1003-1009x3,1011-1012")
    assert [c.text for c in plan.chunks] == ["1003-1003", "1006-1006", "1009-1009", "1011-1012"]
    assert plan.chunks[1].warmup == tuple(range(1001, 1006))
    assert plan.frame_range == "1003-1009x3,1011-1012"
    assert plan.openjd_range == "1003,1006,1009,1011-1012"            # OpenJD's syntax has no 'x' steps
    assert [c.text for c in plan_shot(ShotSpec.from_yaml(spec_path), "1006,1009").chunks] == ["1006-1006", "1009-1009"]
