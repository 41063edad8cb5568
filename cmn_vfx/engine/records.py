"""The records the engine's threads hand each other (cmn_vfx.engine.streaming).

    reader thread  --FrameIn-->  prior-track thread  --Prepared-->  network (main thread)  --NetOut-->
    writer thread (finish, then write)

Plain dataclasses: the reader (cmn_vfx.engine.reader) makes FrameIns, the prior-track stage
(MatteEngine._prepare: cuts, the person track, the subject's region) Prepareds, MatteEngine's network
loop turns each emitted one into a NetOut; in the writer thread MatteEngine.finish refines and upsamples it
into a FrameOut (nothing there feeds the recurrence), which the writer (cmn_vfx.engine.writer) writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cmn_vfx.engine.plan import Step

if TYPE_CHECKING:
    import numpy as np

    from cmn_vfx.io.image import Image


@dataclass
class FrameIn:
    """One plate frame read for the network."""

    step: Step
    src: np.ndarray                         # [h,w,3] float32 0..1 sRGB at the working size
    prior: object | None                    # the prior's observation of `src` (PersonPrior.observe)
    plate: Image | None = None              # the plate frame, emitted steps only
    guide: np.ndarray | None = None         # [H,W] float32 network-space luminance at the plate's size


@dataclass
class Prepared:
    """One FrameIn after the prior-track stage, ready for the network."""

    frame_in: FrameIn
    restart: bool                           # a fresh start here (the plan's reset or a cut): state, track, stabiliser
    prior: np.ndarray | None                # [h,w] the track's person prior (subject-restricted); None: no prior
    mask: np.ndarray | None = None          # [h,w] 0/1 the picked people's region (a subject plan), else None
    people: list | None = None              # [h,w] regions of the picked people (person layers)


@dataclass
class NetOut:
    """One emitted frame's network results, before refinement and upsampling (backend arrays)."""

    frame_in: FrameIn                       # step, working-size src (numpy), plate, guide
    pha: object                             # the network's alpha at the working size (subject-restricted)
    src: object                             # the working-size frame as the backend holds it
    fgr: object | None                      # the network's fg colour (fg_colour 'network'), else None
    people: list | None = None              # [h,w] regions of the picked people (person layers)


@dataclass
class FrameOut:
    """One frame ready for the writer: alpha at the plate's size and what the fg colour needs."""

    step: Step
    plate: Image                            # the plate frame (FrameIn.plate)
    alpha: np.ndarray                       # [H,W] float32 0..1 at the plate's size, or [H,W,1+P]: A, person1.A...
    fgr: np.ndarray | None                  # [h,w,3] float32 sRGB-encoded foreground at the working size, or
    #                                         None: the writer estimates it from `working` where it needs it
    working: tuple | None = None            # (src [h,w,3], alpha [h,w]) at the working size, for the estimate
