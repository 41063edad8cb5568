"""The engine's outputs: names, metadata, the premultiplied foreground, resume checks.

    OUT/alpha/<name>.<frame>.exr   channel A, half, zip, the plate's windows
    OUT/fg/<name>.<frame>.exr      R,G,B,A premultiplied, scene-linear (the plate's colourspace when
                                   that is scene-linear, else the OCIO scene_linear role), clamped to +-65504

Frame numbers and padding are the plate's. Every file carries the metadata
below; what makes a frame finished (resume, cmn-farm status) is cmn_vfx.finished.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

import cmn_vfx
from cmn_vfx.io.sequence import format_frame

ALPHA_CHANNELS = ("A",)
FG_CHANNELS = ("R", "G", "B", "A")
EXR_TAIL = ".exr"


@dataclass(frozen=True)
class OutputLayout:
    """Where one shot's frames go."""

    out_dir: str
    name: str
    padding: int

    def alpha_path(self, frame: int) -> str:
        return os.path.join(self.out_dir, "alpha", f"{self.name}.{format_frame(frame, self.padding)}{EXR_TAIL}")

    def fg_path(self, frame: int) -> str:
        return os.path.join(self.out_dir, "fg", f"{self.name}.{format_frame(frame, self.padding)}{EXR_TAIL}")

    @property
    def alpha_pattern(self) -> str:
        return os.path.join(self.out_dir, "alpha", f"{self.name}.{'#' * max(self.padding, 1)}{EXR_TAIL}")

    @property
    def fg_pattern(self) -> str:
        return os.path.join(self.out_dir, "fg", f"{self.name}.{'#' * max(self.padding, 1)}{EXR_TAIL}")

    def paths(self, frame: int) -> dict[str, str]:
        """{'alpha': path, 'fg': path} of one frame (what cmn_vfx.finished.read_frame takes)."""
        return {"alpha": self.alpha_path(frame), "fg": self.fg_path(frame)}


def settings_json(settings: Mapping[str, Any]) -> str:
    """Canonical JSON of the pixel-affecting settings (sorted keys, so equal settings give equal text)."""
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"))


def frame_metadata(model_name: str, sha256: str, source: str | None, source_frame: int | None,
                   settings: str, colorspace: str, source_id: str = "") -> dict[str, object]:
    """The cmn:* header attributes of one output frame (source None = a black frame for a hole)."""
    return {
        "cmn:model": model_name,
        "cmn:checkpoint_sha256": sha256,
        "cmn:version": cmn_vfx.__version__,
        "cmn:source": source or "",
        "cmn:source_frame": int(source_frame) if source_frame is not None else -1,
        "cmn:source_id": source_id,
        "cmn:settings": settings,
        "cmn:colorspace": colorspace,
    }


def quantise_alpha(pha: np.ndarray) -> np.ndarray:
    """Clamp to 0..1 and round through half, so the fg uses exactly the alpha that is written."""
    return np.clip(pha, 0.0, 1.0).astype(np.float16).astype(np.float32)


def premultiplied_fg(plate: np.ndarray, pha: np.ndarray, fgr_band: np.ndarray | None) -> np.ndarray:
    """The premultiplied foreground in the plate's colourspace.

    Args:
        plate: [H,W,3] float32 scene-linear plate (the data window).
        pha: [H,W] float32 alpha 0..1, already quantised (quantise_alpha).
        fgr_band: [N,3] the network's foreground, linearised into the plate's
            colourspace, for the N pixels where 0 < pha < 1 (row-major order);
            None to use the plate there too.
    Returns:
        [H,W,4] RGBA: plate x alpha (exactly the plate where alpha == 1, so
        highlights above 1.0 survive), fgr x alpha in the transition band.
    """
    rgba = np.empty(pha.shape + (4,), dtype=np.float32)
    np.multiply(plate, pha[..., None], out=rgba[..., :3])
    rgba[..., 3] = pha
    if fgr_band is not None and len(fgr_band):
        band = transition_band(pha)
        rgba[band, :3] = fgr_band * pha[band][:, None]
    return rgba


HALF_MAX = float(np.finfo(np.float16).max)   # 65504


def clamp_to_half(rgba: np.ndarray) -> int:
    """Clamp values beyond +-65504 in place (they would be Inf in a half EXR); return how many.

    Clamping, not a float fg: the fg stays half like the alpha (half the disk of float on every
    frame), and only plate values no display or comp grade resolves (e.g. 1e6 speculars) change.
    """
    over = np.abs(rgba) > HALF_MAX
    count = int(over.sum())
    if count:
        np.clip(rgba, -HALF_MAX, HALF_MAX, out=rgba)
    return count


def transition_band(pha: np.ndarray) -> np.ndarray:
    """[H,W] bool: pixels with 0 < alpha < 1 (where the network's foreground colour is used)."""
    return (pha > 0.0) & (pha < 1.0)
