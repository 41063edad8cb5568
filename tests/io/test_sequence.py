"""Sequences: patterns, paddings 3/4/6, holes, negative and long frames, ranges."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.sequence import (Sequence, find_sequence, find_sequences, format_frame_range,
                                 parse_frame_range, resolve_frames)


def touch(directory, *names):
    os.makedirs(directory, exist_ok=True)
    for name in names:
        open(os.path.join(directory, name), "wb").close()


# files on disk, spec (relative to the dir; '' = the dir itself), padding, frames, holes
PATTERNS = [
    (["sh.1001.exr", "sh.1002.exr", "sh.1004.exr"], "sh.####.exr", 4, (1001, 1002, 1004), [1003]),
    (["sh.001.exr", "sh.002.exr", "sh.005.exr"], "sh.%03d.exr", 3, (1, 2, 5), [3, 4]),
    (["sh.000998.exr", "sh.001000.exr"], "sh.$F6.exr", 6, (998, 1000), [999]),
    (["sh.0009.exr", "sh.0010.exr"], "sh.@@@@.exr", 4, (9, 10), []),
    (["sh.9999.exr", "sh.10000.exr", "sh.10001.exr"], "sh.####.exr", 4, (9999, 10000, 10001), []),
    (["sh.-002.exr", "sh.-001.exr", "sh.000.exr", "sh.001.exr"], "sh.###.exr", 3, (-2, -1, 0, 1), []),
    (["sh_v2_1001.dpx", "sh_v2_1003.dpx"], "sh_v2_1001.dpx", 4, (1001, 1003), [1002]),
    (["plate-1.png", "plate-2.png", "plate-10.png"], "plate-%d.png", 1, (1, 2, 10), [3, 4, 5, 6, 7, 8, 9]),
    (["sh.1001.exr", "sh.1002.exr", ".sh.1003.exr.tmp-99-abc"], "", 4, (1001, 1002), []),
]


@pytest.mark.parametrize("files,spec,padding,frames,holes", PATTERNS)
def test_pattern_table(tmp_path, files, spec, padding, frames, holes):
    touch(tmp_path, *files)
    seq = find_sequence(str(tmp_path / spec) if spec else str(tmp_path))
    assert (seq.padding, seq.frames, seq.holes()) == (padding, frames, holes)
    assert all(os.path.isfile(seq.path(f)) for f in seq.frames)


def test_sequence_paths_and_patterns():
    seq = Sequence("/plates", "sh010.", ".exr", 4, (-3, 7, 1001, 10000))
    assert seq.path(7) == "/plates/sh010.0007.exr"
    assert seq.path(-3) == "/plates/sh010.-0003.exr"
    assert seq.path(10000) == "/plates/sh010.10000.exr"
    assert seq.hash_pattern == "/plates/sh010.####.exr"
    assert seq.printf_pattern == "/plates/sh010.%04d.exr"
    assert (seq.name, seq.first, seq.last) == ("sh010", -3, 10000)


def test_frames_argument_keeps_existing_frames_in_range(tmp_path):
    touch(tmp_path, *[f"a.{f:04d}.exr" for f in (1001, 1002, 1004, 1005)])
    assert find_sequence(str(tmp_path / "a.####.exr"), "1002-1004").frames == (1002, 1004)


def test_two_paddings_same_name_are_two_sequences(tmp_path):
    touch(tmp_path, "a.0001.exr", "a.0002.exr", "a.001.exr")
    assert find_sequence(str(tmp_path / "a.###.exr")).frames == (1,)
    assert find_sequence(str(tmp_path / "a.####.exr")).frames == (1, 2)


def test_find_sequences_recursive_sorted(tmp_path):
    touch(tmp_path / "b", "x.0001.exr")
    touch(tmp_path / "a", "y.01.exr", "z.1.png")
    found = [os.path.relpath(s.hash_pattern, tmp_path) for s in find_sequences(str(tmp_path))]
    assert found == ["a/y.##.exr", "a/z.#.png", "b/x.####.exr"]


@pytest.mark.parametrize("spec,message", [
    ("nothing.####.exr", "matches no files"),
    ("nothing.1001.exr", "no such file or folder"),
    ("", "holds 2 sequences"),
])
def test_bad_specs(tmp_path, spec, message):
    touch(tmp_path, "a.1001.exr", "b.1001.exr")
    with pytest.raises(BadInputError, match=message) as err:
        find_sequence(str(tmp_path / spec) if spec else str(tmp_path))
    assert str(tmp_path) in str(err.value)


@pytest.mark.parametrize("text,frames", [
    ("1001-1005", [1001, 1002, 1003, 1004, 1005]),
    ("1001-1009x4", [1001, 1005, 1009]),
    ("1,5,9-11", [1, 5, 9, 10, 11]),
    ("-10--8", [-10, -9, -8]),
    ("-2-1", [-2, -1, 0, 1]),
    ("7", [7]),
    ("", []),
])
def test_parse_frame_range(text, frames):
    assert parse_frame_range(text) == frames
    assert parse_frame_range(format_frame_range(frames)) == frames


def test_format_frame_range_is_compact():
    assert format_frame_range([1001, 1002, 1003, 1005, 1007, 1009, 1020]) == "1001-1003,1005-1009x2,1020"
    assert format_frame_range([-3, -2, 5]) == "-3--2,5"


@pytest.mark.parametrize("text", ["10-1", "1001-1100x0", "abc", "1..5"])
def test_bad_frame_range(text):
    with pytest.raises(BadInputError, match="1001-1100"):
        parse_frame_range(text)


def test_resolve_frames_policies():
    seq = Sequence("/p", "a.", ".exr", 4, (1, 2, 5))
    assert resolve_frames(seq, [1, 2, 3, 4, 5], "hold") == [(1, 1), (2, 2), (3, 2), (4, 2), (5, 5)]
    assert resolve_frames(seq, [2, 3, 5], "black") == [(2, 2), (3, None), (5, 5)]
    with pytest.raises(BadInputError, match=r"a\.####\.exr: frames 3-4 are missing.*--missing hold"):
        resolve_frames(seq, [1, 2, 3, 4, 5], "error")
    with pytest.raises(BadInputError, match="outside the sequence"):
        resolve_frames(seq, [0, 1], "hold")


def test_sequence_module_imports_no_numpy_or_torch():
    code = ("import sys, cmn_vfx.io.sequence, cmn_vfx.io.atomic; "
            "print(sorted(m for m in ('numpy', 'torch', 'OpenImageIO') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
