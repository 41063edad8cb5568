"""PWC-Net learns: a few hundred steps on translated textures at 64x64 bring the EPE below 1 px.

Slow on a shared CPU (minutes), so it runs only with CMN_SLOW_TESTS=1. Uses a reduced-width
PWC-Net (pwc_width=0.125): the layout is the published one, the channels are 1/8.
"""
import os

import pytest
import torch
import torch.nn.functional as F

from cmn_vfx.model.pwcnet import PWCNet

pytestmark = pytest.mark.skipif(not os.environ.get("CMN_SLOW_TESTS"), reason="slow: set CMN_SLOW_TESTS=1")


def translated_pairs(n: int, g: torch.Generator, size: int = 64, maxd: int = 4):
    """(src, prev_src, flow): prev_src is src's texture shifted by an integer (dx, dy); flow = (dx, dy)."""
    coarse = torch.rand(n, 3, (size + 2 * maxd) // 4 + 2, (size + 2 * maxd) // 4 + 2, generator=g)
    tex = F.interpolate(coarse, scale_factor=4, mode="bicubic", align_corners=False).clamp(0, 1)
    d = torch.randint(-maxd, maxd + 1, (n, 2), generator=g)
    src = tex[:, :, maxd:maxd + size, maxd:maxd + size]
    prev = torch.stack([tex[i, :, maxd + dy:maxd + dy + size, maxd + dx:maxd + dx + size]
                        for i, (dx, dy) in enumerate(d.tolist())])
    flow = d.float().view(n, 2, 1, 1).expand(n, 2, size, size)
    return src, prev, flow


def test_pwcnet_learns_translations():
    torch.manual_seed(0)
    net = PWCNet(0.125)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    g = torch.Generator().manual_seed(1)
    test_src, test_prev, test_flow = translated_pairs(16, torch.Generator().manual_seed(99))
    for _ in range(300):
        src, prev, flow = translated_pairs(4, g)
        loss = (net(src, prev) - flow).norm(dim=1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        epe = float((net(test_src, test_prev) - test_flow).norm(dim=1).mean())
    assert epe < 1.0
