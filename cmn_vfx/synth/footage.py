"""Background footage: video frames decoded (PyAV) and fitted to a canvas (OpenCV)."""
from __future__ import annotations

import cv2
import numpy as np

from cmn_vfx.errors import BadInputError


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
