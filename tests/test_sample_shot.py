"""The bundled sample shot: files, frame numbers, exact truth, determinism (tiny size)."""
import os

import numpy as np

from cmn_vfx.io.image import read_image
from cmn_vfx.sample_shot import build_sample_shot, main


def test_sample_shot_writes_exact_truth(tmp_path):
    out = str(tmp_path / 'shot')
    paths = build_sample_shot(out, frames=3, size=(64, 36))
    assert paths['frames'] == '1001-1003'
    for key in ('plate', 'alpha', 'fg'):
        assert sorted(os.listdir(os.path.dirname(paths[key]))) == [f'sample.{f}.exr' for f in (1001, 1002, 1003)]
    plate = read_image(paths['plate'].replace('####', '1002'))
    alpha = read_image(paths['alpha'].replace('####', '1002'))
    fg = read_image(paths['fg'].replace('####', '1002'))
    assert plate.pixels.shape == (36, 64, 3) and plate.channels == ('R', 'G', 'B')
    assert alpha.channels == ('A',) and fg.channels == ('R', 'G', 'B', 'A')
    assert plate.pixel_type == 'half' and 'oiio:ColorSpace' in plate.metadata
    a = alpha.pixels[..., 0]
    assert a.min() == 0.0 and a.max() == 1.0 and 0.1 < float(a.mean()) < 0.9
    assert np.array_equal(fg.pixels[..., 3], a)
    opaque = a == 1.0
    # where alpha is 1 the plate is the foreground; elsewhere plate - premultiplied fg = (1-a)B >= 0
    assert np.abs(plate.pixels[opaque] - fg.pixels[..., :3][opaque]).max() < 2e-3
    assert (plate.pixels - fg.pixels[..., :3]).min() > -2e-3
    assert plate.pixels.max() > 0.2  # linear values of a real daylight street, not black


def test_sample_shot_is_deterministic_and_has_a_cli(tmp_path, capsys):
    first = build_sample_shot(str(tmp_path / 'a'), frames=2, size=(48, 27))
    assert main(['--out', str(tmp_path / 'b'), '--frames', '2', '--size', '48x27']) == 0
    assert '1001-1002' in capsys.readouterr().out
    for key in ('plate', 'alpha'):
        a = read_image(first[key].replace('####', '1002')).pixels
        b = read_image(first[key].replace('####', '1002').replace(str(tmp_path / 'a'), str(tmp_path / 'b'))).pixels
        assert np.array_equal(a, b)
    assert main(['--out', str(tmp_path / 'c'), '--size', 'big']) == 2
