"""The engine's subject pass: which people to matte, resolved over the whole shot before any frame is written.

With `subject: all` (the default) nothing happens here. With `main` or picks (cmn_vfx.job.subject_grammar), the
plate's frames are read once at the working size, in order, through the same reader, prior and cut
detection as the network's pass, plus the person detector (cmn_vfx.prior.detect, NanoDet: it tells
two touching people apart); cmn_vfx.prior.follow links the picked people's regions from frame to
frame, forwards and backwards from each pick. The result (a box per person per frame) is cached
in OUT/.cmn/<name>.subject.json, keyed on everything it depends on, so every farm chunk restricts
the matte to the same people on every frame, warm-up included, whichever chunk resolved it first.

A pick follows its person within its shot only (cuts split the plate); on frames of a shot without
a pick, and where a picked person is not found, the matte is empty (the run says which frames).
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from cmn_vfx.engine.cuts import CutDetector
from cmn_vfx.engine.plan import Step
from cmn_vfx.errors import BadInputError
from cmn_vfx.io.sequence import format_frame_range, resolve_frames
from cmn_vfx.prior.follow import Recorder, follow, others, restrict
from cmn_vfx.job.subject_grammar import ALL, MAIN, Pick, parse_subject, subject_text

VERSION = 7   # bump when the following rules change: stored plans are then resolved again


class SubjectPlan:
    """Boxes (0..1 of the frame) of the picked people per frame; `region` restricts a frame's prior."""

    def __init__(self, text: str, boxes: dict[int, list], lost: dict[str, list[int]],
                 neighbours: dict[int, list] | None = None, merged: list[str] | None = None):
        self.text, self.boxes, self.lost, self.neighbours = text, boxes, lost, neighbours or {}
        self.merged = merged or []          # one line per pick that named a person picked already

    def region(self, frame: int, pha: np.ndarray) -> np.ndarray:
        """[h,w] 0/1: where the picked people are in this frame's prior (all zero where nobody is)."""
        return restrict(pha, self.boxes.get(frame, []), self.neighbours.get(frame, []))

    def person_regions(self, frame: int, pha: np.ndarray) -> list[np.ndarray]:
        """[h,w] 0/1 per picked person (in pick order), each split from the others and the neighbours."""
        boxes = self.boxes.get(frame, [])
        out = []
        for i, box in enumerate(boxes):
            rivals = [b for j, b in enumerate(boxes) if j != i and b is not None] + self.neighbours.get(frame, [])
            out.append(restrict(pha, [box], rivals))
        return out

    def warnings(self) -> list[str]:
        return self.merged + [f"subject {name}: not found on frames {format_frame_range(frames)} (the matte is "
                              "empty there)" for name, frames in self.lost.items() if frames]


def check_picks(job, geometry: dict) -> None:
    """BadInputError, before anything is read, for a pick outside the picture (the data window, in plate
    pixels: display window, y down) or on a frame outside the plate."""
    subject = parse_subject(job.spec.subject)
    if not isinstance(subject, list):
        return
    data, display = geometry["data_box"], geometry["display_box"]
    x0, y0 = data.x - display.x, data.y - display.y
    x1, y1 = x0 + data.width, y0 + data.height
    for pick in subject:
        if pick.x1 < x0 or pick.x0 > x1 or pick.y1 < y0 or pick.y0 > y1:
            raise BadInputError(f"subject {pick.text()}: outside the frame (x {x0}..{x1}, y {y0}..{y1} in plate "
                                "pixels, y down from the top); pick a point on the person")
        if not job.seq.first <= pick.frame <= job.seq.last:
            raise BadInputError(f"subject {pick.text()}: frame {pick.frame} is not a frame of the plate "
                                f"({job.seq.first}-{job.seq.last})")


def _to_working(pick: Pick, geometry: dict, size: tuple[int, int]) -> Pick:
    """Plate pixels (display window, y down) -> working-size pixels of the data window."""
    data, display = geometry["data_box"], geometry["display_box"]
    sx, sy = size[0] / data.width, size[1] / data.height
    dx, dy = display.x - data.x, display.y - data.y
    return Pick(pick.frame, (pick.x0 + dx) * sx, (pick.y0 + dy) * sy, (pick.x1 + dx) * sx, (pick.y1 + dy) * sy)


def _key(job, text: str, prior_name: str, size: tuple[int, int], cut_settings: tuple) -> str:
    """Everything the plan depends on, hashed: subject, prior, working size, cuts, each plate frame's identity."""
    from cmn_vfx.job.finished import source_id
    h = hashlib.sha256(json.dumps([VERSION, text, prior_name, list(size), sorted(job.spec.cuts), list(cut_settings),
                                   job.spec.layer, job.spec.missing, job.spec.colorspace]).encode())
    for frame in job.seq.frames:
        h.update(f"{frame}:{source_id(job.seq.path(frame))};".encode())
    return h.hexdigest()


def resolve(job, reader, prior, prior_name: str, size: tuple[int, int], cut_settings: tuple) -> SubjectPlan | None:
    """The plan for `job.spec.subject` (None for all). Reads the whole plate once unless the cache has it."""
    subject = parse_subject(job.spec.subject)
    if subject == ALL:
        return None
    if prior is None:
        raise BadInputError("--subject main or a pick needs a model that takes a person prior; this one takes none")
    check_picks(job, reader.geometry)
    text = subject_text(subject)
    key = _key(job, text, prior_name, size, cut_settings)
    cache = os.path.join(job.out_dir, ".cmn", f"{job.name}.subject.json")
    try:
        with open(cache, encoding="utf-8") as fh:
            stored = json.load(fh)
        if stored.get("key") == key:
            return SubjectPlan(text, {int(k): v for k, v in stored["boxes"].items()}, stored["lost"],
                               {int(k): v for k, v in stored["neighbours"].items()}, stored["merged"])
    except (OSError, ValueError, KeyError):
        pass
    plan = _resolve(job, reader, prior, subject, size, cut_settings)
    _store(cache, key, plan)
    return plan


def _resolve(job, reader, prior, subject, size, cut_settings) -> SubjectPlan:
    pairs = resolve_frames(job.seq, list(range(job.seq.first, job.seq.last + 1)), job.spec.missing if job.spec.missing != "error"
                           else "black")
    from cmn_vfx.prior.detect import PersonDetector
    people = PersonDetector()
    detector = CutDetector(*cut_settings)
    shots: list[Recorder] = []
    track = None
    for frame, source in pairs:
        frame_in = reader.read(Step(frame, source, False, not shots))
        if not shots or detector.is_cut(frame_in.src) or frame in job.spec.cuts:
            shots.append(Recorder())
            track = prior.new_track()
        elif source is None:
            continue
        shots[-1].add(frame, track.update(frame_in.prior), people.detect(frame_in.src))
    to_working = lambda pick: _to_working(pick, reader.geometry, size)  # noqa: E731
    boxes: dict[int, list] = {}
    neighbours: dict[int, list] = {}
    lost: dict[str, list[int]] = {}
    merged: list[str] = []
    for shot in shots:
        if subject == MAIN:
            shot_subject = MAIN
        else:
            shot_subject = [p for p in subject if p.frame in shot.frames]
            if not shot_subject:
                boxes.update({f: [] for f in shot.frames})
                lost.setdefault("(no pick in this shot)", []).extend(shot.frames)
                continue
        shot_boxes, shot_lost = follow(shot, shot_subject, size, to_working)
        if shot_subject != MAIN:
            shot_boxes, shot_lost = _merge_same_person(shot_subject, shot_boxes, shot_lost, merged)
        boxes.update(shot_boxes)
        neighbours.update(others(shot, shot_boxes))
        for name, frames in shot_lost.items():
            lost.setdefault(name, []).extend(frames)
    missed = [] if subject == MAIN else [p for p in subject if p.frame not in boxes]
    if missed:
        raise BadInputError(f"subject {missed[0].text()}: frame {missed[0].frame} is not a frame of the plate "
                            f"({job.seq.first}-{job.seq.last})")
    return SubjectPlan(subject_text(subject), boxes, lost, neighbours, merged)


def _merge_same_person(picks: list[Pick], boxes: dict[int, list], lost: dict[str, list[int]], merged: list[str]):
    """Picks that follow the same person through the shot (box for box) count once: otherwise person1.A and
    person2.A are the same matte. The later pick is dropped, and `merged` says so."""
    tracks = [[boxes[f][i] for f in sorted(boxes)] for i in range(len(picks))]
    keep = [i for i, track in enumerate(tracks) if track not in tracks[:i]]
    for i in sorted(set(range(len(picks))) - set(keep)):
        first = picks[tracks.index(tracks[i])]
        merged.append(f"subject {picks[i].text()}: the same person as {first.text()}; matted once"
                      f" (person layer {keep.index(tracks.index(tracks[i])) + 1})")
        if picks[i].text() != first.text():
            lost.pop(picks[i].text(), None)
    return {f: [b[i] for i in keep] for f, b in boxes.items()}, lost


def _store(path: str, key: str, plan: SubjectPlan) -> None:
    from cmn_vfx.io.atomic import atomic_path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"key": key, "subject": plan.text, "boxes": plan.boxes, "lost": plan.lost,
                       "neighbours": plan.neighbours, "merged": plan.merged}, fh)
