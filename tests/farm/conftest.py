"""Farm test fixtures: a tiny random-weight checkpoint, a 12-frame plate, a shot spec."""
from __future__ import annotations

import pytest
from farm_helpers import make_plate, write_spec


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> str:
    """A random-weight CMN small enough for CPU tests (MobileNetV2 encoder, DIS flow, narrow decoder).

    At default init the recurrent state barely moves the alpha (below half precision),
    which would make seam tests pass vacuously; scaling the context-motion operator
    x8 and the decoders x5 makes a fresh start differ by ~0.07 mean alpha from the
    sequential state (measured), so a missing warm-up is caught.
    """
    import torch
    from cmn_vfx.model import ModelConfig, build_model, save_checkpoint
    torch.manual_seed(0)
    model = build_model(ModelConfig(encoder="mobilenetv2", flow="dis", width=4, context=8, dis_preset="ultrafast"),
                        load_weights=False)
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.mul_(8.0 if name.startswith("operator") else 5.0 if name.startswith("decoder") else 1.0)
    path = str(tmp_path_factory.mktemp("model") / "tiny.pt")
    save_checkpoint(path, model, {})
    return path


@pytest.fixture(scope="session")
def plate(tmp_path_factory) -> str:
    return make_plate(str(tmp_path_factory.mktemp("plate")))


@pytest.fixture
def spec_path(tmp_path, plate) -> str:
    """A spec without a model run: 12 frames, chunks of 4 (for plan/submit-only tests)."""
    return write_spec(str(tmp_path / "shot.yaml"), plate=plate, output=str(tmp_path / "out"),
                      frames="1001-1012", chunk_size=4)
