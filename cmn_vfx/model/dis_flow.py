"""OpenCV DIS optical flow behind the provider interface (classical, not differentiable)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cmn_vfx.errors import BadInputError
from cmn_vfx.model.dis_numpy import PRESETS, backward_flow


class DISFlow(nn.Module):
    """Backward flow f(t->t-1) from cv2.DISOpticalFlow on 8-bit grey frames (cmn_vfx.model.dis_numpy).

    forward(src, prev_src): [B,3,H,W] float 0..1 sRGB each -> [B,2,H,W] float32 pixels,
    on src's device, with no gradient. Runs on the CPU, one image pair at a time.
    """

    differentiable = False

    def __init__(self, preset: str = "medium") -> None:
        super().__init__()
        if preset not in PRESETS:
            raise BadInputError(f"model config: dis_preset={preset!r} is unknown; use one of {', '.join(PRESETS)}")
        self.preset = preset

    @torch.no_grad()
    def forward(self, src: torch.Tensor, prev_src: torch.Tensor) -> torch.Tensor:
        hwc = lambda img: img.detach().float().permute(1, 2, 0).cpu().numpy()  # noqa: E731
        flows = [backward_flow(hwc(a), hwc(b), self.preset) for a, b in zip(src, prev_src)]
        return torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2).to(src.device).contiguous()
