"""A shot made ready to teach on: every frame at the engine's working size, with what never changes
while the heads learn computed once per frame.

    shot = read_shot(seq, frames, model, keys, colorspace="auto", layer=None)

The frames are read, colour-converted and resized by the engine's own reader (cmn_vfx.engine.reader:
the same working size, colour conversion and person prior as `cmn-matte run`), the person track runs
through the range as the engine runs it (reset at a cut), then per frame the frozen trunk's deep
features [f8, f16] and the backward DIS flow to the frame before, both on the frame padded to a multiple
of 16 exactly as CMN.forward pads it. Stored as fp16 (the training cache's format,
cmn_vfx_training.features): about 2.4 MB a frame at 512x288, whatever the plate's resolution.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from cmn_vfx.engine.cuts import CutDetector
from cmn_vfx.engine.matte import working_size
from cmn_vfx.engine.plan import Step
from cmn_vfx.engine.reader import FrameReader, first_geometry
from cmn_vfx.errors import BadInputError
from cmn_vfx.io.sequence import Sequence, resolve_frames
from cmn_vfx.job.names import CUT_THRESHOLD, MIN_SIZE
from cmn_vfx.model.cmn import CMN, pad16


@dataclass
class Shot:
    """Whole frames at the working size, padded to a multiple of 16 (H', W'), index i = frames[i].

    src [N,3,H',W'] 0..1 sRGB, prior [N,1,H',W'] 0..1, flow [N,2,H',W'] backward t->t-1 in pixels (zeros at
    i = 0 and at a cut), f8 [N,40,H'/8,W'/8], f16 [N,320,H'/16,W'/16]: all fp16. keys {i: [1,H',W'] float32 0..1};
    valid [1,H',W'] 1 on the frame's pixels, 0 on the padding. starts: indices where the state starts fresh.
    """

    frames: list[int]
    size: tuple[int, int]          # working (w, h)
    ratio: float
    colorspace: str
    src: torch.Tensor
    prior: torch.Tensor
    flow: torch.Tensor
    f8: torch.Tensor
    f16: torch.Tensor
    keys: dict[int, torch.Tensor]
    valid: torch.Tensor
    starts: list[int]

    def start_before(self, idx: int) -> int:
        """The fresh start (the range's first frame or a cut) at or before index idx."""
        return max(s for s in self.starts if s <= idx)

    def frame(self, idx: int, box: tuple[int, int, int, int] | None = None) -> dict[str, torch.Tensor]:
        """Frame idx as float32 [1,C,h,w] tensors (src, prior, flow, f8, f16): the whole padded frame, or
        box = (y, x, h, w), multiples of 16 (each feature map cut at its own stride)."""
        return {k: cut(getattr(self, k)[idx:idx + 1], box, STRIDES.get(k, 1)).float()
                for k in ("src", "prior", "flow", "f8", "f16")}


STRIDES = {"f8": 8, "f16": 16}


def cut(t: torch.Tensor, box: tuple[int, int, int, int] | None, stride: int = 1) -> torch.Tensor:
    """The box (y, x, h, w in frame pixels) of a [..., H, W] tensor whose grid has `stride`; None: all of it."""
    if box is None:
        return t
    y, x, h, w = box
    return t[..., y // stride:(y + h) // stride, x // stride:(x + w) // stride]


def working_geometry(seq: Sequence) -> tuple[dict, tuple[int, int], float]:
    """(plate geometry, working (w, h), ratio): the engine's rule for downsample 'auto'."""
    geometry = first_geometry(seq)
    window = geometry["data_box"]
    if window.width < MIN_SIZE or window.height < MIN_SIZE:
        raise BadInputError(f"{seq.hash_pattern}: the data window {window.width}x{window.height} is smaller than "
                            f"the network's minimum {MIN_SIZE}x{MIN_SIZE}; use a larger plate")
    w, h, ratio = working_size(window.width, window.height, "auto", MIN_SIZE)
    return geometry, (w, h), ratio


def read_shot(seq: Sequence, frames: list[int], model: CMN, keys: dict[int, np.ndarray], prior, geometry: dict,
              colorspace: str = "auto", layer: str | None = None, progress=None) -> Shot:
    """Read `frames` of the plate and cache what the fine-tune needs. keys: {frame: [H,W] at the plate's
    data window} (cmn_vfx.teach.keys); prior: the PersonPrior the model takes; progress(n) per frame."""
    window = geometry["data_box"]
    w, h, ratio = working_size(window.width, window.height, "auto", MIN_SIZE)
    colorspace = FrameReader.resolve_colorspace(seq, colorspace, geometry)
    reader = FrameReader(seq, colorspace, (w, h), prior, geometry, layer)
    sources = resolve_frames(seq, frames, "error")
    detector = CutDetector(CUT_THRESHOLD, True)
    src, priors, starts, track = [], [], [], None
    for idx, (frame, source) in enumerate(sources):
        frame_in = reader.read(Step(frame, source, True, idx == 0))
        if idx == 0 or detector.is_cut(frame_in.src):
            starts.append(idx)
            track = prior.new_track()
        src.append(frame_in.src.astype(np.float16))           # fp16 as read: float32 copies of a whole shot
        priors.append(track.update(frame_in.prior).astype(np.float16))   # cost ~9 MB a frame (bench/teach_memory.py)
        if progress:
            progress(1)
    as_tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    src_t = pad16(as_tensor(np.stack(src)).permute(0, 3, 1, 2))
    prior_t = pad16(as_tensor(np.stack(priors))[:, None])
    f8, f16, flows = _features(model, src_t, starts)
    valid = torch.zeros(1, *src_t.shape[-2:])
    valid[:, :h, :w] = 1
    key_t = {frames.index(f): pad16(as_tensor(key_at_size(a, (w, h)))[None, None])[0] for f, a in keys.items()}
    half = lambda t: t.to(torch.float16)  # noqa: E731
    return Shot(list(frames), (w, h), ratio, colorspace, half(src_t), half(prior_t), half(flows), half(f8), half(f16),
                key_t, valid, starts)


@torch.inference_mode()
def _features(model: CMN, src: torch.Tensor, starts: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The frozen trunk's [f8, f16] per frame and the backward flow of each frame pair (the model's own DIS)."""
    enc = model.encoder
    f8, f16, flows, before = [], [], [], None
    for i in range(len(src)):
        frame = src[i:i + 1].float()          # each fp16 frame back to float32 once
        a, b = enc.cached_features(frame)
        f8.append(a.half())
        f16.append(b.half())
        fresh = i in starts
        flows.append((torch.zeros(1, 2, *src.shape[-2:]) if fresh else model.flow(frame, before)).half())
        before = frame
    return torch.cat(f8), torch.cat(f16), torch.cat(flows)


def key_at_size(alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A key at the plate's data window -> the working size, as the reader resizes the plate (area)."""
    return alpha if alpha.shape[::-1] == size else cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)

