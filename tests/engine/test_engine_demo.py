"""make demo without a bundled model: a clear error naming the training command, exit 2."""
from __future__ import annotations

import numpy as np

from cmn_vfx import demo


def test_demo_names_the_missing_model_and_how_to_make_it(tmp_path, capsys):
    assert demo.main(["--out", str(tmp_path / "demo"), "--model", "no_such_bundled_model"]) == 2
    err = capsys.readouterr().err
    assert "no_such_bundled_model.pt does not exist" in err and "cmn-train" in err
    assert not (tmp_path / "demo").exists()


def test_checkerboard():
    board = demo.checkerboard(4, 6, square=2)
    assert board.shape == (4, 6, 3)
    np.testing.assert_array_equal(board[0, :, 0], np.float32([0.18, 0.18, 0.05, 0.05, 0.18, 0.18]))
