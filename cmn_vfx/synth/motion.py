"""Motion of a still over a canvas: per-frame subject and camera poses (random or keyframed).

numpy only. A ``Motion`` maps still pixels to canvas pixels at any (fractional) frame
index; cmn_vfx/synth/render.py draws it, training/data/compose.py derives its exact flow.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cmn_vfx.synth.still import Still


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
