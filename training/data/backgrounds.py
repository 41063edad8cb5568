"""Background clips: a folder of videos, image-sequence folders and still images.

Nothing is opened until a window is asked for (DataLoader workers open their own
files). Videos are read in decode order with PyAV, because some AVIs cannot seek
reliably; with ``cache_dir`` each video is decoded once into JPEG frames (an
atomic directory rename, so parallel workers may race safely) and read by random
access afterwards.

Each video is split in time so validation never sees training frames: 'train'
uses the first 65% of its frames, 'val' the last 30% (a 5% gap between them). Videos
named in training/data/splits.VALIDATION_VIDEOS are on the validation side only: the
'train' split skips them.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field

import cv2
import numpy as np

from cmn_vfx.synth.footage import read_video_frames
from cmn_vfx.errors import BadInputError
from cmn_vfx_training.data.splits import is_validation_video

VIDEO_EXTS = ('.avi', '.mp4', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg')
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
SPLITS = {'train': (0.0, 0.65), 'val': (0.70, 1.0), 'all': (0.0, 1.0)}


def _extract_video(path: str, cache_dir: str, max_side: int | None) -> str:
    """Decode a video once into cache_dir/<name>_<hash>/NNNNNN.jpg (longer side at most
    ``max_side``); returns that folder."""
    st = os.stat(path)
    key = hashlib.sha1(f'{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns}:{max_side}'.encode()).hexdigest()[:10]
    final = os.path.join(cache_dir, f'{os.path.basename(path)}_{key}')
    if os.path.isdir(final):
        return final
    os.makedirs(cache_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=cache_dir, prefix='.extract_')
    try:
        for idx, rgb in enumerate(read_video_frames(path)):
            if max_side and max(rgb.shape[:2]) > max_side:
                s = max_side / max(rgb.shape[:2])
                rgb = cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_AREA)
            cv2.imwrite(os.path.join(tmp, f'{idx:06d}.jpg'), rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
        os.rename(tmp, final)
    except OSError:
        if not os.path.isdir(final):
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


@dataclass
class _Item:
    path: str
    kind: str                      # 'video' | 'sequence' | 'still'
    frames: list = field(default_factory=list)  # image paths of a sequence
    count: int = 0                 # frames known (videos: counted on first use)


@dataclass
class BackgroundSource:
    """Random T-frame windows of real backgrounds, [T,h,w,3] float32 0..1 sRGB at source size
    (cached video frames: longer side at most ``max_side``; the paper used 720p)."""

    root: str
    split: str = 'train'
    cache_dir: str | None = None
    max_side: int | None = 1280
    _items: list = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise BadInputError(f'data.backgrounds.split={self.split!r}: use one of {sorted(SPLITS)}')
        if not os.path.isdir(self.root):
            raise BadInputError(f'{self.root}: background folder not found; set data.backgrounds.root')
        for name in sorted(os.listdir(self.root)):
            path = os.path.join(self.root, name)
            ext = os.path.splitext(name)[1].lower()
            if os.path.isdir(path):
                images = sorted(os.path.join(path, n) for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTS))
                if images:
                    self._items.append(_Item(path, 'sequence', images, len(images)))
            elif ext in VIDEO_EXTS:
                if self.split == 'train' and is_validation_video(path):
                    continue  # validation only (training/data/splits.py)
                self._items.append(_Item(path, 'video'))
            elif ext in IMAGE_EXTS:
                self._items.append(_Item(path, 'still', [path], 1))
        if not self._items:
            raise BadInputError(f'{self.root}: no background videos, image folders or images; '
                                f'add files ending in {VIDEO_EXTS + IMAGE_EXTS}')

    def __len__(self) -> int:
        return len(self._items)

    def _prepare(self, item: _Item) -> None:
        """Open a video on first use: extract to the cache, or count its frames."""
        if item.kind != 'video' or item.count:
            return
        if self.cache_dir:
            folder = _extract_video(item.path, self.cache_dir, self.max_side)
            item.frames = sorted(os.path.join(folder, n) for n in os.listdir(folder))
            item.kind, item.count = 'sequence', len(item.frames)
        else:
            import av

            with av.open(item.path) as container:
                item.count = sum(1 for p in container.demux(video=0) if p.size)
        if item.count == 0:
            raise BadInputError(f'{item.path}: no decodable frames; remove it from the background folder')

    def window_range(self, item_idx: int) -> tuple[int, int]:
        """[first, end) frame indices of item ``item_idx`` usable in this split."""
        item = self._items[item_idx]
        self._prepare(item)
        lo, hi = SPLITS[self.split]
        if item.kind == 'still':
            return 0, 1
        first, end = int(np.floor(lo * item.count)), int(np.ceil(hi * item.count))
        return first, max(end, first + 1)

    raw_frames = True              # sample(..., raw=True) gives uint8 frames (cmn_vfx_training.data.dataset crops them first)

    def read(self, item_idx: int, start: int, frames: int, raw: bool = False) -> np.ndarray | list:
        """Frames start..start+frames-1 of an item, clamped (held) at its end: [T,h,w,3] float32 0..1; raw:
        a list of T [h,w,3] uint8 RGB frames, for a caller that crops before converting (a 720p frame's
        float32 copy is 11 MB, and the training canvas keeps a small part of it)."""
        item = self._items[item_idx]
        self._prepare(item)
        if item.kind == 'still' or frames <= 0:
            images = [_read_rgb(item.frames[0])]
        elif item.kind == 'sequence':
            images = [_read_rgb(p) for p in item.frames[start:start + frames]]
        else:
            images = read_video_frames(item.path, start, frames)
        if not images:
            raise BadInputError(f'{item.path}: frame {start} could not be read; check the file decodes')
        images += [images[-1]] * (frames - len(images))
        images = images[:max(frames, 1)]
        return images if raw else np.stack([to_unit(f) for f in images])

    def sample(self, rng: np.random.Generator, frames: int, raw: bool = False) -> np.ndarray | list:
        """A random window of ``frames`` consecutive frames from a random item (raw: uint8 frames, as read)."""
        idx = int(rng.integers(len(self._items)))
        first, end = self.window_range(idx)
        start = int(rng.integers(first, max(first + 1, end - frames + 1)))
        return self.read(idx, start, frames, raw)


def to_unit(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 0..1 (float frames pass through)."""
    return rgb.astype(np.float32) / 255.0 if rgb.dtype == np.uint8 else rgb


def _read_rgb(path: str) -> np.ndarray:
    """[h,w,3] uint8 RGB."""
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise BadInputError(f'{path}: cannot read this background image; remove or replace it')
    return bgr[:, :, ::-1]


@dataclass
class ProceduralBackgrounds:
    """Endless animated backgrounds: smooth colour noise, blurred shapes and a drift."""

    real_person = False

    def sample(self, rng: np.random.Generator, frames: int, size: tuple[int, int] = (640, 360)) -> np.ndarray:
        w, h = size
        pad = w // 4
        big = cv2.resize(rng.uniform(0, 1, (6, 10, 3)).astype(np.float32), (w + 2 * pad, h + 2 * pad),
                         interpolation=cv2.INTER_CUBIC)
        for _ in range(int(rng.integers(3, 12))):
            colour = tuple(float(c) for c in rng.uniform(0, 1, 3))
            centre = (int(rng.integers(0, w + 2 * pad)), int(rng.integers(0, h + 2 * pad)))
            axes = (int(rng.integers(5, w // 3)), int(rng.integers(5, h // 3)))
            cv2.ellipse(big, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
        big = cv2.GaussianBlur(big, (0, 0), float(rng.uniform(0.5, 4.0)))
        big = np.clip(big + 0.02 * rng.standard_normal(big.shape, dtype=np.float32), 0, 1)
        vx, vy = rng.uniform(-pad / max(frames, 1), pad / max(frames, 1), 2) * 0.5
        return np.stack([big[pad + int(vy * t):pad + int(vy * t) + h, pad + int(vx * t):pad + int(vx * t) + w]
                         for t in range(frames)])
