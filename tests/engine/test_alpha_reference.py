"""The speed issue's guard: every optimisation keeps the shipped model's alpha within 1e-3 (mean) of the
path it replaced. The reference is the engine's alpha on a small sample shot, stored when it was
last changed on purpose:

    .venv/bin/python tests/engine/test_alpha_reference.py --write      # after a deliberate change only

`alpha_t0` (temporal stabilisation off) was written at the commit that moved refinement into the writer
thread (alpha bit-identical to the start of that session's speed work: table colour conversion, OpenCV half
conversions, fg estimate, BLAS threads). `alpha` is the default path since the temporal stabilisation
(cmn_vfx.engine.stabilise, 2026-12-05), written with --write then.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

REFERENCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "engine_alpha_reference.npz")
SIZE, FRAMES = (320, 180), 6


def engine_alpha(workdir: str, runtime: str, temporal: float | None = None) -> np.ndarray:
    """[FRAMES,H,W] alpha of `cmn-matte run --model default [--temporal T]` on the sample shot at SIZE."""
    from cmn_vfx.engine import MatteEngine
    from cmn_vfx.io.image import read_image
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.layout import OutputLayout
    from cmn_vfx.sample_shot import build_sample_shot
    from engine_helpers import engine_spec
    paths = build_sample_shot(os.path.join(workdir, "shot"), frames=FRAMES, size=SIZE)
    seq = find_sequence(paths["plate"])
    out = os.path.join(workdir, f"out_{runtime}_{temporal}")
    extra = {} if temporal is None else {"temporal": temporal}
    spec = engine_spec(device="cpu", runtime=runtime, threads=2, **extra)
    MatteEngine(spec).run(spec, seq, out, seq.name, progress=False)
    layout = OutputLayout(out, seq.name, seq.padding)
    return np.stack([read_image(layout.alpha_path(f)).pixels[..., 0] for f in seq.frames])


@pytest.mark.parametrize("runtime,temporal", [("onnx", None), ("torch", None), ("onnx", 0.0)])
def test_the_default_models_alpha_stays_within_1e3_of_the_reference(tmp_path, runtime, temporal):
    want = np.load(REFERENCE)["alpha" if temporal is None else "alpha_t0"].astype(np.float32)
    got = engine_alpha(str(tmp_path), runtime, temporal)
    assert got.shape == want.shape
    per_frame = np.abs(got - want).mean(axis=(1, 2))
    assert per_frame.max() < 1e-3, per_frame
    assert 0.05 < float(want.mean()) < 0.95 and want.std() > 0.2       # a real matte, not a blank


def test_an_acescg_plate_through_the_matrix_tables_stays_within_1e3_of_ocio(tmp_path, monkeypatch):
    """ACEScg half plates convert by a matrix and half tables (cmn_vfx.color.matrix_path), within 2e-4 of
    OCIO per pixel; the alpha that comes out must stay within 1e-3 of the OCIO path's."""
    from cmn_vfx import color
    from cmn_vfx.engine import MatteEngine
    from cmn_vfx.io.image import read_image, read_rgb, write_exr
    from engine_helpers import engine_spec
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.layout import OutputLayout
    from cmn_vfx.sample_shot import build_sample_shot
    paths = build_sample_shot(str(tmp_path / "shot"), frames=4, size=SIZE)
    seq = find_sequence(paths["plate"])
    os.makedirs(tmp_path / "aces")
    for f in seq.frames:
        img = read_rgb(seq.path(f))
        aces = color.convert(img.pixels, "lin_rec709", "ACEScg")
        write_exr(str(tmp_path / "aces" / f"p.{f}.exr"), aces, ("R", "G", "B"), img.data_window, img.display_window,
                  {"oiio:ColorSpace": "ACEScg"})
    plate = find_sequence(str(tmp_path / "aces" / "p.####.exr"))
    assert color.matrix_path(color.check_colorspace("ACEScg")) is not None

    def alpha(out: str) -> np.ndarray:
        spec = engine_spec(device="cpu", runtime="onnx", threads=2)
        MatteEngine(spec).run(spec, plate, out, "p", progress=False)
        layout = OutputLayout(out, "p", plate.padding)
        return np.stack([read_image(layout.alpha_path(f)).pixels[..., 0] for f in plate.frames])
    tables = alpha(str(tmp_path / "tables"))
    monkeypatch.setattr(color, "to_network_half", lambda half, space: None)     # OCIO on every pixel
    ocio = alpha(str(tmp_path / "ocio"))
    assert np.abs(tables - ocio).mean(axis=(1, 2)).max() < 1e-3
    assert ocio.std() > 0.2


def test_a_10_bit_dpx_plate_through_the_code_table_gives_the_ocio_paths_alpha_to_the_bit(tmp_path, monkeypatch):
    """10-bit Cineon DPX plates convert by a table per 16-bit code (cmn_vfx.color.to_network_codes), exactly
    to_network's values: the engine's alpha is bit-identical to the OCIO path's."""
    import OpenImageIO as oiio
    from cmn_vfx import color
    from cmn_vfx.engine import MatteEngine
    from cmn_vfx.io.image import read_image, read_rgb
    from engine_helpers import engine_spec
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.layout import OutputLayout
    from cmn_vfx.sample_shot import build_sample_shot
    paths = build_sample_shot(str(tmp_path / "shot"), frames=3, size=SIZE)
    seq = find_sequence(paths["plate"])
    os.makedirs(tmp_path / "dpx")
    for f in seq.frames:
        code = color.convert(read_rgb(seq.path(f)).pixels, "lin_rec709", color.CINEON)
        spec = oiio.ImageSpec(SIZE[0], SIZE[1], 3, "uint16")
        spec.attribute("oiio:BitsPerSample", 10)
        out = oiio.ImageOutput.create(str(tmp_path / "dpx" / f"p.{f}.dpx"))
        assert out.open(str(tmp_path / "dpx" / f"p.{f}.dpx"), spec) and out.write_image(np.clip(code, 0, 1))
        out.close()
    plate = find_sequence(str(tmp_path / "dpx" / "p.####.dpx"))

    def alpha(out: str) -> np.ndarray:
        spec = engine_spec(device="cpu", runtime="onnx", threads=2, colorspace=color.CINEON)
        MatteEngine(spec).run(spec, plate, out, "p", progress=False)
        layout = OutputLayout(out, "p", plate.padding)
        return np.stack([read_image(layout.alpha_path(f)).pixels[..., 0] for f in plate.frames])
    calls = []
    real = color.to_network_codes
    monkeypatch.setattr(color, "to_network_codes", lambda codes, space: calls.append(space) or real(codes, space))
    tables = alpha(str(tmp_path / "tables"))
    assert calls and all(c == color.CINEON for c in calls)              # the table path ran
    monkeypatch.setattr(color, "to_network_codes", lambda codes, space: None)     # OCIO on every pixel
    ocio = alpha(str(tmp_path / "ocio"))
    assert np.array_equal(tables, ocio) and ocio.std() > 0.2


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        alpha, alpha_t0 = engine_alpha(tmp, "onnx"), engine_alpha(tmp, "onnx", 0.0)
    np.savez_compressed(REFERENCE, alpha=alpha.astype(np.float16), alpha_t0=alpha_t0.astype(np.float16))
    print(f"wrote {REFERENCE}: {alpha.shape}, mean {alpha.mean():.4f}; off: mean |difference| per frame "
          f"{np.abs(alpha - alpha_t0).mean(axis=(1, 2)).round(5)}")
