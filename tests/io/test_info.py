"""`cmn-matte info`: what it prints, and every bad input -> exit 2 with the file and the fix."""
from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

from cmn_vfx.cli import matte_main
from cmn_vfx.io.image import Box, write_exr

from io_plates import DISPLAY, make_plate


def info(capsys, *argv) -> tuple[int, str, str]:
    code = matte_main(["info", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_text_report(plate, capsys):
    code, out, _ = info(capsys, plate)
    assert code == 0
    lines = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in out.splitlines())
    assert lines["pattern"] == plate
    assert lines["frames"] == "1001-1002,1004  (3 files, padding 4)"
    assert lines["holes"] == "1003"
    assert lines["resolution"] == "6x4"
    assert lines["data window"] == "10x6 origin (-2, -1)"
    assert lines["display win"] == "6x4 origin (0, 0)"
    assert lines["channels"] == "R, G, B, A"
    assert lines["pixel type"] == "half"
    assert lines["colourspace"].startswith("ACEScg")


def test_json_report_with_hold(plate, capsys):
    code, out, _ = info(capsys, plate, "--frames", "1001-1004", "--missing", "hold", "--check", "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["first"], data["last"], data["count"], data["padding"]) == (1001, 1004, 3, 4)
    assert data["held_or_black"] == {"1003": 1002}
    assert data["data_window"] == {"x": -2, "y": -1, "width": 10, "height": 6}
    assert (data["compression"], data["nonfinite"], data["colorspace_guess"]) == ("zip", {}, "ACEScg")


def test_layers_and_colorspace_metadata(tmp_path, capsys):
    pattern = make_plate(tmp_path, [7, 8], padding=3, channels=("plate.R", "plate.G", "plate.B", "A"),
                         metadata={"oiio:ColorSpace": "lin_rec709"})
    code, out, _ = info(capsys, pattern, "--layer", "plate", "--json")
    data = json.loads(out)
    assert (code, data["rgb_channels"], data["colorspace"]) == (0, ["plate.R", "plate.G", "plate.B"],
                                                                "Linear Rec.709 (sRGB)")
    assert sorted(data["layers"]) == ["plate", "rgba"]


def bad(capsys, *argv) -> str:
    code, out, err = info(capsys, *argv)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    return err


def test_pattern_matching_nothing(tmp_path, capsys):
    err = bad(capsys, str(tmp_path / "none.####.exr"))
    assert "none.####.exr: the pattern matches no files" in err and "check the folder" in err


def test_holes_in_requested_range(plate, capsys):
    err = bad(capsys, plate, "--frames", "1001-1004")
    assert "frame 1003 is missing" in err and "--missing hold" in err


def test_frame_with_other_windows(tmp_path, capsys):
    pattern = make_plate(tmp_path, [1001, 1002])
    make_plate(tmp_path, [1003], data=DISPLAY)
    err = bad(capsys, pattern)
    assert "sh010.1003.exr: data window 6x4+0+0 differs" in err and "same resolution and windows" in err


def test_truncated_frame(tmp_path, capsys):
    box = Box(0, 0, 64, 64)
    for frame in (1, 2):
        write_exr(str(tmp_path / f"t.{frame:04d}.exr"), np.ones((64, 64, 3), np.float32) * frame,
                  ["R", "G", "B"], box, box, compression="none")
    path = tmp_path / "t.0002.exr"
    path.write_bytes(path.read_bytes()[:-2000])
    assert info(capsys, str(tmp_path / "t.####.exr"))[0] == 0      # headers alone look fine
    err = bad(capsys, str(tmp_path / "t.####.exr"), "--check")
    assert "t.0002.exr: the file is truncated or corrupt" in err


def test_corrupt_header(tmp_path, capsys):
    make_plate(tmp_path, [1001])
    (tmp_path / "sh010.1002.exr").write_bytes(b"garbage")
    assert "sh010.1002.exr: cannot read the file" in bad(capsys, str(tmp_path / "sh010.####.exr"))


def test_no_rgb_channels(tmp_path, capsys):
    pattern = make_plate(tmp_path, [1], channels=("A", "depth.Z"))
    err = bad(capsys, pattern)
    assert "has no R, G, B channels (it has A, depth.Z)" in err


def test_nan_pixels_are_counted_not_fatal(tmp_path, capsys):
    pixels = np.ones((4, 6, 3), np.float32)
    pixels[0, :3, 1] = np.nan
    write_exr(str(tmp_path / "n.0001.exr"), pixels, ["R", "G", "B"], DISPLAY, DISPLAY, pixel_type="float")
    code, out, err = info(capsys, str(tmp_path / "n.0001.exr"), "--check", "--json")
    assert (code, json.loads(out)["nonfinite"]) == (0, {"1": 3})
    assert [line for line in err.splitlines() if "NaN/Inf" in line] == [   # once, no Python source line
        f"warning: {tmp_path / 'n.0001.exr'}: 3 NaN/Inf pixel values replaced with 0; check the render or comp that made it"]


def test_unknown_colorspace_suggests_names(plate, capsys):
    err = bad(capsys, plate, "--colorspace", "ACEScgg")
    assert "colourspace 'ACEScgg' is unknown" in err and "'ACEScg'" in err


def test_a_folder_lists_every_sequence_below_it_as_run_finds_them(tmp_path, capsys):
    make_plate(tmp_path / "shots" / "sh010", [1001, 1002], name="sh010")
    make_plate(tmp_path / "shots" / "sh020", [1, 2, 3], name="sh020")
    make_plate(tmp_path / "shots", [1], name="c")
    code, out, _ = info(capsys, str(tmp_path / "shots"), "--json")
    assert code == 0
    listed = [(i["name"], i["frames"]) for i in json.loads(out)["sequences"]]
    assert listed == [("c", "1"), ("sh010", "1001-1002"), ("sh020", "1-3")]
    code, out, _ = info(capsys, str(tmp_path / "shots"))
    assert code == 0 and out.count("pattern ") == 3
    (tmp_path / "shots" / "sh020" / "sh020.0002.exr").write_bytes(b"junk")      # one bad shot: the rest listed
    code, out, err = info(capsys, str(tmp_path / "shots"))
    assert code == 2 and out.count("pattern ") == 3 and "1 of 3 sequences" in err


def test_closed_pipe_is_not_a_traceback(plate):
    # `cmn-matte info --json | head -c 1`: the reader exits first; a quiet exit, not a traceback
    import subprocess
    import sys
    code = ("import sys; from cmn_vfx.cli import matte_main; "
            f"sys.exit(matte_main(['info', {plate!r}, '--json']))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # nobody reads: the first write fails with EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait() == 141, err      # 128 + SIGPIPE, documented in docs/engine.md
    assert "Traceback" not in err and "BrokenPipe" not in err
