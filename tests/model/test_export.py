"""The per-frame step of the PWC-Net path deploys: torch.jit.trace and torch.export (fixed size,
.pt2 save/load round trip) both give the eager outputs."""
import pytest
import torch

from cmn_vfx.model import build_model
from tests.model.conftest import tiny


class Step(torch.nn.Module):
    """forward() with an explicit state, the shape tracing and deployment need."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, src, prev_src, h, fea):
        return self.model(src, prev_src, (h, fea))


@pytest.fixture
def step_case():
    """(Step module, its inputs (src1, src0, h, fea), the eager outputs) for a tiny full model."""
    torch.manual_seed(4)
    model = build_model(tiny()).eval()
    src0, src1 = torch.rand(1, 3, 48, 64), torch.rand(1, 3, 48, 64)
    with torch.no_grad():
        _, _, (h, fea) = model(src0)
        step = Step(model)
        return step, (src1, src0, h, fea), step(src1, src0, h, fea)


def _assert_same(got, want):
    assert got[0].shape == (1, 1, 48, 64) and len(got) == 3 and len(got[2]) == 2
    for a, b in ((got[0], want[0]), (got[1], want[1]), (got[2][0], want[2][0]), (got[2][1], want[2][1])):
        assert torch.allclose(a, b, atol=1e-5)


def test_jit_trace_of_the_step_matches_eager(step_case):
    step, inputs, eager = step_case
    with torch.no_grad():
        traced = torch.jit.trace(step, inputs, check_trace=False)
        _assert_same(traced(*inputs), eager)


def test_torch_export_of_the_step_matches_eager(step_case, tmp_path):
    step, inputs, eager = step_case
    program = torch.export.export(step, inputs)
    torch.export.save(program, tmp_path / "step.pt2")
    loaded = torch.export.load(tmp_path / "step.pt2").module()
    with torch.no_grad():
        _assert_same(loaded(*inputs), eager)
