"""Shot specs as a hostile or careless user writes them: one-line refusals naming the file, never a traceback."""
from __future__ import annotations

import pytest

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.spec import ShotSpec


def _spec(tmp_path, text: str) -> str:
    path = tmp_path / "shot.yaml"
    path.write_text("plate: /plates/sh010.####.exr\noutput: /out\n" + text)
    return str(path)


def test_a_single_cut_number_is_read_as_one_cut(tmp_path):
    assert ShotSpec.from_yaml(_spec(tmp_path, "cuts: 1005\n")).cuts == [1005]
    assert ShotSpec.from_yaml(_spec(tmp_path, "cuts: [1005, 1040]\n")).cuts == [1005, 1040]


@pytest.mark.parametrize("cuts", ["'1005'", "{a: 1}", "true", "1005.5"])
def test_cuts_that_are_not_frame_numbers_are_refused(tmp_path, cuts):
    with pytest.raises(BadInputError, match=r"shot\.yaml: cuts .* must be a list of frame numbers"):
        ShotSpec.from_yaml(_spec(tmp_path, f"cuts: {cuts}\n"))


def test_a_key_given_twice_is_refused_naming_it(tmp_path):
    with pytest.raises(BadInputError, match=r"shot\.yaml.*key 'frames' is given twice \(lines 3 and 4\)"):
        ShotSpec.from_yaml(_spec(tmp_path, "frames: 1001-1010\nframes: 1001-1100\n"))


@pytest.mark.parametrize("name", ["sh010.####", "sh%04d", "sh@@", "sh$F4"])
def test_a_name_with_a_frame_token_is_refused(tmp_path, name):
    with pytest.raises(BadInputError, match="frame token"):
        ShotSpec.from_yaml(_spec(tmp_path, f"name: '{name}'\n"))


def test_a_huge_frame_range_in_a_spec_is_read_without_expanding_it(tmp_path):
    spec = ShotSpec.from_yaml(_spec(tmp_path, "frames: 1001-99999999999\n"))     # checked against the plate later
    assert spec.frames == "1001-99999999999"
    with pytest.raises(BadInputError, match=r"shot\.yaml: frame range .* cannot read"):
        ShotSpec.from_yaml(_spec(tmp_path, "frames: 1001-10x\n"))


def test_problems_lists_every_fault_and_validate_raises_them_all():
    spec = ShotSpec(plate="/plates/sh010.####.exr", output="/out", threads=0, missing="maybe", fg_colour="decoder",
                    person_layers=True)
    found = spec.problems("shot spec a.yaml")
    assert [p.split(":")[1].split()[0] for p in found] == ["threads", "person_layers", "missing", "fg_colour"]
    assert all(p.startswith("shot spec a.yaml: ") for p in found)
    with pytest.raises(BadInputError) as err:
        spec.validate("shot spec a.yaml")
    assert str(err.value).splitlines() == found
    assert ShotSpec(plate="/plates/sh010.####.exr", output="/out").problems() == []
