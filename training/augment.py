"""Data augmentation as in the paper (section 3, "Data augmentation").

Samples are dicts of numpy arrays, all frames of a clip share one draw of every
random parameter (so augmentation never adds flicker):
``fgr``/``bgr``/``src`` [T,H,W,3] float32 0..1 sRGB, ``pha`` [T,H,W] 0..1,
``flow`` [T,H,W,2] pixels (optional).

Before compositing (they keep src = blend(fgr, pha, bgr) exact): colour jitter of
the foreground, gamma on alpha, horizontal flip, random crop.
After compositing (they change src only, on purpose): JPEG noise, H.264 noise.

Compositing (``blend``): 'linear' (default) blends in linear light and encodes back to sRGB,
``src = enc(pha*dec(fgr) + (1-pha)*dec(bgr))``, which is how a camera records hair, motion blur
and defocus, and how cmn_vfx.sample_shot and every real plate are made; 'srgb' blends the
encoded values as the paper and RobustVideoMatting do (VideoMatte240K composites). A model
trained on 'srgb' blends sees real soft edges as more background than they are and mattes
them too thin (measured in cmn_vfx/models/default.md).

Reading of the paper's colour jitter: brightness and contrast are factors in
[0.85, 1.15], saturation a factor in [0.7, 1.3]; "hue in [0.9, 1.1]" is read as a
hue rotation of (factor - 1) turns, i.e. +-0.1 of a turn (+-36 degrees), the
closest meaning torchvision's ColorJitter(hue=0.1) has.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np

from cmn_vfx.synth.render import composite

GRAY = np.array([0.299, 0.587, 0.114], np.float32)


@dataclass
class AugmentConfig:
    """Ranges and probabilities (YAML: ``data.augment``)."""

    crop: int = 384                                  # square crop side; 0 = no crop
    flip: float = 0.5                                # probability of a horizontal flip
    jitter: float = 1.0                              # probability of foreground colour jitter
    brightness: tuple[float, float] = (0.85, 1.15)
    contrast: tuple[float, float] = (0.85, 1.15)
    hue: tuple[float, float] = (-0.1, 0.1)           # turns (paper: 0.9..1.1 as factor - 1)
    saturation: tuple[float, float] = (0.7, 1.3)
    gamma: float = 0.5                               # probability of gamma on alpha
    gamma_range: tuple[float, float] = (0.2, 2.0)
    jpeg: float = 0.5                                # probability of JPEG noise
    jpeg_quality: tuple[int, int] = (70, 100)
    h264: float = 0.25                               # probability of H.264 noise
    h264_crf: tuple[int, int] = (15, 35)
    blend: str = 'linear'                            # 'linear' light or 'srgb' encoded values

    def __post_init__(self) -> None:
        if self.blend not in ('linear', 'srgb'):
            raise ValueError(f"augment.blend={self.blend!r}: use 'linear' or 'srgb'")

    @classmethod
    def from_dict(cls, d: dict | None) -> 'AugmentConfig':
        d = dict(d or {})
        for key in ('brightness', 'contrast', 'hue', 'saturation', 'gamma_range', 'jpeg_quality', 'h264_crf'):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**d)


# ---------------------------------------------------------------- before compositing
def jitter_colour(fgr: np.ndarray, brightness: float, contrast: float, hue: float, saturation: float) -> np.ndarray:
    """Colour jitter of a foreground clip [T,H,W,3] 0..1 sRGB; hue in turns. Same for every frame."""
    out = fgr * brightness
    mean = float((out @ GRAY).mean())
    out = np.clip((out - mean) * contrast + mean, 0, 1)
    gray = (out @ GRAY)[..., None]
    out = np.clip(gray + (out - gray) * saturation, 0, 1).astype(np.float32)
    if hue:
        hsv = cv2.cvtColor(out.reshape(-1, out.shape[-2], 3), cv2.COLOR_RGB2HSV)
        hsv[..., 0] = np.mod(hsv[..., 0] + 360.0 * hue, 360.0)
        out = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).reshape(fgr.shape)
    return np.clip(out, 0, 1).astype(np.float32)


def gamma_alpha(pha: np.ndarray, gamma: float) -> np.ndarray:
    """pha ** gamma (0 and 1 stay put; soft values move)."""
    return np.power(pha, gamma, dtype=np.float32)


def flip(sample: dict) -> dict:
    """Horizontal flip of every image in the sample; flow x is negated."""
    out = {k: (np.ascontiguousarray(v[:, :, ::-1]) if isinstance(v, np.ndarray) else v) for k, v in sample.items()}
    if out.get('flow') is not None:
        out['flow'][..., 0] *= -1
    return out


def crop(sample: dict, y: int, x: int, height: int, width: int) -> dict:
    """Crop every image of the sample to [y:y+height, x:x+width] (flow values unchanged)."""
    return {k: (np.ascontiguousarray(v[:, y:y + height, x:x + width]) if isinstance(v, np.ndarray) else v)
            for k, v in sample.items()}


# ---------------------------------------------------------------- after compositing
def jpeg_noise(src: np.ndarray, quality: int) -> np.ndarray:
    """Re-encode every frame [T,H,W,3] as JPEG at ``quality`` (70..100 in the paper)."""
    out = np.empty_like(src)
    for i, frame in enumerate(src):
        ok, data = cv2.imencode('.jpg', np.round(frame[:, :, ::-1] * 255).astype(np.uint8),
                                [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        out[i] = cv2.imdecode(data, cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32) / 255.0
    return out


def h264_noise(src: np.ndarray, crf: int) -> np.ndarray:
    """Encode the clip [T,H,W,3] with libx264 (yuv420p, constant rate factor ``crf``) and decode it back."""
    import av

    t, h, w, _ = src.shape
    ph, pw = h + h % 2, w + w % 2  # yuv420p needs even sizes
    frames = np.round(src * 255).astype(np.uint8)
    if (ph, pw) != (h, w):
        frames = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode='edge')
    buf = io.BytesIO()
    with av.open(buf, 'w', format='mp4') as container:
        stream = container.add_stream('libx264', rate=24)
        stream.width, stream.height, stream.pix_fmt = pw, ph, 'yuv420p'
        stream.options = {'crf': str(int(crf)), 'preset': 'ultrafast', 'threads': '1'}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    buf.seek(0)
    with av.open(buf) as container:
        decoded = [f.to_ndarray(format='rgb24') for f in container.decode(video=0)]
    out = np.stack(decoded[:t]).astype(np.float32)[:, :h, :w] / 255.0
    return out


# ---------------------------------------------------------------- the pipeline
def augment_layers(sample: dict, cfg: AugmentConfig, rng: np.random.Generator) -> dict:
    """Foreground/alpha/geometry augmentation before compositing (keeps I = aF + (1-a)B)."""
    s = dict(sample)
    if rng.random() < cfg.flip:
        s = flip(s)
    if cfg.crop:  # crop first: the colour work below then runs on fewer pixels
        h, w = s['pha'].shape[1:3]
        ch, cw = min(cfg.crop, h), min(cfg.crop, w)
        s = crop(s, int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw)
    if rng.random() < cfg.jitter:
        s['fgr'] = jitter_colour(s['fgr'], rng.uniform(*cfg.brightness), rng.uniform(*cfg.contrast),
                                 rng.uniform(*cfg.hue), rng.uniform(*cfg.saturation))
    if rng.random() < cfg.gamma:
        s['pha'] = gamma_alpha(s['pha'], float(np.exp(rng.uniform(*np.log(cfg.gamma_range)))))
    return s


def srgb_decode(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded 0..1 -> linear light (the piecewise IEC 61966-2-1 curve)."""
    return np.where(x <= 0.04045, x / 12.92, ((np.maximum(x, 0.04045) + 0.055) / 1.055) ** 2.4).astype(np.float32)


def srgb_encode(x: np.ndarray) -> np.ndarray:
    """Linear light 0..1 -> sRGB-encoded (inverse of srgb_decode)."""
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.maximum(x, 0.0031308) ** (1 / 2.4) - 0.055).astype(np.float32)


def blend(fgr: np.ndarray, pha: np.ndarray, bgr: np.ndarray, mode: str = 'linear') -> np.ndarray:
    """src from sRGB-encoded layers: blended in linear light ('linear') or as encoded values ('srgb')."""
    if mode == 'srgb':
        return composite(fgr, pha, bgr)
    return srgb_encode(composite(srgb_decode(fgr), pha, srgb_decode(bgr)))


def augment_sample(sample: dict, cfg: AugmentConfig, rng: np.random.Generator) -> dict:
    """Layers augmentation, then compositing (src), then compression noise on src only."""
    s = augment_layers(sample, cfg, rng)
    s['src'] = blend(s['fgr'], s['pha'], s['bgr'], cfg.blend)
    if rng.random() < cfg.jpeg:
        s['src'] = jpeg_noise(s['src'], int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)))
    if rng.random() < cfg.h264:
        s['src'] = h264_noise(s['src'], int(rng.integers(cfg.h264_crf[0], cfg.h264_crf[1] + 1)))
    return s
