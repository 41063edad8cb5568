"""ShotSpec: errors name the spec file; output names stay inside the output folder; the plate's layer."""
import pytest

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.spec import ShotSpec


@pytest.mark.parametrize("line,field", [("chunk_size: 0", "chunk_size"), ("warmup: -1", "warmup"),
                                        ("missing: maybe", "missing"), ("name: ../x", "name")])
def test_a_bad_field_names_the_spec_file(tmp_path, line, field):
    spec = tmp_path / "shot.yaml"
    spec.write_text(f"plate: p.####.exr\noutput: out\n{line}\n")
    with pytest.raises(BadInputError, match=f"^shot spec {spec}: {field}"):
        ShotSpec.from_yaml(str(spec))


@pytest.mark.parametrize("name", ["../../escaped", "a/b", "a\\b", "", "  ", ".", "..", ".hidden"])
def test_names_that_are_not_plain_file_names_are_refused(name):
    with pytest.raises(BadInputError, match="is not a plain file name"):
        ShotSpec(plate="p.####.exr", output="out", name=name).validate()


def test_layer_is_a_spec_field(tmp_path):
    spec = tmp_path / "shot.yaml"
    spec.write_text("plate: p.####.exr\noutput: out\nlayer: plate\n")
    assert ShotSpec.from_yaml(str(spec)).layer == "plate"
    with pytest.raises(BadInputError, match="layer ''"):
        ShotSpec(plate="p.####.exr", output="out", layer="").validate()


@pytest.mark.parametrize("value", [0, -2, "two", True, 1.5])
def test_threads_must_be_a_positive_whole_number(value):
    with pytest.raises(BadInputError, match="threads"):
        ShotSpec(plate="p.####.exr", output="out", threads=value).validate()
