"""The shot spec's `keys` (the farm's Teach step) and `teach_minutes`: the pattern's form is checked by
problems() without reading a file; relative keys resolve against the spec's folder like the plate."""
import pytest

from cmn_vfx.job.errors import BadInputError
from cmn_vfx.job.spec import DEFAULT_TEACH_MINUTES, ShotSpec


def spec(**kw) -> ShotSpec:
    return ShotSpec(plate="/p/sh010.####.exr", output="/o", **kw)


@pytest.mark.parametrize("keys", ["/k/sh010.####.exr", "/k/sh010.%04d.exr", "/k/sh010.@@@@.EXR", "/k/a.$F4.exr"])
def test_sequence_patterns_of_exrs_are_keys(keys):
    assert spec(keys=keys).problems() == []


@pytest.mark.parametrize("keys,says", [
    ("/k/sh010.1001.exr", "not a sequence pattern"),          # one frame: the frames present are the keys
    ("/k/", "not a sequence pattern"),                        # a folder
    ("/k/sh010.####.png", "not a sequence pattern"),          # alpha EXRs only
    ("", "not a sequence pattern"),
    (5, "not a sequence pattern"),
    ("/p/sh010.####.exr", "is the plate itself"),
])
def test_a_bad_keys_pattern_is_one_problem_naming_the_fix(keys, says):
    (problem,) = spec(keys=keys).problems("shot.yaml")
    assert problem.startswith(f"shot.yaml: keys {keys!r}") and says in problem and "e.g. keys/sh010.####.exr" in problem


@pytest.mark.parametrize("minutes", [0, -1, True, "3", None])
def test_teach_minutes_must_be_a_positive_number(minutes):
    (problem,) = spec(teach_minutes=minutes).problems()
    assert f"teach_minutes {minutes!r}" in problem


def test_defaults_no_keys_and_teachs_minutes():
    assert spec().keys is None and spec().teach_minutes == DEFAULT_TEACH_MINUTES == 3.0
    assert spec(teach_minutes=0.5).problems() == []


def test_relative_keys_resolve_against_the_spec_folder(tmp_path):
    (tmp_path / "specs").mkdir()
    path = tmp_path / "specs" / "shot.yaml"
    path.write_text("plate: ../plates/sh010.####.exr\noutput: ../cmn\n"
                    "keys: ../keys/sh010.####.exr\nteach_minutes: 1.5\n")
    loaded = ShotSpec.from_yaml(str(path))
    assert loaded.keys == str(tmp_path / "keys" / "sh010.####.exr")
    assert loaded.teach_minutes == 1.5
    path.write_text("plate: ../plates/sh010.####.exr\noutput: ../cmn\nkeys: ../keys/sh010.1001.exr\n")
    with pytest.raises(BadInputError, match="keys '../keys/sh010.1001.exr' is not a sequence pattern"):
        ShotSpec.from_yaml(str(path))


def test_keys_are_route_their_pixels_come_through_the_taught_models_sha256():
    assert "keys" not in ShotSpec.pixel_fields() and "teach_minutes" not in ShotSpec.pixel_fields()
