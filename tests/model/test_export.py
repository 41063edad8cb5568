"""The per-frame step of the PWC-Net path traces with torch.jit.trace and gives the same output."""
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


def test_jit_trace_of_the_step_matches_eager():
    torch.manual_seed(4)
    model = build_model(tiny()).eval()
    src0, src1 = torch.rand(1, 3, 48, 64), torch.rand(1, 3, 48, 64)
    with torch.no_grad():
        _, _, (h, fea) = model(src0)
        step = Step(model)
        traced = torch.jit.trace(step, (src1, src0, h, fea), check_trace=False)
        eager = step(src1, src0, h, fea)
        again = traced(src1, src0, h, fea)
    assert len(again) == 3 and len(again[2]) == 2
    assert torch.allclose(again[0], eager[0], atol=1e-5) and torch.allclose(again[1], eager[1], atol=1e-5)
    assert torch.allclose(again[2][0], eager[2][0], atol=1e-5)
