"""Read-node knobs -> shot spec values and results -> Read-node knobs, on tables of cases."""
import pytest

from cmn_vfx_nuke.cmn_nuke import readnode
from cmn_vfx_nuke.cmn_nuke.readnode import ReadKnobs


@pytest.mark.parametrize("path, expected", [
    ("/p/sh010.####.exr", ("/p/sh010.", 4, ".exr")),
    ("/p/sh010.%04d.exr", ("/p/sh010.", 4, ".exr")),
    ("/p/sh010.#.exr", ("/p/sh010.", 1, ".exr")),
    ("/p/sh010.%d.exr", ("/p/sh010.", 1, ".exr")),
    ("/p/sh010_%06d.dpx", ("/p/sh010_", 6, ".dpx")),
    ("/p/v#01/sh010.######.exr", ("/p/v#01/sh010.", 6, ".exr")),   # the file name's last pattern is the frame
    ("/p/sh010.$F4.exr", ("/p/sh010.", 4, ".exr")), ("sh010.@@@.exr", ("sh010.", 3, ".exr")),   # as cmn-matte reads
])
def test_split_pattern(path, expected):
    assert readnode.split_pattern(path) == expected


@pytest.mark.parametrize("path, frame, expected", [
    ("/p/sh010.####.exr", 1001, "/p/sh010.1001.exr"),
    ("/p/sh010.%04d.exr", 7, "/p/sh010.0007.exr"),
    ("/p/sh010.#.exr", 12, "/p/sh010.12.exr"),
    ("/p/sh010.%06d.exr", 1001, "/p/sh010.001001.exr"),
    ("/p/sh010.####.exr", -1, "/p/sh010.-0001.exr"),
    ("/p/sh010.###.exr", -12, "/p/sh010.-012.exr"),
])
def test_frame_path(path, frame, expected):
    assert readnode.frame_path(path, frame) == expected


def test_single_image_is_refused():
    with pytest.raises(ValueError, match="image sequence"):
        readnode.hash_pattern("/p/still.exr")


@pytest.mark.parametrize("text, expected", [
    ("1001-1100", (1001, 1100)), ("1001", (1001, 1001)), ("-5--1", (-5, -1)), ("-10-10", (-10, 10)),
    ("1001-1100x2", (1001, 1099)), ("1,5,9-12", (1, 12)), ("9-12, 1", (1, 12)),
])
def test_frame_bounds_read_the_specs_grammar(text, expected):
    assert readnode.frame_bounds(text) == expected
    assert readnode.frame_bounds(readnode.format_range(*expected)) == expected


@pytest.mark.parametrize("text", ["", None, "a-b", "1100-1001", "1-2-3", "1001x2"])
def test_frame_bounds_leave_a_bad_range_to_the_specs_checks(text):
    assert readnode.frame_bounds(text) is None


def test_a_result_with_unreadable_frames_is_refused():
    with pytest.raises(ValueError, match="cannot be read"):
        readnode.result_frames({"frames": "soon"})


@pytest.mark.parametrize("knob, effective, spec", [
    ("default (linear)", "linear", "Linear Rec.709 (sRGB)"),
    ("default (ACES - ACEScg)", "ACES - ACEScg", "ACES - ACEScg"),
    ("default", "default", "auto"),
    ("", "", "auto"),
    ("linear", "linear", "Linear Rec.709 (sRGB)"),
    ("Cineon", "Cineon", "cineon"),
    ("sRGB", "sRGB", "sRGB - Texture"),
    ("ACES - ACEScg", "ACES - ACEScg", "ACES - ACEScg"),
    ("Linear Rec.709 (sRGB)", "Linear Rec.709 (sRGB)", "Linear Rec.709 (sRGB)"),   # brackets are the name
    ("Utility/Linear Rec.709 (sRGB)", "Linear Rec.709 (sRGB)", "Linear Rec.709 (sRGB)"),
    ("scene_linear (ACEScg)", "ACEScg", "ACEScg"),
    ("Roles/scene_linear (ACES - ACEScg)", "ACES - ACEScg", "ACES - ACEScg"),
    ("Input/ARRI/ARRI LogC3 (EI800)", "ARRI LogC3 (EI800)", "ARRI LogC3 (EI800)"),
])
def test_colorspace_knob_to_spec(knob, effective, spec):
    assert readnode.effective_colorspace(knob) == effective
    assert readnode.spec_colorspace(knob) == spec


def test_mapped_nuke_default_names_exist_in_the_builtin_config():
    ocio = pytest.importorskip("PyOpenColorIO")
    config = ocio.Config.CreateFromBuiltinConfig("cg-config-v2.2.0_aces-v1.3_ocio-v2.4")
    names = [n for n in readnode.NUKE_DEFAULT_COLORSPACES.values() if n != "cineon"]   # cineon is cmn's own
    assert [n for n in names if config.getColorSpace(n) is None] == []


NUKE_DEFAULT = ["default (linear)", "linear", "sRGB", "rec709", "Cineon", "raw"]
ACES_12 = ["default (ACES - ACEScg)", "ACES - ACES2065-1", "ACES - ACEScg", "ACES - ACEScct",
           "Input - ARRI - V3 LogC (EI800) - Wide Gamut", "Utility - Linear - sRGB", "Utility - Raw",
           "Utility - sRGB - Texture"]
CG_FAMILIES = ["default (scene_linear)", "Roles/scene_linear (ACEScg)", "ACES/ACEScg", "ACES/ACEScct",
               "Utility/Linear Rec.709 (sRGB)", "Utility/Raw", "Utility/sRGB Encoded Rec.709 (sRGB)"]
OCIO_ROLES = ["scene_linear", "compositing_log", "data", "sRGB - Texture"]


@pytest.mark.parametrize("values, plate, fg, alpha", [
    (NUKE_DEFAULT, "default (linear)", "default (linear)", "raw"),
    (NUKE_DEFAULT, "Cineon", "linear", "raw"),                       # log plate -> linear fg
    (NUKE_DEFAULT, "sRGB", "linear", "raw"),
    (ACES_12, "ACES - ACEScg", "ACES - ACEScg", "Utility - Raw"),
    (ACES_12, "Input - ARRI - V3 LogC (EI800) - Wide Gamut", "ACES - ACEScg", "Utility - Raw"),
    (ACES_12, "Utility - Linear - sRGB", "Utility - Linear - sRGB", "Utility - Raw"),
    (CG_FAMILIES, "ACES/ACEScct", "Roles/scene_linear (ACEScg)", "Utility/Raw"),
    (CG_FAMILIES, "Utility/Linear Rec.709 (sRGB)", "Utility/Linear Rec.709 (sRGB)", "Utility/Raw"),
    (OCIO_ROLES, "compositing_log", "scene_linear", "data"),
])
def test_result_colorspaces_come_from_the_knob_values(values, plate, fg, alpha):
    assert readnode.fg_colorspace(plate, values) == fg
    assert readnode.alpha_colorspace(values) == alpha
    assert fg in values and alpha in values


def knobs(**kw):
    base = dict(name="Read1", file="/shot/plate/sh010.%04d.exr", first=1001, last=1100, origfirst=1001,
                origlast=1100, colorspace="default (linear)", format=(2048, 1152, 1.0, "2K_1.78"))
    return ReadKnobs(**{**base, **kw})


@pytest.mark.parametrize("kw, expected", [
    ({}, "2048x1152 2K_1.78"),
    ({"bbox": (0, 0, 2048, 1152)}, "2048x1152 2K_1.78"),
    ({"bbox": (-100, -100, 2148, 1252)}, "2048x1152 2K_1.78, data window 2248x1352 (overscan 100 px)"),
    ({"bbox": (-64, -32, 2112, 1184)}, "2048x1152 2K_1.78, data window 2176x1216 (overscan l64 b32 r64 t32)"),
    ({"format": (1828, 1556, 2.0, "")}, "1828x1556 (pixel aspect 2)"),
    ({"proxy": "/shot/proxy/sh010.%04d.jpg"},
     "2048x1152 2K_1.78; proxy sh010.%04d.jpg ignored, the full-res file is matted"),
])
def test_describe_format(kw, expected):
    assert readnode.describe_format(knobs(**kw)) == expected


@pytest.mark.parametrize("kw, plate, frames, name", [
    ({}, "/shot/plate/sh010.####.exr", "1001-1100", "sh010"),
    ({"file": "/shot/plate/sh010.####.exr", "first": 1010, "last": 1020}, "/shot/plate/sh010.####.exr",
     "1010-1020", "sh010"),
    ({"file": "/shot/plate/sh010_%06d.dpx", "first": -5, "last": 5}, "/shot/plate/sh010_######.dpx", "-5-5",
     "sh010"),
    ({"file": "plate/sh020.#.exr", "first": 3, "last": 3}, "/proj/plate/sh020.#.exr", "3", "sh020"),
])
def test_spec_values(kw, plate, frames, name):
    values = readnode.spec_values(knobs(**kw), project_directory="/proj")
    assert values == {"plate": plate, "frames": frames, "name": name, "colorspace": "Linear Rec.709 (sRGB)",
                      "layer": ""}
    assert readnode.frame_bounds(frames) == (kw.get("first", 1001), kw.get("last", 1100))


def test_default_output_is_beside_the_plate_folder():
    assert readnode.default_output("/shows/abc/sh010/plate/sh010.####.exr") == "/shows/abc/sh010/cmn"


def test_result_read_knobs():
    plate = knobs(colorspace="ACES - ACEScct", colorspace_values=CG_FAMILIES + ["ACES - ACEScct"],
                  frame_mode="offset", frame="10")
    result = {"job_id": "j1", "backend": "local", "alpha": "/o/alpha/sh010.####.exr",
              "fg": "/o/fg/sh010.####.exr", "frames": "1001-1050", "log": None}
    made = readnode.result_read_knobs(result, plate)
    timing = {"first": 1001, "last": 1050, "origfirst": 1001, "origlast": 1050, "frame_mode": "offset", "frame": "10"}
    assert made["alpha"] == {"file": "/o/alpha/sh010.####.exr", **timing, "colorspace": "Utility/Raw",
                             "raw": True, "premultiplied": False}
    assert made["fg"] == {"file": "/o/fg/sh010.####.exr", **timing, "colorspace": "Roles/scene_linear (ACEScg)",
                          "raw": False, "premultiplied": True}
    assert list(made["fg"])[0] == "file"   # file first: Nuke resets the range when the file changes


def test_expected_results_follow_the_contract_layout():
    got = readnode.expected_results("/o", "/p/sh010.%06d.exr", "1-5")
    assert got == {"alpha": "/o/alpha/sh010.######.exr", "fg": "/o/fg/sh010.######.exr", "frames": "1-5"}


@pytest.mark.parametrize("channels,layer", [
    ([], ""),
    (["rgba.red", "rgba.green", "rgba.blue", "rgba.alpha", "plate.red", "plate.green", "plate.blue"], ""),
    (["depth.Z", "plate.red", "plate.green", "plate.blue"], "plate"),
    (["beauty.red", "beauty.green"], ""),                     # no full RGB anywhere: cmn-matte says so
])
def test_plate_layer_from_the_reads_channels(channels, layer):
    assert readnode.plate_layer(channels) == layer
    assert readnode.spec_values(knobs(channels=channels))["layer"] == layer


@pytest.mark.parametrize("files, pattern", [
    ("sh010.{:04d}.exr", "sh010.####.exr"), ("sh010_{:04d}.exr", "sh010_%04d.exr"),
    ("sh020 - {:d}.dpx", "sh020 - ####.dpx"), ("{:04d}.exr", "####.exr"),
])
def test_plate_name_is_the_name_cmn_matte_gives_the_outputs(tmp_path, files, pattern):
    from cmn_vfx.io.sequence import find_sequence
    folder = tmp_path / "plate_v2"
    folder.mkdir()
    for frame in (1001, 1002):
        (folder / files.format(frame)).write_bytes(b"")
    assert readnode.plate_name(str(folder / pattern)) == find_sequence(str(folder / pattern)).name
