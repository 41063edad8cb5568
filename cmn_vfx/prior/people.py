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
from cmn_vfx.prior.detect import PersonDetector, box_iou
from cmn_vfx.prior.litert import Runtime
from cmn_vfx.prior.selfie import SelfiePrior

WINDOW = 6          # frames of memory (<= the engine's default warm-up + 1)
HIGH, LOW = 0.5, 0.3
HOLD = 3            # frames a person is held where the net loses them entirely
CURRENT = 0.5       # weight of the current frame's probability against the previous frames' (flow-warped)
PERSON_HEIGHT = 0.22    # a region this tall (fraction of frame height) is a foreground person
PERSON_AREA = 0.012     # ... or this large (fraction of the frame)
SUPPORT = 0.06          # tiles count within this distance (fraction of the short side) of the whole-frame net's person
DISPUTED = 0.5          # a tiles' person with less than this share inside that support is put to the person detector
BOX_MATCH = 0.5         # ... and confirmed by a detection box this close to its bounding box (IoU)
BOX_HEIGHT = 0.5        # ... at least this share of the frame tall (a subject, not a passer-by far behind)


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

    def __init__(self, threads: int = 1, runtime: Runtime | None = None, track: bool = True, detector=None):
        self.net = SelfiePrior("selfie", "letterbox", threads, runtime)
        self.track = track
        self.name = "people" if track else "people_frame"
        self.threads = threads
        self._detector = detector           # the person detector (NanoDet), loaded on the first disputed frame
        self.detections = 0                 # frames the detector was asked about (benches)

    @property
    def detector(self):
        """The person detector (cmn_vfx.prior.detect, NanoDet), loaded when first needed."""
        if self._detector is None:
            self._detector = PersonDetector(self.threads)
        return self._detector

    def segment(self, src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """([H,W] person probability of the selfie net on square tiles, blended; [H,W] bool support: where
        the same net on the whole frame sees a person, grown by SUPPORT). On a tile with nobody in it the
        net segments whatever stands out (a building, a lime): only the support keeps it honest."""
        h, w = src.shape[:2]
        whole = self.net.predict(src)
        weights = _tile_weights(h, w)
        if len(weights) == 1:
            return whole, np.ones((h, w), bool)
        acc = np.zeros((h, w), np.float32)
        for (x, y, sw, sh), weight in weights:
            acc[y:y + sh, x:x + sw] += self.net.predict(src[y:y + sh, x:x + sw]) * weight
        prob = np.clip(acc, 0.0, 1.0)
        support = _grow(whole > HIGH, SUPPORT) > 0
        return prob, self._confirmed(src, prob, support)

    def _confirmed(self, src: np.ndarray, prob: np.ndarray, support: np.ndarray) -> np.ndarray:
        """`support` plus the tiles' people that the whole-frame net does not see and a detection box confirms
        (the region itself, grown by SUPPORT; not the box, which may hold people behind). The whole-frame net, letterboxed, sees people at about half their size and can miss them for
        many frames: on a grey still of two players (validation clip basketball) its maximum hovers at 0.5
        for 16 frames while the tiles see both players on every one. The detector is asked only then, so
        footage where the two nets agree pays nothing for it; a building a tile takes for a person finds no
        box and stays out."""
        count, labels, stats, person = _person_sized(prob)
        if not person.any():
            return support
        inside = np.bincount(labels[support], minlength=count)
        disputed = np.flatnonzero(person & (inside < DISPUTED * stats[:, cv2.CC_STAT_AREA]))
        if not len(disputed):
            return support
        self.detections += 1
        x, y = stats[disputed, cv2.CC_STAT_LEFT], stats[disputed, cv2.CC_STAT_TOP]
        regions = np.stack([x, y, x + stats[disputed, cv2.CC_STAT_WIDTH], y + stats[disputed, cv2.CC_STAT_HEIGHT]], 1)
        boxes = self.detector.detect(src)
        boxes = boxes[boxes[:, 3] - boxes[:, 1] >= BOX_HEIGHT * prob.shape[0]]
        if not len(boxes):
            return support
        matched = box_iou(regions.astype(np.float32), boxes[:, :4]).max(1) >= BOX_MATCH
        if not matched.any():
            return support
        keep = np.zeros(count, bool)
        keep[disputed[matched]] = True
        return support | (_grow(keep[labels], SUPPORT) > 0)

    def observe(self, src: np.ndarray) -> "Observation":
        src = checked_frame(src)
        return Observation(*self.segment(src), _grey(src))

    def predict(self, src: np.ndarray) -> np.ndarray:
        obs = Observation(*self.segment(src), _grey(src))
        return PeopleTrack().update(obs) if self.track else obs.prob * obs.support

    def new_track(self) -> Track:
        return PeopleTrack() if self.track else _FrameOnly()


@dataclass
class Observation:
    """One frame: the tiles' person probability, where the whole-frame net supports it, the frame small and grey."""

    prob: np.ndarray            # [H,W] float32
    support: np.ndarray         # [H,W] bool
    grey: np.ndarray | None     # [H/2,W/2] uint8 (for the track's optical flow)


def _grey(src: np.ndarray) -> np.ndarray | None:
    h, w = src.shape[:2]
    if min(h, w) < 16:
        return None
    small = cv2.resize(src, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return np.clip(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY) * 255 + 0.5, 0, 255).astype(np.uint8)


class _FrameOnly(Track):
    def update(self, observation: Observation) -> np.ndarray:
        return observation.prob * observation.support


class PeopleTrack(Track):
    """Instances kept through the shot from the last WINDOW observations (see the module docstring).

    Oldest to newest through the window: the person mask is carried forward (warped by the optical flow
    between consecutive frames) and held through up to HOLD frames where the net sees nothing of it;
    the probability is blended with the previous frames' (flow-warped, weight 1 - CURRENT) to steady
    its edges. Everything is recomputed from the window, so the memory is exactly WINDOW frames.
    """

    def __init__(self, window: int = WINDOW):
        self.history: deque = deque(maxlen=window)

    def update(self, observation: Observation) -> np.ndarray:
        flow = _flow(observation, self.history[-1][0]) if self.history else None
        maps = _maps(flow) if flow is not None else None
        prob = observation.prob * observation.support
        self.history.append((observation, maps, prob, *_regions(prob)))   # once per frame, not per window step
        keep = smooth = None
        held = 0
        for i, (_, maps, prob, person, low) in enumerate(self.history):     # oldest to newest
            if i and maps is not None:
                smooth, keep = _warp(smooth, maps), _warp(keep.astype(np.float32), maps) > 0.5
            found = person if keep is None else person | _carried(low, keep)
            if keep is not None and held < HOLD and np.count_nonzero(found & keep) < 0.5 * np.count_nonzero(keep):
                found, held = found | keep, held + 1         # the net blinked: hold the person
            else:
                held = 0
            keep = found
            smooth = prob if smooth is None else CURRENT * prob + (1.0 - CURRENT) * smooth
        return smooth * _grow(keep)


def _flow(current: Observation, previous: Observation) -> np.ndarray | None:
    """Backward flow current -> previous at the observations' size ([H,W,2] pixels), or None without frames."""
    if current.grey is None or previous.grey is None or current.grey.shape != previous.grey.shape:
        return None
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    flow = dis.calc(current.grey, previous.grey, None)
    h, w = current.prob.shape
    scale = np.float32([w / flow.shape[1], h / flow.shape[0]])
    return cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) * scale


def _maps(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cv2.remap's maps for a backward flow [H,W,2]: x + flow(x), once per frame (the window reuses them)."""
    gx, gy = _grid(*flow.shape[:2])
    return gx + flow[..., 0], gy + flow[..., 1]


def _warp(image: np.ndarray, maps: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """image [H,W] of the previous frame sampled at x + flow(x) (_maps): aligned with the current frame."""
    return cv2.remap(image, *maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@functools.lru_cache(maxsize=4)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))


def _person_sized(prob: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """The regions of prob > HIGH: (count, [H,W] int32 labels, stats, [count] bool: person-sized, PERSON_HEIGHT
    tall or PERSON_AREA large; the background label 0 never is)."""
    h, w = prob.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats((prob > HIGH).astype(np.uint8), connectivity=8)
    person = (stats[:, cv2.CC_STAT_HEIGHT] >= PERSON_HEIGHT * h) | (stats[:, cv2.CC_STAT_AREA] >= PERSON_AREA * h * w)
    person[0] = False
    return count, labels, stats, person


def _regions(prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """([H,W] bool: the person-sized regions of prob > HIGH (_person_sized); [H,W] int32 labels of the
    regions of prob > LOW)."""
    _, high, _, person = _person_sized(prob)
    _, low = cv2.connectedComponents((prob > LOW).astype(np.uint8), connectivity=8)
    return person[high], low


def _carried(low: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """[H,W] bool: the low regions that overlap `previous` (the person mask of the frame before)."""
    carried = np.zeros(int(low.max()) + 1, bool)
    carried[low[previous]] = True
    carried[0] = False
    return np.take(carried, low)         # the same lookup as carried[low], 2x faster


def _grow(mask: np.ndarray, fraction: float = 0.02) -> np.ndarray:
    """[H,W] float32 0/1: `mask` grown by `fraction` of the short side (keeps the soft edge around a region)."""
    r = max(1, round(fraction * min(mask.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(np.float32)
