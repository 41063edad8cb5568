"""OpenCV DIS optical flow behind the provider interface (classical, not differentiable)."""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn

from cmn_vfx.errors import BadInputError

PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
           "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


class DISFlow(nn.Module):
    """Backward flow f(t->t-1) from cv2.DISOpticalFlow on 8-bit grey frames.

    forward(src, prev_src): [B,3,H,W] float 0..1 sRGB each -> [B,2,H,W] float32 pixels,
    on src's device, with no gradient. Runs on the CPU, one image pair at a time.
    """

    differentiable = False

    def __init__(self, preset: str = "medium") -> None:
        super().__init__()
        if preset not in PRESETS:
            raise BadInputError(f"model config: dis_preset={preset!r} is unknown; use one of {', '.join(PRESETS)}")
        self.preset = preset

    @staticmethod
    def _grey(img: torch.Tensor) -> np.ndarray:
        rgb = (img.detach().float().clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
        return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)

    @torch.no_grad()
    def forward(self, src: torch.Tensor, prev_src: torch.Tensor) -> torch.Tensor:
        dis = cv2.DISOpticalFlow_create(PRESETS[self.preset])
        flows = [dis.calc(self._grey(a), self._grey(b), None) for a, b in zip(src, prev_src)]
        return torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2).to(src.device).contiguous()
