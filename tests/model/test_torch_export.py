"""The per-frame step of the PWC-Net path exports with torch.export (fixed size), equals eager, and
survives a save/load round trip as a .pt2 program (what a deployment would ship)."""
import torch

from cmn_vfx.model import build_model
from tests.model.conftest import tiny
from tests.model.test_export import Step


def test_torch_export_of_the_step_matches_eager(tmp_path):
    torch.manual_seed(4)
    model = build_model(tiny()).eval()
    src0, src1 = torch.rand(1, 3, 48, 64), torch.rand(1, 3, 48, 64)
    with torch.no_grad():
        _, _, (h, fea) = model(src0)
        step = Step(model)
        eager = step(src1, src0, h, fea)
    program = torch.export.export(step, (src1, src0, h, fea))
    torch.export.save(program, tmp_path / "step.pt2")
    loaded = torch.export.load(tmp_path / "step.pt2").module()
    with torch.no_grad():
        again = loaded(src1, src0, h, fea)
    assert again[0].shape == (1, 1, 48, 64) and len(again[2]) == 2
    for got, want in ((again[0], eager[0]), (again[1], eager[1]), (again[2][0], eager[2][0]), (again[2][1], eager[2][1])):
        assert torch.allclose(got, want, atol=1e-5)
