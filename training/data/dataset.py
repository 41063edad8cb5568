"""MattingDataset: foreground clips over background clips, augmented, as torch samples.

A sample (docs/contracts.md, "Training samples"):
    src  [T,3,H,W] float 0..1 sRGB, src = blend(fgr, pha, bgr) before compression noise
         (cmn_vfx_training.augment.blend: linear light by default, or sRGB values)
    pha  [T,1,H,W] 0..1;  fgr [T,3,H,W] 0..1 sRGB;  bgr [T,3,H,W] 0..1 sRGB
    prior [T,1,H,W] 0..1           (data.prior != none)
    flow [T,2,H,W] pixels t->t-1, flow_valid [] 1.0/0.0 (data.flow; zeros + 0.0 when unknown)

Randomness: with ``fixed`` the clip is a pure function of (seed, idx). Otherwise
the generator is also seeded from torch's global RNG, which DataLoader seeds per
worker and cmn_vfx_training.sampling.SeededClips seeds per draw (so resumed runs repeat).
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from cmn_vfx.synth.footage import fit_to_canvas
from cmn_vfx_training.augment import augment_sample
from cmn_vfx_training.data.backgrounds import to_unit
from cmn_vfx_training.data.config import DataConfig
from cmn_vfx_training.data.crowd import add_person, fault_prior
from cmn_vfx_training.data.simulated_prior import simulate_prior


class MattingDataset(Dataset):
    """Weighted foreground sources x weighted background sources -> T-frame samples."""

    def __init__(self, cfg: DataConfig, foregrounds: list, fg_weights: list[float],
                 backgrounds: list, bg_weights: list[float]) -> None:
        self.cfg = cfg
        self.foregrounds, self.backgrounds = foregrounds, backgrounds
        self.fg_p = np.asarray(fg_weights, np.float64) / np.sum(fg_weights)
        self.bg_p = np.asarray(bg_weights, np.float64) / np.sum(bg_weights)
        self._prior = None  # the real person prior, loaded per process on first use

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state['_prior'] = None  # a litert interpreter does not pickle; workers load their own
        return state

    def __len__(self) -> int:
        return self.cfg.length

    def rng(self, idx: int) -> np.random.Generator:
        parts = [self.cfg.seed, idx]
        if not self.cfg.fixed:
            parts.append(int(torch.randint(0, 2 ** 62, (1,))))
        return np.random.default_rng(parts)

    def clip(self, idx: int) -> dict:
        """The sample as numpy arrays [T,H,W,C] (before the torch layout)."""
        rng = self.rng(idx)
        t = self.cfg.seq_length
        canvas = (self.cfg.size[1], self.cfg.size[0])
        fg = self.foregrounds[rng.choice(len(self.foregrounds), p=self.fg_p)].sample(rng, t, canvas)
        if self.cfg.extra_person and rng.random() < self.cfg.extra_person:
            fg = add_person(fg, self.foregrounds[rng.choice(len(self.foregrounds), p=self.fg_p)].sample(rng, t, canvas),
                            rng)
        bg_source = self.backgrounds[rng.choice(len(self.backgrounds), p=self.bg_p)]
        frames = bg_source.sample(rng, t, raw=True) if getattr(bg_source, 'raw_frames', False) else bg_source.sample(rng, t)
        bgr = _fit_background(frames, canvas, rng)
        if fg.camera is not None:
            import cv2

            bgr = np.stack([cv2.warpAffine(b, m[:2], canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
                            for b, m in zip(bgr, fg.camera)])
        sample = {'fgr': fg.fgr, 'pha': fg.pha, 'bgr': bgr}
        if self.cfg.flow:
            sample['flow'] = fg.flow if fg.flow is not None else np.zeros(fg.pha.shape + (2,), np.float32)
        sample = augment_sample(sample, self.cfg.augment, rng)
        if self.cfg.flow:
            sample['flow_valid'] = np.float32(fg.flow is not None)
        if self.cfg.prior != 'none':
            real = self.cfg.prior == 'real' or (self.cfg.prior == 'mixed' and fg.real_person)
            sample['prior'] = self.real_prior(sample['src']) if real else simulate_prior(sample['pha'], rng)
            if self.cfg.prior_faults and rng.random() < self.cfg.prior_faults:
                kinds = self.cfg.fault_kinds
                sample['prior'] = fault_prior(sample['prior'], rng, kinds[int(rng.integers(len(kinds)))])
        return sample

    def real_prior(self, src: np.ndarray) -> np.ndarray:
        """cmn_vfx.prior on every frame: src [T,H,W,3] 0..1 sRGB -> [T,H,W] 0..1."""
        if self._prior is None:
            from cmn_vfx.prior import load_prior

            self._prior = load_prior(self.cfg.prior_model)
        track = self._prior.new_track()  # the clip's frames in order, as the engine runs them
        return np.stack([track.update(self._prior.observe(np.ascontiguousarray(frame)))
                         for frame in src]).astype(np.float32)

    def __getitem__(self, idx: int) -> dict:
        return to_tensors(self.clip(idx))


def _fit_background(frames, canvas: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Random zoom (a window of 60-100% of the frame), then fit to the canvas; [T,H,W,3] float32. frames:
    [T,h,w,3] float32 0..1, or T uint8 frames (converted after the crop: the same values, 2x faster clips)."""
    h, w = frames[0].shape[:2]
    zoom = rng.uniform(0.6, 1.0)
    ch, cw = max(8, int(h * zoom)), max(8, int(w * zoom))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    return np.stack([fit_to_canvas(to_unit(f[y:y + ch, x:x + cw]), canvas) for f in frames]).astype(np.float32)


def to_tensors(sample: dict) -> dict:
    """numpy [T,H,W,C] / [T,H,W] arrays -> torch [T,C,H,W] float32 (scalars stay scalars)."""
    out = {}
    for key, value in sample.items():
        arr = np.asarray(value, np.float32)
        if arr.ndim == 3:
            arr = arr[..., None]
        out[key] = torch.from_numpy(np.ascontiguousarray(arr.transpose(0, 3, 1, 2)) if arr.ndim == 4 else arr)
    return out
