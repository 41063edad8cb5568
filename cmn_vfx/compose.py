"""Portrait still -> moving clip with exact ground truth (alpha, foreground, flow).

A still (sRGB image + alpha) is moved over a background with smooth motion
(translation, scale, small rotation of the subject, plus an optional camera
move applied to subject and background alike). Each frame is composited as
``src = pha * fgr + (1 - pha) * bgr``, so alpha and foreground are exact, and the
motion we apply is the exact backward optical flow of the foreground (t -> t-1).

numpy + OpenCV only (no torch): the sample shot and the training data share it.
Frames are rendered one at a time (memory-light): ``render_frame`` is the unit.

Conventions: images ``[H,W,C]`` float32; colours sRGB-encoded 0..1 unless a caller
linearises them; flow ``[H,W,2]`` float32 in pixels, (dx, dy), pointing from a
pixel in frame t to where the same foreground point was in frame t-1.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import cv2
import numpy as np

from cmn_vfx.errors import BadInputError


@dataclass
class Still:
    """A portrait still: ``fgr [H,W,3]`` float32 0..1 sRGB (foreground colour,
    defined everywhere) and ``pha [H,W]`` float32 0..1."""

    fgr: np.ndarray
    pha: np.ndarray
    name: str = ''
    anchor_xy: tuple[float, float] | None = None  # set when edges were extended (see extend_cut_edges)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.pha.shape[1], self.pha.shape[0]

    def subject_height(self) -> float:
        """Pixels from the top of the alpha (> 0.5) down to the anchor."""
        ys = np.nonzero(self.pha.max(axis=1) > 0.5)[0]
        return float(self.anchor()[1] - ys.min() + 1) if ys.size else float(self.pha.shape[0])

    def cut_at_bottom(self) -> bool:
        """True when the body continues below the anchor (the image cut it)."""
        row = min(int(self.anchor()[1]) + 1, self.pha.shape[0] - 1)
        return bool(self.pha[row].max() > 0.5)

    def anchor(self) -> tuple[float, float]:
        """Centre of the alpha's bounding box in x, bottom of it in y (where a
        portrait's shoulders are cut by the frame edge)."""
        if self.anchor_xy is not None:
            return self.anchor_xy
        ys, xs = np.nonzero(self.pha > 0.5)
        if xs.size == 0:
            return self.size[0] / 2.0, self.size[1] / 2.0
        return (xs.min() + xs.max()) / 2.0, float(ys.max())


# ---------------------------------------------------------------- foreground colour
def estimate_foreground(image: np.ndarray, pha: np.ndarray, cache_path: str | None = None) -> np.ndarray:
    """Foreground colour from an image and its alpha (pymatting's estimate_foreground_ml).

    image: [H,W,3] float 0..1 sRGB; pha: [H,W] float 0..1. Returns [H,W,3] float32 0..1.
    With ``cache_path`` the result is stored as a 16-bit PNG and reused next time.
    """
    if cache_path and os.path.isfile(cache_path):
        cached = cv2.imread(cache_path, cv2.IMREAD_UNCHANGED)
        if cached is not None and cached.shape[:2] == pha.shape:
            return cached[:, :, ::-1].astype(np.float32) / 65535.0
    from pymatting import estimate_foreground_ml  # slow import (numba); only when needed

    fgr = estimate_foreground_ml(image.astype(np.float64), pha.astype(np.float64))
    fgr = np.clip(fgr, 0.0, 1.0).astype(np.float32)
    if cache_path:
        os.makedirs(os.path.dirname(os.path.abspath(cache_path)), exist_ok=True)
        tmp = cache_path + f'.tmp{os.getpid()}.png'
        cv2.imwrite(tmp, np.round(fgr[:, :, ::-1] * 65535.0).astype(np.uint16))
        os.replace(tmp, cache_path)  # atomic: parallel workers may race here
    return fgr


def load_still(image_path: str, alpha_path: str, max_side: int | None = None,
               cache_dir: str | None = None, extend: bool = True) -> Still:
    """Read a portrait (8-bit sRGB image + alpha PNG/JPEG), resize so its longer
    side is at most ``max_side`` (area filter), estimate its foreground colour
    (cached under ``cache_dir`` keyed on the file contents and size); with
    ``extend``, continue the body past the image edges it touches (extend_cut_edges)."""
    image = cv2.imread(image_path, cv2.IMREAD_COLOR)
    alpha = cv2.imread(alpha_path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise BadInputError(f'{image_path}: cannot read the portrait image; check the file is a valid JPEG/PNG')
    if alpha is None:
        raise BadInputError(f'{alpha_path}: cannot read the alpha matte; check the file is a valid PNG/JPEG')
    if alpha.ndim == 3:
        alpha = alpha[:, :, -1] if alpha.shape[2] == 4 else alpha[:, :, 0]
    if alpha.shape[:2] != image.shape[:2]:
        raise BadInputError(f'{alpha_path}: alpha is {alpha.shape[1]}x{alpha.shape[0]} but the image is '
                            f'{image.shape[1]}x{image.shape[0]}; give an alpha of the same size')
    scale_max = float(np.iinfo(alpha.dtype).max) if alpha.dtype.kind == 'u' else 1.0
    if max_side and max(image.shape[:2]) > max_side:
        s = max_side / max(image.shape[:2])
        size = (max(1, round(image.shape[1] * s)), max(1, round(image.shape[0] * s)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    rgb = image[:, :, ::-1].astype(np.float32) / 255.0
    pha = np.clip(alpha.astype(np.float32) / scale_max, 0.0, 1.0)
    name = os.path.splitext(os.path.basename(image_path))[0]
    cache_path = None
    if cache_dir:
        key = hashlib.sha1()
        for p in (image_path, alpha_path):
            with open(p, 'rb') as f:
                key.update(f.read())
        cache_path = os.path.join(cache_dir, f'{name}_{pha.shape[1]}x{pha.shape[0]}_{key.hexdigest()[:10]}.fgr.png')
    still = Still(estimate_foreground(rgb, pha, cache_path), pha, name)
    return extend_cut_edges(still) if extend else still


def extend_cut_edges(still: Still, fraction: float = 0.5, slope: float = 1.0, threshold: float = 0.5) -> Still:
    """Continue the body past the image edges it is cut by (left, right, bottom).

    A portrait whose shoulders touch the image edge shows a hard cut once moved
    or shrunk inside a larger frame. Cut sides are padded by ``fraction`` of the
    width, repeating the edge column but only below a line that falls ``slope``
    pixels per pixel outwards from the edge's topmost opaque row (the shoulder
    line continues down like an arm); a cut bottom then repeats the last row.
    The anchor stays at the original image's bottom. The result is the truth by
    construction (alpha and colour are both defined for the new pixels).
    """
    h, w = still.pha.shape
    anchor = still.anchor()
    fgr, pha = still.fgr, still.pha
    pad_w = int(fraction * w)
    left = pad_w if pha[:, 0].max() >= threshold else 0
    right = pad_w if pha[:, -1].max() >= threshold else 0
    if left or right:
        tops = [np.argmax(col >= threshold) for col in (pha[:, 0], pha[:, -1])]
        fgr = cv2.copyMakeBorder(fgr, 0, 0, left, right, cv2.BORDER_REPLICATE)
        pha = cv2.copyMakeBorder(pha, 0, 0, left, right, cv2.BORDER_REPLICATE)
        ys = np.arange(h, dtype=np.float32)[:, None]
        for side, top, width in ((0, tops[0], left), (1, tops[1], right)):
            if not width:
                continue
            dist = np.arange(width, 0, -1, dtype=np.float32) if side == 0 else np.arange(1, width + 1, dtype=np.float32)
            ramp = np.clip(ys - (top + slope * dist[None, :]) + 0.5, 0.0, 1.0)
            cols = slice(0, left) if side == 0 else slice(pha.shape[1] - right, pha.shape[1])
            pha[:, cols] *= ramp
    bottom = int(fraction * h) if pha[-1].max() >= threshold else 0
    if bottom:
        fgr = cv2.copyMakeBorder(fgr, 0, bottom, 0, 0, cv2.BORDER_REPLICATE)
        pha = cv2.copyMakeBorder(pha, 0, bottom, 0, 0, cv2.BORDER_REPLICATE)
    if pha is still.pha:
        return still
    return Still(fgr, np.ascontiguousarray(pha), still.name, (anchor[0] + left, anchor[1]))


# ---------------------------------------------------------------- motion
@dataclass
class Motion:
    """Per-frame poses. ``subject [T,4]`` = (x, y, scale, angle_deg): where the
    still's anchor lands on the canvas, its scale and rotation about the anchor.
    ``camera [T,4]`` = (dx, dy, scale, angle_deg) about the canvas centre, applied
    to subject and background. Fractional frame indices interpolate linearly
    (used for motion blur)."""

    subject: np.ndarray
    camera: np.ndarray
    anchor: tuple[float, float]
    canvas: tuple[int, int]  # (width, height)

    @property
    def frames(self) -> int:
        return len(self.subject)

    def _pose(self, poses: np.ndarray, t: float) -> np.ndarray:
        t = float(np.clip(t, 0, len(poses) - 1))
        i = min(int(np.floor(t)), len(poses) - 2) if len(poses) > 1 else 0
        w = t - i
        return poses[i] if len(poses) == 1 else (1 - w) * poses[i] + w * poses[i + 1]

    def camera_matrix(self, t: float) -> np.ndarray:
        """3x3 canvas -> canvas matrix of the camera move at frame index t."""
        dx, dy, s, a = self._pose(self.camera, t)
        cx, cy = self.canvas[0] / 2.0, self.canvas[1] / 2.0
        return _similarity(cx + dx, cy + dy, s, a, cx, cy)

    def subject_matrix(self, t: float) -> np.ndarray:
        """3x3 still -> canvas matrix of the subject at frame index t (camera included)."""
        x, y, s, a = self._pose(self.subject, t)
        return self.camera_matrix(t) @ _similarity(x, y, s, a, *self.anchor)


def _similarity(x: float, y: float, scale: float, angle_deg: float, ax: float, ay: float) -> np.ndarray:
    """3x3 matrix: move point (ax, ay) to (x, y), scaling and rotating about it."""
    r = np.deg2rad(angle_deg)
    c, s = np.cos(r) * scale, np.sin(r) * scale
    return np.array([[c, -s, x - c * ax + s * ay], [s, c, y - s * ax - c * ay], [0, 0, 1]], np.float64)


def _smooth_path(rng: np.random.Generator, frames: int, amplitude: float, drift: float) -> np.ndarray:
    """[frames] smooth random path: linear drift plus two low-frequency sines."""
    t = np.arange(frames, dtype=np.float64)
    path = rng.uniform(-drift, drift) * t
    for _ in range(2):
        period = rng.uniform(12.0, 60.0)
        path += rng.uniform(0.0, amplitude) * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    return path


def random_motion(rng: np.random.Generator, frames: int, still: Still, canvas: tuple[int, int], *,
                  height_fraction: tuple[float, float] = (0.6, 1.0), speed: float = 1.0,
                  max_rotation: float = 4.0, camera: bool = True, bottom_cut: bool = True) -> Motion:
    """Smooth random motion of ``still`` over a canvas (width, height).

    The subject's height is a random fraction of the canvas height; with
    ``bottom_cut`` its anchor (bottom of the alpha) sits at or below the canvas's
    bottom edge, as a portrait's body is cut by the frame. ``speed`` scales all
    movement (pixels per frame are relative to the canvas size).
    """
    w, h = canvas
    ax, ay = still.anchor()
    base = rng.uniform(*height_fraction) * h / still.subject_height()
    x0 = rng.uniform(0.3, 0.7) * w
    y0 = h + rng.uniform(0.0, 0.1) * h if bottom_cut else rng.uniform(0.6, 1.0) * h
    sub = np.stack([
        x0 + speed * _smooth_path(rng, frames, 0.06 * w, 0.004 * w),
        y0 + speed * np.abs(_smooth_path(rng, frames, 0.03 * h, 0.0)),
        base * np.exp(speed * _smooth_path(rng, frames, 0.05, 0.002)),
        speed * _smooth_path(rng, frames, max_rotation, 0.0),
    ], axis=1)
    cam = np.zeros((frames, 4))
    cam[:, 2] = 1.0
    if camera:
        cam[:, 0] = speed * _smooth_path(rng, frames, 0.03 * w, 0.002 * w)
        cam[:, 1] = speed * _smooth_path(rng, frames, 0.02 * h, 0.001 * h)
        cam[:, 2] = np.exp(speed * _smooth_path(rng, frames, 0.02, 0.001))
        cam[:, 3] = speed * _smooth_path(rng, frames, 0.5, 0.0)
    return Motion(sub.astype(np.float64), cam, (ax, ay), (w, h))


def keyframed_motion(frames: int, still: Still, canvas: tuple[int, int], subject_keys: list[tuple],
                     camera_keys: list[tuple] | None = None) -> Motion:
    """Scripted motion: poses at evenly spaced keys, eased (smoothstep) in between.

    subject_keys: [(x, y, scale, angle_deg), ...] anchor position in canvas pixels;
    camera_keys: [(dx, dy, scale, angle_deg), ...] or None for a locked-off camera.
    """
    def interp(keys: list[tuple]) -> np.ndarray:
        keys_arr = np.asarray(keys, np.float64)
        if len(keys_arr) == 1:
            return np.repeat(keys_arr, frames, axis=0)
        pos = np.linspace(0, len(keys_arr) - 1, frames)
        i = np.minimum(np.floor(pos).astype(int), len(keys_arr) - 2)
        w = pos - i
        w = w * w * (3 - 2 * w)
        return (1 - w)[:, None] * keys_arr[i] + w[:, None] * keys_arr[i + 1]

    cam = interp(camera_keys) if camera_keys else np.tile([0.0, 0.0, 1.0, 0.0], (frames, 1))
    return Motion(interp(subject_keys), cam, still.anchor(), canvas)


def prescale(still: Still, motion: Motion, cache: dict | None = None) -> tuple[Still, Motion]:
    """Shrink the still (area filter, powers of two) when the motion shrinks it below half
    size everywhere, so bilinear warps do not alias hair; the rendered frames stay the same
    geometry. ``cache`` (a dict) keeps shrunk stills between calls."""
    level = 1
    while motion.subject[:, 2].max() * level * 2 <= 1.0 and min(still.size) // (level * 2) >= 8:
        level *= 2
    if level == 1:
        return still, motion
    key = (id(still), level)
    if cache is None or key not in cache:
        w, h = still.size
        size = (max(1, round(w / level)), max(1, round(h / level)))
        # scale about pixel centres: x_small = (x + 0.5) / level - 0.5
        anchor = still.anchor()
        small = Still(cv2.resize(still.fgr, size, interpolation=cv2.INTER_AREA),
                      cv2.resize(still.pha, size, interpolation=cv2.INTER_AREA), still.name,
                      ((anchor[0] + 0.5) / level - 0.5, (anchor[1] + 0.5) / level - 0.5))
        if cache is None:
            return small, _scaled_motion(motion, small, level)
        cache[key] = small
    return cache[key], _scaled_motion(motion, cache[key], level)


def _scaled_motion(motion: Motion, small: Still, level: int) -> Motion:
    subject = motion.subject.copy()
    subject[:, 2] *= level
    return Motion(subject, motion.camera, small.anchor(), motion.canvas)


# ---------------------------------------------------------------- rendering
def backward_flow(motion: Motion, idx: int) -> np.ndarray:
    """Exact backward flow [H,W,2] (t -> t-1) of the subject at frame ``idx``.

    A canvas pixel x at frame t shows still point A_t^-1 x, which sat at
    A_{t-1} A_t^-1 x in frame t-1. Zero at the first frame (no previous frame).
    """
    w, h = motion.canvas
    if idx <= 0:
        return np.zeros((h, w, 2), np.float32)
    m = motion.subject_matrix(idx - 1) @ np.linalg.inv(motion.subject_matrix(idx))
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    flow = np.empty((h, w, 2), np.float32)
    flow[..., 0] = (m[0, 0] - 1) * xs + m[0, 1] * ys + m[0, 2]
    flow[..., 1] = m[1, 0] * xs + (m[1, 1] - 1) * ys + m[1, 2]
    return flow


def warp_still(still: Still, matrix: np.ndarray, canvas: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Warp a still with a 3x3 still->canvas matrix: (fgr [H,W,3], pha [H,W])."""
    m = matrix[:2].astype(np.float64)
    pha = cv2.warpAffine(still.pha, m, canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    fgr = cv2.warpAffine(still.fgr, m, canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return fgr, pha


def render_subject(still: Still, motion: Motion, idx: int, blur_samples: int = 1,
                   shutter: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The subject at frame ``idx``: (fgr [H,W,3], pha [H,W]).

    With ``blur_samples > 1``, motion blur: alpha and premultiplied colour are
    averaged over sub-frame poses spanning ``shutter`` of the interval before the
    frame, and fgr = mean(pha*fgr) / mean(pha), so ``pha*fgr`` stays exact.
    """
    if blur_samples <= 1 or idx == 0:
        return warp_still(still, motion.subject_matrix(idx), motion.canvas)
    premult, pha_sum, centre_fgr = 0.0, 0.0, None
    for t in np.linspace(idx - shutter, idx, blur_samples):
        fgr, pha = warp_still(still, motion.subject_matrix(t), motion.canvas)
        premult = premult + fgr * pha[..., None]
        pha_sum = pha_sum + pha
        centre_fgr = fgr
    pha = pha_sum / blur_samples
    fgr = np.where(pha[..., None] > 1e-6, premult / blur_samples / np.maximum(pha[..., None], 1e-6), centre_fgr)
    return np.clip(fgr, 0.0, 1.0).astype(np.float32), pha.astype(np.float32)


def move_background(bgr: np.ndarray, motion: Motion, idx: int) -> np.ndarray:
    """Apply the camera move of frame ``idx`` to a background [H,W,3] already at canvas size."""
    m = motion.camera_matrix(idx)
    if np.allclose(m, np.eye(3)):
        return bgr
    return cv2.warpAffine(bgr, m[:2], motion.canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def composite(fgr: np.ndarray, pha: np.ndarray, bgr: np.ndarray) -> np.ndarray:
    """``src = pha*fgr + (1-pha)*bgr``; fgr/bgr [...,H,W,3], pha [...,H,W] (float32)."""
    a = pha[..., None]
    return (a * fgr + (1.0 - a) * bgr).astype(np.float32)


def fit_to_canvas(frame: np.ndarray, canvas: tuple[int, int]) -> np.ndarray:
    """Centre-crop a frame [h,w,C] to the canvas aspect, resize to (width, height)."""
    h, w = frame.shape[:2]
    cw, ch = canvas
    if w * ch > h * cw:  # too wide
        nw = max(1, round(h * cw / ch))
        frame = frame[:, (w - nw) // 2:(w - nw) // 2 + nw]
    else:
        nh = max(1, round(w * ch / cw))
        frame = frame[(h - nh) // 2:(h - nh) // 2 + nh]
    interp = cv2.INTER_AREA if frame.shape[1] > cw else cv2.INTER_CUBIC
    return np.clip(cv2.resize(frame, (cw, ch), interpolation=interp), 0.0, 1.0)


def read_video_frames(path: str, start: int = 0, count: int | None = None) -> list[np.ndarray]:
    """Frames ``start .. start+count-1`` of a video in decode order, [H,W,3] uint8 RGB (PyAV).

    Decodes from the beginning: some AVIs (e.g. the bundled vtest.avi) cannot seek reliably.
    """
    import av

    frames = []
    try:
        with av.open(path) as container:
            for idx, frame in enumerate(container.decode(video=0)):
                if idx >= start:
                    frames.append(frame.to_ndarray(format='rgb24'))
                if count is not None and len(frames) >= count:
                    break
    except (av.error.FFmpegError, OSError) as exc:
        raise BadInputError(f'{path}: cannot decode this video ({exc}); check the file or convert it') from exc
    return frames


@dataclass
class Frame:
    """One rendered frame (all [H,W,C] float32, sRGB 0..1 except flow in pixels)."""

    src: np.ndarray
    pha: np.ndarray
    fgr: np.ndarray
    bgr: np.ndarray
    flow: np.ndarray


def render_frame(still: Still, motion: Motion, idx: int, background: np.ndarray,
                 blur_samples: int = 1) -> Frame:
    """Render frame ``idx``: background [H,W,3] at canvas size (before the camera move)."""
    fgr, pha = render_subject(still, motion, idx, blur_samples)
    bgr = move_background(background, motion, idx)
    return Frame(composite(fgr, pha, bgr), pha, fgr, bgr, backward_flow(motion, idx))
