"""Person prior v2 ('people'): tiles, every person, small passers-by dropped, memory of WINDOW frames."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from cmn_vfx.prior import load_prior
from cmn_vfx.prior.people import HIGH, HOLD, LOW, WINDOW, Observation, PeoplePrior, PeopleTrack, tiles


@pytest.mark.parametrize("h,w", [(288, 512), (512, 288), (100, 100), (1, 7), (1080, 1920), (37, 53)])
def test_tiles_cover_the_frame_with_overlap(h, w):
    boxes = tiles(h, w)
    cover = np.zeros((h, w), int)
    side = min(h, w)
    for x, y, sw, sh in boxes:
        assert sw == sh == side and x + sw <= w and y + sh <= h
        cover[y:y + sh, x:x + sw] += 1
    assert cover.min() >= 1
    starts = sorted(b[0] if w >= h else b[1] for b in boxes)
    assert all(b - a <= side * 2 / 3 + 1 for a, b in zip(starts, starts[1:]))     # overlap >= 1/3 of a tile


def _canvas(parts, size=(512, 288), bg=None):
    """Composite (fgr, pha, x, y_bottom, height) portraits over a grey-green gradient: (src, [people alphas])."""
    w, h = size
    src = bg.copy() if bg is not None else np.dstack([np.linspace(0.3, 0.6, w)[None].repeat(h, 0),
                                                      np.full((h, w), 0.55), np.full((h, w), 0.35)]).astype(np.float32)
    alphas = []
    for fgr, pha, x, bottom, height in parts:
        s = height / pha.shape[0]
        m = np.float64([[s, 0, x - s * pha.shape[1] / 2], [0, s, bottom - height]])
        f = cv2.warpAffine(fgr, m, size, flags=cv2.INTER_AREA)
        a = cv2.warpAffine(pha, m, size, flags=cv2.INTER_AREA)
        src = a[..., None] * f + (1 - a[..., None]) * src
        alphas = [p * (1 - a) for p in alphas] + [a]
    return src.astype(np.float32), alphas


def test_two_people_side_by_side_are_both_found(portrait, iou):
    fgr, pha = portrait
    src, (a, b) = _canvas([(fgr, pha, 140, 288, 250), (fgr[:, ::-1].copy(), pha[:, ::-1].copy(), 380, 288, 250)])
    pred = load_prior("people")(src)
    left, right = np.zeros_like(a, bool), np.zeros_like(a, bool)
    left[:, :256], right[:, 256:] = True, True
    assert iou(pred * left, a) > 0.85 and iou(pred * right, b) > 0.85


def test_a_person_half_out_of_the_frame_is_found(portrait, iou):
    """The whole-frame selfie net alone finds the cut body too, but the tiles see it at 2x the size."""
    fgr, pha = portrait
    src, (a,) = _canvas([(fgr, pha, 10, 288, 270)])
    assert a.mean() > 0.05
    assert iou(load_prior("people")(src), a) > 0.85


def test_a_distant_passer_by_is_dropped_but_the_subject_kept(portrait, walker, iou):
    """A man walking, 28% of the frame tall, beside the subject: the net sees fragments of him; the
    track drops regions that are never person-sized."""
    fgr, pha = portrait
    src, (small, subject) = _canvas([(*walker, 470, 200, 96), (fgr, pha, 200, 288, 260)])
    per_frame = load_prior("people_frame")(src)
    pred = load_prior("people")(src)
    assert iou(pred, subject) > 0.85
    assert (per_frame[small > 0.5] > 0.5).mean() > 0.05, "test premise: the per-frame net claims part of him"
    assert (pred[small > 0.5] > 0.5).mean() < 0.02


def _obs(h=90, w=160, boxes=(), grey=None):
    """An Observation from boxes (x0, y0, x1, y1, probability); grey: the frame for the track's flow."""
    prob = np.zeros((h, w), np.float32)
    for x0, y0, x1, y1, p in boxes:
        prob[y0:y1, x0:x1] = p
    return Observation(prob, np.ones_like(prob, bool), grey)


def test_track_keeps_a_person_through_a_weak_frame_and_drops_a_never_large_region():
    track = PeopleTrack()
    person = (40, 10, 70, 90, 0.9)
    small = (120, 40, 126, 52, 0.9)                       # 12 px tall of 90: a passer-by
    for _ in range(3):
        out = track.update(_obs(boxes=[person, small]))
        assert out[50, 55] > HIGH and out[45, 122] == 0
    weak = (40, 10, 70, 90, (LOW + HIGH) / 2)             # the net wavers: below HIGH, above LOW
    assert track.update(_obs(boxes=[weak]))[50, 55] > HIGH          # kept, and steadied by the frames before
    fresh = PeopleTrack()                                  # without the history the weak region is nobody
    assert fresh.update(_obs(boxes=[weak]))[50, 55] == 0
    for _ in range(2):
        track.update(_obs(boxes=[person]))
    assert track.update(_obs())[50, 55] > LOW              # the net loses him for a frame: held
    for _ in range(HOLD):
        out = track.update(_obs())
    assert out.max() == 0                                  # gone for longer than HOLD frames: dropped


def test_track_memory_is_window_frames_so_chunks_equal_a_sequential_run():
    rng = np.random.default_rng(3)
    texture0 = cv2.GaussianBlur(rng.integers(0, 255, (45, 80), dtype=np.uint8), (5, 5), 0)
    frames = []
    for t in range(20):  # a person that blinks, drifts, and a blob that grows into a person
        p = 0.9 if t % 5 else (LOW + HIGH) / 2
        texture = np.roll(texture0, t, axis=1)
        frames.append(_obs(boxes=[(30 + t, 10, 60 + t, 88, p), (100, 50, 110, 50 + 2 * t, 0.8),
                                  (int(rng.integers(120, 150)), 5, 155, 15, 0.7)], grey=texture))
    seq_track = PeopleTrack()
    sequential = [seq_track.update(o) for o in frames]
    for start in (5, 9, 14):
        chunk = PeopleTrack()
        for o in frames[start - (WINDOW - 1):start]:       # warm-up frames
            chunk.update(o)
        for t in range(start, 20):
            assert np.array_equal(chunk.update(frames[t]), sequential[t]), (start, t)
    cold = PeopleTrack()
    assert not all(np.array_equal(cold.update(frames[t]), sequential[t]) for t in range(10, 20)), \
        "test premise: the history changes the output"


def test_observe_then_update_equals_the_per_frame_call(portrait):
    fgr, pha = portrait
    src, _ = _canvas([(fgr, pha, 256, 288, 250)])
    prior = PeoplePrior()
    assert np.array_equal(prior.new_track().update(prior.observe(src)), prior(src))


# ---------------------------------------------------------------- the person detector confirms what only the tiles see
class _Net:
    """A stand-in selfie net: the whole frame (wider than tall) sees nobody, every square tile sees a person
    standing in frame columns 40..100, rows 20..270 (the frame is 512x288: tiles at x 0, 112, 224)."""

    def __init__(self, starts=(0, 112, 224)):
        self.starts = list(starts)

    def predict(self, src):
        h, w = src.shape[:2]
        out = np.zeros((h, w), np.float32)
        if w == h:                             # a tile: the person where it lies in this tile
            x0 = self.starts.pop(0) if self.starts else 0
            out[20:270, max(0, 40 - x0):max(0, 100 - x0)] = 1.0
        return out


class _Detector:
    def __init__(self, boxes):
        self.boxes, self.calls = np.asarray(boxes, np.float32).reshape(-1, 5), 0

    def detect(self, src):
        self.calls += 1
        return self.boxes


def _segment(boxes):
    from cmn_vfx.prior.people import PeoplePrior
    prior = PeoplePrior(track=False, detector=_Detector(boxes))
    prior.net = _Net()
    prob, support = prior.segment(np.zeros((288, 512, 3), np.float32))
    return prob * support, prior._detector.calls


def test_a_person_only_the_tiles_see_is_kept_when_the_detector_confirms_them():
    """validation clip basketball: the whole-frame net misses both players for 16 frames, the tiles see them."""
    kept, calls = _segment([[38, 15, 104, 275, 0.8]])
    assert calls == 1 and kept[20:270, 40:100].min() == 1.0


@pytest.mark.parametrize("boxes", [
    [],                                        # nobody detected: a building a tile took for a person
    [[38, 200, 104, 275, 0.8]],                # a box under half the frame tall: a passer-by, not a subject
    [[0, 0, 512, 288, 0.8]],                   # a box that does not fit the region (IoU < 0.5)
], ids=["no box", "short box", "loose box"])
def test_an_unconfirmed_tiles_person_stays_out(boxes):
    kept, calls = _segment(boxes)
    assert calls == 1 and kept.max() == 0.0


def test_the_detector_is_not_asked_where_the_two_nets_agree():
    from cmn_vfx.prior.people import PeoplePrior

    class Agreeing(_Net):
        def predict(self, src):
            out = np.zeros(src.shape[:2], np.float32)
            if src.shape[0] == src.shape[1]:
                return super().predict(src)
            out[20:270, 40:100] = 1.0            # the whole frame sees the same person
            return out
    prior = PeoplePrior(track=False, detector=_Detector([]))
    prior.net = Agreeing()
    prob, support = prior.segment(np.zeros((288, 512, 3), np.float32))
    assert prior._detector.calls == 0 and (prob * support)[20:270, 40:100].min() == 1.0
