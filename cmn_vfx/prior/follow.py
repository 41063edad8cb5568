"""Follow picked people through a shot: the person prior's regions, linked frame to frame.

Resolved once for the whole shot (cmn_vfx.engine's subject pass), before any frame is written, so
a farm chunk and a sequential run restrict the matte to the same person on every frame:

    rec = Recorder()                               # pass 1, frames in order: the tracked prior's alpha
    for frame, pha in ...: rec.add(frame, pha)
    boxes, lost = follow(rec, picks, size)         # pass 2: {frame: [box or None per pick]}, {pick: [frames]}

Regions are the connected parts of prior > 0.5 on a grid 1/4 of the working size (a 1000-frame
shot keeps ~10 MB). From the picked frame a person's box is followed forwards and backwards,
tracking by detection: in the next frame, the person detector's box (cmn_vfx.prior.detect) that
overlaps their last box best; where the detector misses them, the prior's regions overlapping the last
box. (Two people touching are one region of the prior, but two boxes.) A person who leaves the frame
is looked for where they were last seen. Boxes are in 0..1 of the frame, x right and y down.
"""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.subject_grammar import MAIN, Pick

GRID = 4          # label maps at 1/GRID of the working size
LINK = 0.3        # a region continues a person when this share of it overlaps the person's last box
MATCH = 0.3       # a detector box continues a person when its IoU with their last box is above this
NEAR = 0.05       # a point pick may miss the person by this share of the frame diagonal


class Recorder:
    """Per-frame region labels of the tracked prior and person detections, in frame order (pass 1)."""

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.labels: list[np.ndarray] = []
        self.people: list[np.ndarray] = []      # [N,4] detector boxes per frame, 0..1 of the frame

    def add(self, frame: int, pha: np.ndarray, people: np.ndarray | None = None) -> None:
        """pha: [h,w] the tracked prior; people: [N,4+] detector boxes in pixels of pha (x0, y0, x1, y1, ...)."""
        h, w = pha.shape
        small = cv2.resize(pha.astype(np.float32), (max(1, w // GRID), max(1, h // GRID)), interpolation=cv2.INTER_AREA)
        _, labels = cv2.connectedComponents((small > 0.5).astype(np.uint8), connectivity=8)
        self.frames.append(frame)
        self.labels.append(labels.astype(np.int32))
        boxes = np.zeros((0, 4), np.float32) if people is None or len(people) == 0 else \
            np.asarray(people, np.float32)[:, :4] / np.float32([w, h, w, h])
        self.people.append(boxes)


def _start(labels: np.ndarray, people: np.ndarray, pick: Pick, at: Pick, size: tuple[int, int]) -> list[float]:
    """The picked person's box on the pick's frame (BadInputError when nobody is there); `at` is the pick in
    working-size pixels, `pick` as given (for messages). The box is the detector's box at the point (or
    matching a drawn box): where the prior's region holds two people, it tells which; else the region's."""
    w, h = size
    gh, gw = labels.shape
    sx, sy = gw / w, gh / h
    if at.is_point:
        x, y = int(np.clip(at.x0 * sx, 0, gw - 1)), int(np.clip(at.y0 * sy, 0, gh - 1))
        label = labels[y, x]
        if label == 0:
            ys, xs = np.nonzero(labels)
            if xs.size == 0:
                raise BadInputError(f"subject {pick.text()}: no person found on frame {pick.frame}; pick another frame")
            d = np.hypot(xs - x, ys - y)
            i = int(np.argmin(d))
            if d[i] > NEAR * np.hypot(gw, gh):
                raise BadInputError(f"subject {pick.text()}: no person at that point on frame {pick.frame} (the nearest "
                                    f"is {d[i] / np.hypot(gw, gh):.0%} of the frame's diagonal away); click on the person")
            label = labels[ys[i], xs[i]]
            x, y = int(xs[i]), int(ys[i])
        return _detection_at(people, (x + 0.5) / gw, (y + 0.5) / gh) or _person_box(labels == label, people)
    x0, y0 = int(np.floor(at.x0 * sx)), int(np.floor(at.y0 * sy))
    x1, y1 = int(np.ceil(at.x1 * sx)), int(np.ceil(at.y1 * sy))
    inside = np.bincount(labels[max(0, y0):y1 + 1, max(0, x0):x1 + 1].ravel(), minlength=labels.max() + 1)
    inside[0] = 0
    if inside.max() == 0:
        raise BadInputError(f"subject {pick.text()}: no person inside that box on frame {pick.frame}; draw it around one")
    return _matching(people, [x0 / gw, y0 / gh, (x1 + 1) / gw, (y1 + 1) / gh]) or _box(labels == int(np.argmax(inside)))


def _main(labels: np.ndarray) -> np.ndarray | None:
    """The largest, most central region: area x (1 - distance from the centre / half diagonal / 2)."""
    count = int(labels.max())
    if count == 0:
        return None
    gh, gw = labels.shape
    ys, xs = np.mgrid[0:gh, 0:gw]
    best, best_score = 0, -1.0
    for label in range(1, count + 1):
        m = labels == label
        cy, cx = ys[m].mean(), xs[m].mean()
        score = m.sum() * (1.0 - 0.5 * np.hypot(cx - gw / 2, cy - gh / 2) / np.hypot(gw / 2, gh / 2))
        if score > best_score:
            best, best_score = label, score
    return labels == best


def _detection_at(people: np.ndarray, x: float, y: float) -> list[float] | None:
    """The detector box nearest the point (0..1 coordinates) relative to its size, if the point is inside it
    or just outside (within 25% of its half size: a pick on the frame's edge row), else None."""
    best = min(people, key=lambda b: _reach_at(b, x, y), default=None)
    return [float(v) for v in best] if best is not None and _reach_at(best, x, y) <= 1.25 else None


def _reach_at(box, x: float, y: float) -> float:
    hx, hy = max((box[2] - box[0]) / 2, 1e-3), max((box[3] - box[1]) / 2, 1e-3)
    return max(abs(x - (box[0] + box[2]) / 2) / hx, abs(y - (box[1] + box[3]) / 2) / hy)


def _iou_box(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


def _step(labels: np.ndarray, people: np.ndarray, last: list[float]) -> list[float] | None:
    """The person's box in the next frame from their last box: the detector's box that overlaps it best
    (box IoU > MATCH); where the detector misses them (a body cut by the frame edge, motion blur), the
    box of the prior's regions that overlap the last box (by >= LINK of the smaller of region and box),
    cut to the last box grown by 15%; None when neither finds them."""
    match = _matching(people, last)
    if match is not None:
        return match
    window = _window(labels.shape, last, 0.0)
    overlap = np.bincount(labels[window].ravel(), minlength=labels.max() + 1)
    area = np.bincount(labels.ravel(), minlength=labels.max() + 1)
    keep = (overlap >= LINK * np.minimum(area, window.sum())) & (overlap > 0)
    keep[0] = False
    found = keep[labels] & _window(labels.shape, last, 0.15)
    return _box(found) if found.any() else None


def _track(rec: Recorder, start: int, box: list[float]) -> dict[int, list[float] | None]:
    """Boxes of one person from index `start` (where their box is `box`) forwards and backwards."""
    out: dict[int, list[float] | None] = {rec.frames[start]: box}
    for direction in (1, -1):
        last, i = box, start + direction
        while 0 <= i < len(rec.frames):
            found = _step(rec.labels[i], rec.people[i], last)
            out[rec.frames[i]] = found
            if found is not None:
                last = found
            i += direction
    return out


def _box(mask: np.ndarray) -> list[float]:
    ys, xs = np.nonzero(mask)
    gh, gw = mask.shape
    return [xs.min() / gw, ys.min() / gh, (xs.max() + 1) / gw, (ys.max() + 1) / gh]


def _matching(people: np.ndarray, ref: list[float]) -> list[float] | None:
    """The detector box of best IoU with `ref` if that IoU is above MATCH, else None."""
    match = max(people, key=lambda b: _iou_box(b, ref), default=None)
    return [float(v) for v in match] if match is not None and _iou_box(match, ref) > MATCH else None


def _person_box(mask: np.ndarray, people: np.ndarray) -> list[float]:
    """The detector's box of the person whose prior region is `mask`, else the region's own box."""
    return _matching(people, _box(mask)) or _box(mask)


def follow(rec: Recorder, subject: str | list[Pick], size: tuple[int, int], to_working=lambda pick: pick
           ) -> tuple[dict[int, list], dict[str, list[int]]]:
    """({frame: [box or None per person]}, {person: frames where they are not found}).

    subject: 'main' or picks; `to_working` maps a pick's plate pixels to the working size `size` = (w, h)
    (messages name the pick as given). Picks on frames that were not recorded are refused.
    """
    tracks = []
    if subject == MAIN:
        first = next((i for i, lab in enumerate(rec.labels) if lab.max() > 0), None)
        tracks.append(("main", _track(rec, first, _person_box(_main(rec.labels[first]), rec.people[first]))
                       if first is not None else {}))
    else:
        for pick in subject:
            if pick.frame not in rec.frames:
                raise BadInputError(f"subject {pick.text()}: frame {pick.frame} is not in this shot's frames "
                                    f"{rec.frames[0]}-{rec.frames[-1]} (or is across a cut); pick on a frame of the shot")
            i = rec.frames.index(pick.frame)
            tracks.append((pick.text(), _track(rec, i, _start(rec.labels[i], rec.people[i], pick, to_working(pick), size))))
    boxes = {f: [t.get(f) for _, t in tracks] for f in rec.frames}
    lost = {name: [f for f in rec.frames if t.get(f) is None] for name, t in tracks}
    return boxes, lost


def others(rec: Recorder, boxes: dict[int, list], min_height: float = 0.2) -> dict[int, list]:
    """{frame: detector boxes of the people not picked} (box IoU < 0.5 with every picked box; at least
    `min_height` of the frame tall: the neighbours a picked person's region may be merged with)."""
    out = {}
    for frame, people in zip(rec.frames, rec.people):
        picked = [b for b in boxes.get(frame, []) if b is not None]
        out[frame] = [[float(v) for v in b] for b in people if b[3] - b[1] >= min_height
                      and all(_iou_box(b, p) < 0.5 for p in picked)]
    return out


def _reach(shape: tuple[int, int], box: list[float]) -> np.ndarray:
    """[h,w] distance from the box's centre in units of its half size (max norm): < 1 inside the box."""
    h, w = shape
    xs = (np.arange(w, dtype=np.float32) + 0.5) / w
    ys = (np.arange(h, dtype=np.float32) + 0.5) / h
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hx, hy = max((box[2] - box[0]) / 2, 1e-3), max((box[3] - box[1]) / 2, 1e-3)
    return np.maximum(np.abs(xs - cx)[None, :] / hx, np.abs(ys - cy)[:, None] / hy)


def restrict(pha: np.ndarray, boxes: list, neighbours: list = ()) -> np.ndarray:
    """[h,w] 0/1 float32 region of the picked people in a frame's prior (pha > 0.3), grown by 2% of the short
    side: per person, the regions lying (>= 90%) inside their box grown by 10%, and not in a neighbour's
    box, whole; of a region that holds a neighbour too, the pixels nearer (relative to box size) to the person's box than to any
    neighbour's box (`neighbours`: the other people's detector boxes), within the box grown by 10%.
    All zero where no person is found."""
    h, w = pha.shape
    count, labels = cv2.connectedComponents((pha > 0.3).astype(np.uint8), connectivity=8)
    area = np.bincount(labels.ravel(), minlength=count)
    region = np.zeros((h, w), bool)
    nearest_other = np.full((h, w), np.inf, np.float32)
    for box in neighbours:
        nearest_other = np.minimum(nearest_other, _reach((h, w), box))
    for box in boxes:
        if box is None:
            continue
        grown = _window((h, w), box, 0.10)
        reach = _reach((h, w), box)
        mine = reach <= nearest_other
        theirs = np.bincount(labels[~mine & (nearest_other <= 1.0)].ravel(), minlength=count)
        whole = (np.bincount(labels[grown].ravel(), minlength=count) >= 0.9 * area) & (theirs <= 0.02 * area)
        whole[0] = False
        region |= whole[labels] | ((labels > 0) & grown & mine)
    r = max(1, round(0.02 * min(h, w)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(region.astype(np.uint8), kernel).astype(np.float32)


def _window(shape: tuple[int, int], box: list[float], grow: float) -> np.ndarray:
    h, w = shape
    bw, bh = box[2] - box[0], box[3] - box[1]
    x0, x1 = int(np.floor((box[0] - grow * bw) * w)), int(np.ceil((box[2] + grow * bw) * w))
    y0, y1 = int(np.floor((box[1] - grow * bh) * h)), int(np.ceil((box[3] + grow * bh) * h))
    m = np.zeros(shape, bool)
    m[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = True
    return m
