"""Atomic writes: the final name appears only on success; temp files never look like frames."""
from __future__ import annotations

import os

import numpy as np
import pytest

from cmn_vfx.errors import BadInputError
from cmn_vfx.io import image as image_module
from cmn_vfx.io.atomic import atomic_path, temp_path_for
from cmn_vfx.io.image import Box, write_exr
from cmn_vfx.io.sequence import find_sequence


def test_failed_block_leaves_no_final_and_no_temp(tmp_path):
    final = str(tmp_path / "sh010.1001.exr")
    with pytest.raises(RuntimeError):
        with atomic_path(final) as tmp:
            open(tmp, "wb").write(b"half a file")
            raise RuntimeError("killed")
    assert os.listdir(tmp_path) == []


def test_failed_block_keeps_previous_final(tmp_path):
    final = tmp_path / "sh010.1001.exr"
    final.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(str(final)) as tmp:
            open(tmp, "wb").write(b"new")
            raise RuntimeError("killed")
    assert (final.read_bytes(), os.listdir(tmp_path)) == (b"old", ["sh010.1001.exr"])


def test_success_renames(tmp_path):
    final = str(tmp_path / "a.exr")
    with atomic_path(final) as tmp:
        open(tmp, "wb").write(b"done")
    assert (open(final, "rb").read(), os.listdir(tmp_path)) == (b"done", ["a.exr"])


def test_temp_name_is_hidden_and_not_a_frame(tmp_path):
    for frame in (1001, 1002):
        (tmp_path / f"sh010.{frame}.exr").write_bytes(b"x")
    tmp = temp_path_for(str(tmp_path / "sh010.1003.exr"))
    open(tmp, "wb").write(b"partial")
    assert os.path.basename(tmp).startswith(".sh010.1003.exr.tmp-")
    assert find_sequence(str(tmp_path / "sh010.####.exr")).frames == (1001, 1002)


class _FailingOutput:
    """Stands in for oiio.ImageOutput: writes part of the file, then reports a failure (disk full)."""

    def open(self, path, spec):
        self.path = path
        return True

    def write_image(self, pixels):
        open(self.path, "wb").write(b"\x76\x2f\x31\x01partial")
        return False

    def geterror(self):
        return "No space left on device"

    def close(self):
        return True


class _FakeOIIO:
    class ImageOutput:
        @staticmethod
        def create(name):
            return _FailingOutput()

    ImageSpec = image_module.oiio.ImageSpec


def test_write_exr_failure_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(image_module, "oiio", _FakeOIIO)
    box = Box(0, 0, 4, 2)
    final = str(tmp_path / "sh010.1001.exr")
    with pytest.raises(BadInputError, match=r"sh010\.1001\.exr: writing failed \(No space left on device\)"):
        write_exr(final, np.zeros((2, 4, 1), np.float32), ["A"], box, box)
    assert os.listdir(tmp_path) == []


def test_write_exr_into_missing_folder_is_a_bad_input(tmp_path):
    box = Box(0, 0, 4, 2)
    with pytest.raises(BadInputError, match="does not exist; create it"):
        write_exr(str(tmp_path / "nope" / "a.exr"), np.zeros((2, 4, 1), np.float32), ["A"], box, box)
