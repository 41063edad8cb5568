"""The speed issue's guard: every optimisation keeps the shipped model's alpha within 1e-3 (mean) of the
path it replaced. The reference is the engine's alpha on a small sample shot, stored when it was
last changed on purpose:

    .venv/bin/python tests/engine/test_alpha_reference.py --write      # after a deliberate change only

Written at the commit that moved refinement into the writer thread (alpha bit-identical to the start of
that session's speed work: table colour conversion, OpenCV half conversions, fg estimate, BLAS threads).
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

REFERENCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "engine_alpha_reference.npz")
SIZE, FRAMES = (320, 180), 6


def engine_alpha(workdir: str, runtime: str) -> np.ndarray:
    """[FRAMES,H,W] alpha of `cmn-matte run --model default` on the sample shot at SIZE."""
    from cmn_vfx.engine import EngineConfig, MatteEngine, ShotJob
    from cmn_vfx.io.image import read_image
    from cmn_vfx.io.sequence import find_sequence
    from cmn_vfx.job.layout import OutputLayout
    from cmn_vfx.sample_shot import build_sample_shot
    paths = build_sample_shot(os.path.join(workdir, "shot"), frames=FRAMES, size=SIZE)
    seq = find_sequence(paths["plate"])
    out = os.path.join(workdir, f"out_{runtime}")
    MatteEngine(EngineConfig(device="cpu", runtime=runtime, threads=2)).run(
        ShotJob(seq, list(seq.frames), out, seq.name), progress=False)
    layout = OutputLayout(out, seq.name, seq.padding)
    return np.stack([read_image(layout.alpha_path(f)).pixels[..., 0] for f in seq.frames])


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
def test_the_default_models_alpha_stays_within_1e3_of_the_reference(tmp_path, runtime):
    want = np.load(REFERENCE)["alpha"].astype(np.float32)
    got = engine_alpha(str(tmp_path), runtime)
    assert got.shape == want.shape
    per_frame = np.abs(got - want).mean(axis=(1, 2))
    assert per_frame.max() < 1e-3, per_frame
    assert 0.05 < float(want.mean()) < 0.95 and want.std() > 0.2       # a real matte, not a blank


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        alpha = engine_alpha(tmp, "onnx")
    np.savez_compressed(REFERENCE, alpha=alpha.astype(np.float16))
    print(f"wrote {REFERENCE}: {alpha.shape}, mean {alpha.mean():.4f}")
