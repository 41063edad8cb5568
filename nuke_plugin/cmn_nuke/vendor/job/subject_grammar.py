"""Which person to matte: every person (`all`), the main one (`main`), or the ones a compositor picks.

    subject: all                          every foreground person (the default)
    subject: main                         the largest, most central person, held through the shot
    subject: 1210,540@1001                the person at plate pixel (1210, 540) on frame 1001
    subject: 1210,540@1001;300,500@1001   two people
    subject: 900,200,1400,1080@1001       the person inside a box (x0,y0,x1,y1) on frame 1001

Plate pixels: the display window's pixel coordinates, x to the right and y DOWN from its top-left
corner (as in the EXR file and every image tool; Nuke's y-up viewer coordinates are converted by
the Nuke plugin). The grammar is standard library only: the shot spec, the farm and Nuke use it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import BadInputError

ALL, MAIN = "all", "main"
_NUMBER = r"-?\d+(?:\.\d+)?"
_PICK = re.compile(rf"^\s*({_NUMBER})\s*,\s*({_NUMBER})(?:\s*,\s*({_NUMBER})\s*,\s*({_NUMBER}))?\s*@\s*(-?\d+)\s*$")


@dataclass(frozen=True)
class Pick:
    """One picked person: a point (x0 == x1, y0 == y1) or a box, in plate pixels, on `frame`."""

    frame: int
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def is_point(self) -> bool:
        return self.x0 == self.x1 and self.y0 == self.y1

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0

    def text(self) -> str:
        nums = (self.x0, self.y0) if self.is_point else (self.x0, self.y0, self.x1, self.y1)
        return ",".join(f"{v:g}" for v in nums) + f"@{self.frame}"


def parse_subject(text: str | None) -> str | list[Pick]:
    """'all' | 'main' | [Pick, ...]; BadInputError naming the bad part and the grammar."""
    if text is None or not str(text).strip() or str(text).strip().lower() == ALL:
        return ALL
    value = str(text).strip()
    if value.lower() == MAIN:
        return MAIN
    picks = []
    for part in value.split(";"):
        m = _PICK.match(part)
        if not m:
            raise BadInputError(f"subject {part.strip()!r}: give all, main, or picks like 1210,540@1001 (a point in "
                                "plate pixels, y down from the top) or 900,200,1400,1080@1001 (a box), joined by ;")
        x0, y0, x1, y1, frame = m.groups()
        x0f, y0f = float(x0), float(y0)
        x1f, y1f = (float(x1), float(y1)) if x1 is not None else (x0f, y0f)
        if x1f < x0f or y1f < y0f:
            raise BadInputError(f"subject {part.strip()!r}: a box is x0,y0,x1,y1 with x0 <= x1 and y0 <= y1")
        picks.append(Pick(int(frame), x0f, y0f, x1f, y1f))
    return picks


def subject_text(subject: str | list[Pick]) -> str:
    """The canonical text of a parsed subject (what cmn:settings records)."""
    return subject if isinstance(subject, str) else ";".join(p.text() for p in subject)
