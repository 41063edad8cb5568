"""Procedural portrait-like foregrounds with real matting structure.

Each still is a head-and-shoulders silhouette with soft edges, a hair mass with
thin semi-transparent strands, optional holes (between arm and body) and a
semi-transparent veil, all in textured colours. Layers are combined with the
"over" operator on premultiplied colour, so alpha and foreground colour are
exact; the still is then animated with cmn_vfx.synth (motion blur included),
so the flow is exact too.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cmn_vfx.synth.motion import random_motion
from cmn_vfx.synth.still import Still
from cmn_vfx_training.data.sources import ForegroundClip, clip_from_motion


def _texture(rng: np.random.Generator, size: tuple[int, int], colour: np.ndarray, strength: float,
             stripes: bool = False) -> np.ndarray:
    """[H,W,3] colour with low-frequency noise and, sometimes, stripes (cloth)."""
    w, h = size
    noise = cv2.resize(rng.normal(0, 1, (max(2, h // 32), max(2, w // 32), 3)).astype(np.float32), (w, h),
                       interpolation=cv2.INTER_CUBIC)
    fine = 0.3 * rng.standard_normal((h, w, 3), dtype=np.float32)
    tex = colour[None, None, :] + strength * (noise + fine)
    if stripes and rng.random() < 0.4:
        period = rng.uniform(6, 30)
        angle = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        stripes = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
        tex += (rng.uniform(0.05, 0.2) * stripes)[..., None] * rng.uniform(-1, 1, 3).astype(np.float32)
    return np.clip(tex, 0.0, 1.0)


def _over(layers: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Combine (colour [H,W,3], alpha [H,W]) layers back to front with "over"."""
    premult = np.zeros_like(layers[0][0])
    pha = np.zeros_like(layers[0][1])
    for colour, a in layers:
        premult = a[..., None] * colour + (1 - a[..., None]) * premult
        pha = a + (1 - a) * pha
    fgr = np.where(pha[..., None] > 1e-6, premult / np.maximum(pha[..., None], 1e-6), layers[-1][0])
    return np.clip(fgr, 0, 1).astype(np.float32), np.clip(pha, 0, 1).astype(np.float32)


def _soft(mask: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(mask, (0, 0), sigma) if sigma > 0.05 else mask


def _strands(rng: np.random.Generator, size: tuple[int, int], head: tuple[float, float, float, float],
             count: int) -> np.ndarray:
    """[H,W] alpha of thin curved strands growing out of the head's upper outline."""
    w, h = size
    cx, cy, rx, ry = head
    out = np.zeros((h, w), np.float32)
    for opacity in rng.uniform(0.15, 0.8, 4):
        layer = np.zeros((h, w), np.uint8)
        polylines = []
        for _ in range(count // 4):
            theta = rng.uniform(np.pi * 0.95, np.pi * 2.05)  # upper half and a bit of the sides
            x, y = cx + rx * np.cos(theta), cy + ry * np.sin(theta)
            direction = np.array([np.cos(theta), np.sin(theta)]) + rng.normal(0, 0.4, 2)
            bend = rng.normal(0, 0.15)
            pts = []
            for _ in range(int(rng.integers(6, 14))):
                pts.append((x, y))
                c, s = np.cos(bend), np.sin(bend)
                direction = np.array([c * direction[0] - s * direction[1], s * direction[0] + c * direction[1]])
                direction[1] += 0.08  # gravity
                step = rng.uniform(0.03, 0.08) * ry
                x, y = x + step * direction[0], y + step * direction[1]
            polylines.append(np.round(np.array(pts) * 4).astype(np.int32))
        cv2.polylines(layer, polylines, False, 255, 1, cv2.LINE_AA, shift=2)
        out = 1 - (1 - out) * (1 - opacity * layer.astype(np.float32) / 255.0)
    return out


def procedural_still(rng: np.random.Generator, size: tuple[int, int]) -> Still:
    """A head-and-shoulders still of ``size`` (width, height); the body reaches the bottom edge."""
    w, h = size
    sharp = np.zeros((h, w), np.uint8)
    cx = w * rng.uniform(0.4, 0.6)
    ry = h * rng.uniform(0.16, 0.24)
    rx = ry * rng.uniform(0.7, 0.85)
    cy = h * rng.uniform(0.25, 0.4)
    tilt = rng.uniform(-15, 15)
    cv2.ellipse(sharp, (int(cx), int(cy)), (int(rx), int(ry)), tilt, 0, 360, 255, -1, cv2.LINE_AA)
    neck_w = rx * rng.uniform(0.5, 0.8)
    cv2.rectangle(sharp, (int(cx - neck_w / 2), int(cy)), (int(cx + neck_w / 2), int(cy + ry * 1.4)), 255, -1)
    shoulder_y = cy + ry * rng.uniform(1.2, 1.6)
    shoulder_w = rx * rng.uniform(2.2, 3.5)
    cv2.ellipse(sharp, (int(cx), int(shoulder_y + h)), (int(shoulder_w), int(h)), 0, 180, 360, 255, -1, cv2.LINE_AA)
    body = _soft(sharp.astype(np.float32) / 255.0, rng.uniform(0.3, 2.0))
    if rng.random() < 0.5:  # a hole, e.g. between an arm on the hip and the body
        hole = np.zeros((h, w), np.uint8)
        hx = cx + rng.choice([-1, 1]) * shoulder_w * rng.uniform(0.5, 0.8)
        cv2.ellipse(hole, (int(hx), int(shoulder_y + 0.6 * (h - shoulder_y))),
                    (int(rx * rng.uniform(0.15, 0.4)), int(ry * rng.uniform(0.3, 0.7))),
                    rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_AA)
        body *= 1 - _soft(hole.astype(np.float32) / 255.0, rng.uniform(0.3, 1.5))

    skin = rng.uniform([0.35, 0.22, 0.15], [0.95, 0.8, 0.7]).astype(np.float32)
    cloth = rng.uniform(0, 1, 3).astype(np.float32)
    hair = (rng.uniform(0.02, 0.8) * rng.uniform([0.6, 0.45, 0.3], [1.0, 0.8, 0.6])).astype(np.float32)
    head_mask = np.zeros((h, w), np.float32)
    cv2.ellipse(head_mask, (int(cx), int(cy)), (int(rx * 1.1), int(ry * 1.1)), tilt, 0, 360, 1.0, -1)
    under_neck = (np.arange(h, dtype=np.float32)[:, None] > cy + ry * 0.9).astype(np.float32)
    colour = np.where((under_neck * (1 - head_mask))[..., None] > 0.5,
                      _texture(rng, size, cloth, 0.08, stripes=True), _texture(rng, size, skin, 0.03))
    layers = [(colour, body)]

    hair_mass = np.zeros((h, w), np.uint8)
    cv2.ellipse(hair_mass, (int(cx), int(cy - ry * 0.15)), (int(rx * 1.12), int(ry * 1.0)), tilt, 180, 360, 255, -1,
                cv2.LINE_AA)
    hair_tex = _texture(rng, size, hair, 0.05)
    layers.append((hair_tex, _soft(hair_mass.astype(np.float32) / 255.0, rng.uniform(0.5, 3.0))))
    layers.append((hair_tex, _strands(rng, size, (cx, cy - ry * 0.1, rx * 1.1, ry * 1.0), int(rng.integers(40, 200)))))
    if rng.random() < 0.25:  # a semi-transparent veil or scarf
        veil = np.zeros((h, w), np.float32)
        cv2.ellipse(veil, (int(cx), int(shoulder_y)), (int(shoulder_w * 0.9), int(ry * 0.6)), rng.uniform(-20, 20),
                    0, 360, float(rng.uniform(0.2, 0.7)), -1, cv2.LINE_AA)
        layers.append((_texture(rng, size, rng.uniform(0, 1, 3).astype(np.float32), 0.05), _soft(veil, 2.0)))
    fgr, pha = _over(layers)
    return Still(fgr, pha, 'procedural')


@dataclass
class ProceduralSource:
    """Endless procedural portraits. blur_samples: sub-frames for motion blur
    (1 = none); speed scales the motion; camera: add a camera move."""

    blur_samples: int = 3
    speed: float = 1.0
    camera: bool = True
    real_person = False

    def __len__(self) -> int:
        return 1  # endless: every call draws a new still

    def sample(self, rng: np.random.Generator, frames: int, canvas: tuple[int, int]) -> ForegroundClip:
        """A clip of ``frames`` frames at canvas (width, height)."""
        still = procedural_still(rng, canvas)
        motion = random_motion(rng, frames, still, canvas, height_fraction=(0.6, 1.2),
                                       speed=self.speed * rng.uniform(0.3, 2.0), camera=self.camera)
        blur = self.blur_samples if rng.random() < 0.5 else 1
        return clip_from_motion(still, motion, blur, real_person=False)
