"""Which person in Nuke: the subject text in the panel, and Nuke coordinates -> plate pixels (no Nuke).

The grammar itself is the job package's (Nuke's byte-for-byte copy: tests/nuke/test_job_copy.py; a typed
pick read back by cmn_vfx: tests/nuke/test_panel.py)."""
import re

import pytest

from cmn_vfx_nuke.cmn_nuke import pick


def test_a_bad_subject_is_a_pick_error_naming_the_part_and_the_grammar():
    with pytest.raises(pick.PickError, match=r"subject '1,2@3 4': give all, main, or picks like 1210,540@1001"):
        pick.normalise_subject("1,2@3 4")
    assert pick.spec_subject(" ALL ") is None and pick.spec_subject("1210.50,540@1001") == "1210.5,540@1001"


def test_add_pick_replaces_all_and_main_and_joins_picks():
    assert pick.add_pick("all", "1,2@3") == "1,2@3"
    assert pick.add_pick("main", "1,2@3") == "1,2@3"
    assert pick.add_pick("", "1,2@3") == "1,2@3"
    assert pick.add_pick("1,2@3", "4,5@3") == "1,2@3;4,5@3"
    assert pick.add_pick("1,2@3; ", "4,5@3") == "1,2@3;4,5@3"


def test_picks_outside_the_matted_frames_are_named():
    assert pick.check_frames("all", 1001, 1100) == [] and pick.check_frames("main", 1001, 1100) == []
    assert pick.check_frames("1,2@1001;3,4@1100", 1001, 1100) == []
    lines = pick.check_frames("1,2@1001;3,4@999", 1001, 1100)
    assert len(lines) == 1 and "3,4@999 is on frame 999, outside the frames 1001-1100" in lines[0]


# --- coordinates ---------------------------------------------------------------------------

def test_square_format_flips_y_from_the_bottom_to_the_top():
    assert pick.to_plate(0, 0, 1920, 1080) == (0, 1080)         # Nuke's bottom-left corner
    assert pick.to_plate(0, 1080, 1920, 1080) == (0, 0)         # top-left: the plate's origin
    assert pick.to_plate(1210, 540, 1920, 1080) == (1210, 540)
    assert pick.to_plate(100.25, 900, 1920, 1080) == (100.25, 180)


def test_a_pixel_centre_lands_in_the_same_pixel_counted_from_the_top():
    # Nuke pixel (i, j) covers [i, i+1) x [j, j+1) from the bottom; it is row height-1-j from the top.
    for i, j in ((0, 0), (1919, 1079), (1210, 539), (7, 1000)):
        assert pick.nuke_point_pick(i + 0.5, j + 0.5, 1920, 1080, 1001) == f"{i},{1080 - 1 - j}@1001"
    assert pick.nuke_point_pick(1920, 1080, 1920, 1080, 5) == "1919,0@5"   # the far corner is the last pixel


def test_proxy_pixels_scale_back_to_full_resolution():
    full = pick.to_plate(1210, 700, 1920, 1080)
    assert pick.to_plate(605, 350, 1920, 1080, proxy_scale=0.5) == full == (1210, 380)
    assert pick.nuke_point_pick(605.2, 350.2, 1920, 1080, 1001, proxy_scale=0.5) == "1210,379@1001"
    with pytest.raises(pick.PickError, match="proxy scale"):
        pick.to_plate(1, 1, 1920, 1080, proxy_scale=0)


@pytest.mark.parametrize("x, y", [(-0.5, 500), (1920.5, 500), (500, -1), (500, 1081), (-64, -64), (2000, 1150)])
def test_points_outside_the_format_are_refused_even_inside_an_overscan_data_window(x, y):
    # data window -64,-64 .. 1984,1144 around a 1920x1080 format: the overscan is not in the plate's pixels
    with pytest.raises(pick.PickError, match=r"outside the plate's format 0,0-1920,1080 \(overscan or off"):
        pick.nuke_point_pick(x, y, 1920, 1080, 1001)


def test_overscan_does_not_shift_points_inside_the_format():
    # Nuke's and the plate's origins are both the format's corner, whatever the data window
    assert pick.nuke_point_pick(0.5, 0.5, 1920, 1080, 1001) == "0,1079@1001"
    assert pick.nuke_box_pick([(-64, -64), (100, 100)], 1920, 1080, 1001) == "0,980,100,1080@1001"


def test_viewer_colour_sample_square_format():
    w, h = 1920, 1080
    assert pick.viewer_to_nuke(-1, -h / w, w, h) == (0, 0)
    assert pick.viewer_to_nuke(1, h / w, w, h) == (w, h)
    assert pick.viewer_to_nuke(0, 0, w, h) == (w / 2, h / 2)
    u, v = 1210.5 / (w / 2) - 1, (1080 - 540.5 - h / 2) / (w / 2)   # the centre of plate pixel (1210, 540)
    assert pick.viewer_pick((u, v, u, v), (w, h, 1.0), (w, h, 1.0, "HD"), 1001) == "1210,540@1001"


def test_viewer_colour_sample_anamorphic_2_to_1():
    # 1828x1556 at pixel aspect 2: shown 3656 units wide, the sample's unit is half that width;
    # x stays in real pixels, y uses the desqueezed unit.
    w, h, pa = 1828, 1556, 2.0
    half = w * pa / 2
    assert pick.viewer_to_nuke(-1, -h / 2 / half, w, h, pa) == (0, 0)
    assert pick.viewer_to_nuke(1, h / 2 / half, w, h, pa) == (w, h)
    x, y = pick.viewer_to_nuke(0.5, 0.1, w, h, pa)
    assert (x, y) == pytest.approx((1371, 778 + 0.1 * half))
    assert pick.viewer_pick((0.5, 0.1, 0.5, 0.1), (w, h, pa), (w, h, pa, "anamorphic"), 7) == \
        f"1371,{int(h - (778 + 0.1 * half))}@7"
    # read as if square, the same sample would be far off: the pixel aspect matters
    assert pick.viewer_to_nuke(0.5, 0.1, w, h, 1.0)[1] != pytest.approx(y)


def test_viewer_sample_is_proxy_independent():
    # the viewed node reports proxy size (half) in proxy mode; normalised samples give full-res pixels
    sample = (0.1, 0.2, 0.1, 0.2)
    assert pick.viewer_pick(sample, (960, 540, 1.0), (1920, 1080, 1.0), 1001) == \
        pick.viewer_pick(sample, (1920, 1080, 1.0), (1920, 1080, 1.0), 1001)


def test_viewer_region_gives_a_box_and_a_click_a_point():
    w, h = 1920, 1080
    region = (-0.5, -0.3, 0.0, 0.2)   # ctrl+shift+drag
    x0, y0 = pick.viewer_to_nuke(-0.5, -0.3, w, h)
    x1, y1 = pick.viewer_to_nuke(0.0, 0.2, w, h)
    expected = f"{int(x0)},{int(h - y1)},{int(x1)},{int(h - y0 + 0.999)}@1001"
    assert pick.viewer_pick(region, (w, h, 1.0), (w, h, 1.0), 1001) == expected
    tiny = (0.0, 0.0, 0.001, 0.001)   # a ctrl+click: a box under BOX_MIN_PX pixels
    assert pick.viewer_pick(tiny, (w, h, 1.0), (w, h, 1.0), 1001).count(",") == 1


@pytest.mark.parametrize("sample, viewed, message", [
    ((0, 0, 0, 0), (1920, 1080, 1.0), "no colour sample in the Viewer: ctrl+click the person"),
    (None, (1920, 1080, 1.0), "no colour sample"),
    ((0.1, 0.1, 0.1, 0.1), (1024, 1024, 1.0), "the Viewer shows a 1024x1024 image, not the plate's 1920x1080"),
    ((1.5, 0.0, 1.5, 0.0), (1920, 1080, 1.0), "outside the plate's format"),
])
def test_viewer_pick_refusals(sample, viewed, message):
    with pytest.raises(pick.PickError, match=re.escape(message)):
        pick.viewer_pick(sample, viewed, (1920, 1080, 1.0, "HD"), 1001)


def test_roto_centre_and_box():
    points = [(1000, 300), (1400, 300), (1400, 900), (1000, 900)]   # Nuke pixels, y up
    assert pick.roto_pick(points, 1920, 1080, 1001) == "1200,480@1001"
    assert pick.roto_pick(points, 1920, 1080, 1001, as_box=True) == "1000,180,1400,780@1001"
    # a shape hanging off the frame is clipped; one entirely outside is refused
    assert pick.roto_pick([(-100, -50), (300, 400)], 1920, 1080, 3, as_box=True) == "0,680,300,1080@3"
    with pytest.raises(pick.PickError, match="outside the plate's format"):
        pick.roto_pick([(2000, 10), (2100, 50)], 1920, 1080, 3, as_box=True)
    with pytest.raises(pick.PickError, match="no points"):
        pick.roto_pick([], 1920, 1080, 3)


def test_roto_transform_matrices():
    identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert pick.apply_matrix(identity, 3, 4) == (3, 4)
    row_major = [2, 0, 0, 10, 0, 2, 0, 20, 0, 0, 1, 0, 0, 0, 0, 1]   # scale 2 then translate (10, 20)
    assert pick.apply_matrix(row_major, 3, 4) == (16, 28)
    column_major = [row_major[4 * (i % 4) + i // 4] for i in range(16)]
    assert pick.apply_matrix(column_major, 3, 4) == (16, 28)
    rotate90 = [0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert pick.apply_matrix(rotate90, 1, 0) == (0, 1)
