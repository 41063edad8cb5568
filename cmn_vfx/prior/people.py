"""Person prior v2 ('people'): every person in the frame, kept through the shot.

Per frame (`observe`, no state): MediaPipe's selfie segmentation net run on overlapping square
tiles that cover the frame (each tile is the frame's short side, so people keep their size and a
person cut by one tile is whole in the next), blended with weights that fall off towards a tile's
inner edges, and kept where the same net run on the whole frame sees a person nearby (on a tile
with nobody in it the net segments whatever stands out, a building or a lime). The selfie net
segments several people at once, whichever way they face, and people cut by the frame edge; it
does not look for faces.

Over the shot (`new_track().update`): each region of the segmentation is an instance. Regions
that are small and were never large in the last WINDOW frames (distant passers-by, blobs on
extras) are dropped; regions that were a person in the last frames are kept through a blink
(hysteresis: a lower threshold where the previous frames had a person). The track remembers only
the last WINDOW observations, and recomputes its decision from them, so a farm chunk that warms
up on WINDOW - 1 frames gives exactly the frames of a sequential run.
"""
from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from cmn_vfx.prior.base import PersonPrior, Track, checked_frame
from cmn_vfx.prior.litert import Runtime
from cmn_vfx.prior.selfie import SelfiePrior

WINDOW = 6          # frames of memory (<= the engine's default warm-up + 1)
HIGH, LOW = 0.5, 0.3
PERSON_HEIGHT = 0.22    # a region this tall (fraction of frame height) is a foreground person
PERSON_AREA = 0.012     # ... or this large (fraction of the frame)
SUPPORT = 0.06          # tiles count within this distance (fraction of the short side) of the whole-frame net's person


def tiles(h: int, w: int) -> list[tuple[int, int, int, int]]:
    """Square tiles (x, y, side, side) of the short side covering the frame, overlapping by >= 1/3."""
    side = min(h, w)
    long_len = max(h, w)
    n = 1 if long_len == side else int(np.ceil((long_len - side) / (side * 2 / 3))) + 1
    starts = np.linspace(0, long_len - side, n).round().astype(int)
    return [(int(s), 0, side, side) if w >= h else (0, int(s), side, side) for s in starts]


@functools.lru_cache(maxsize=8)
def _tile_weights(h: int, w: int) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    """(tile, its weight inside the tile) for a frame size, with the weights normalised to sum to 1."""
    boxes = tiles(h, w)
    weights = [_tile_weight(h, w, box) for box in boxes]
    norm = np.maximum(np.sum(weights, 0), 1e-6)
    return [((x, y, sw, sh), (wt / norm)[y:y + sh, x:x + sw]) for (x, y, sw, sh), wt in zip(boxes, weights)]


def _tile_weight(h: int, w: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """[h,w] weight of a tile: 1 in its middle, falling to ~0 at its edges inside the frame."""
    x, y, sw, sh = box
    wx = np.minimum(np.arange(sw) + 0.5, sw - np.arange(sw) - 0.5) / (sw / 4)
    wy = np.minimum(np.arange(sh) + 0.5, sh - np.arange(sh) - 0.5) / (sh / 4)
    if x == 0:
        wx[: sw // 2] = 1.0
    if x + sw >= w:
        wx[sw // 2:] = 1.0
    if y == 0:
        wy[: sh // 2] = 1.0
    if y + sh >= h:
        wy[sh // 2:] = 1.0
    out = np.zeros((h, w), np.float32)
    out[y:y + sh, x:x + sw] = np.clip(wy, 1e-3, 1.0)[:, None] * np.clip(wx, 1e-3, 1.0)[None, :]
    return out


class PeoplePrior(PersonPrior):
    """Every person, tracked. See the module docstring.

    Args:
        threads: CPU threads for the runtime.
        runtime: replace the selfie net's tflite runtime (same I/O as SelfiePrior's).
        track: False for the per-frame segmentation only (no instance rules, no memory).
    """

    def __init__(self, threads: int = 1, runtime: Runtime | None = None, track: bool = True):
        self.net = SelfiePrior("selfie", "letterbox", threads, runtime)
        self.track = track
        self.name = "people" if track else "people_frame"

    def segment(self, src: np.ndarray) -> np.ndarray:
        """[H,W] person probability: the selfie net on square tiles, blended, where the net on the
        whole frame sees a person nearby (a tile without a person makes the net segment whatever
        stands out in it; the whole frame keeps it honest)."""
        h, w = src.shape[:2]
        weights = _tile_weights(h, w)
        if len(weights) == 1:
            return self.net.predict(src)
        acc = np.zeros((h, w), np.float32)
        for (x, y, sw, sh), weight in weights:
            acc[y:y + sh, x:x + sw] += self.net.predict(src[y:y + sh, x:x + sw]) * weight
        return np.clip(acc, 0.0, 1.0) * _grow(self.net.predict(src) > HIGH, SUPPORT)

    def observe(self, src: np.ndarray) -> "Observation":
        return Observation.of(self.segment(checked_frame(src)))

    def predict(self, src: np.ndarray) -> np.ndarray:
        obs = Observation.of(self.segment(src))
        return PeopleTrack().update(obs) if self.track else obs.prob

    def new_track(self) -> Track:
        return PeopleTrack() if self.track else _FrameOnly()


@dataclass
class Observation:
    """One frame's segmentation: probability, and its regions at the high and low thresholds."""

    prob: np.ndarray            # [H,W] float32
    high: np.ndarray            # [H,W] int32 labels of prob > HIGH (0 = none)
    low: np.ndarray             # [H,W] int32 labels of prob > LOW
    person: np.ndarray          # [n_high + 1] bool: the high region is person-sized

    @classmethod
    def of(cls, prob: np.ndarray) -> "Observation":
        h, w = prob.shape
        n, high, stats, _ = cv2.connectedComponentsWithStats((prob > HIGH).astype(np.uint8), connectivity=8)
        _, low = cv2.connectedComponents((prob > LOW).astype(np.uint8), connectivity=8)
        tall = stats[:, cv2.CC_STAT_HEIGHT] >= PERSON_HEIGHT * h
        big = stats[:, cv2.CC_STAT_AREA] >= PERSON_AREA * h * w
        person = tall | big
        person[0] = False
        return cls(prob.astype(np.float32), high.astype(np.int32), low.astype(np.int32), person)


class _FrameOnly(Track):
    def update(self, observation: Observation) -> np.ndarray:
        return observation.prob


class PeopleTrack(Track):
    """Instances kept through the shot from the last WINDOW observations (see the module docstring)."""

    def __init__(self, window: int = WINDOW):
        self.history: deque = deque(maxlen=window)

    def update(self, observation: Observation) -> np.ndarray:
        self.history.append(observation)
        keep = None
        for obs in self.history:          # oldest to newest: a person mask carried forward
            keep = _persons(obs, keep)
        return observation.prob * _grow(keep)


def _persons(obs: Observation, previous: np.ndarray | None) -> np.ndarray:
    """[H,W] bool: the person-sized high regions, plus the low regions overlapping `previous`."""
    mask = obs.person[obs.high]
    if previous is not None:
        carried = np.zeros(int(obs.low.max()) + 1, bool)
        carried[obs.low[previous]] = True
        carried[0] = False
        mask |= carried[obs.low]
    return mask


def _grow(mask: np.ndarray, fraction: float = 0.02) -> np.ndarray:
    """[H,W] float32 0/1: `mask` grown by `fraction` of the short side (keeps the soft edge around a region)."""
    r = max(1, round(fraction * min(mask.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(np.float32)
