"""SSD anchors and box decoding of MediaPipe's BlazePose detector (pose_detection.tflite).

Values follow mediapipe/modules/pose_detection/pose_detection_cpu.pbtxt (0.10.14):
5 layers, strides 8,16,32,32,32, one aspect ratio plus the interpolated scale, fixed
anchor size, 224x224 input -> 2254 anchors; 12 coords = box (cx,cy,w,h) + 4 keypoints.
"""
from __future__ import annotations

import numpy as np

STRIDES = (8, 16, 32, 32, 32)
INPUT = 224


def ssd_anchors(size: int = INPUT, strides: tuple[int, ...] = STRIDES) -> np.ndarray:
    """-> [N,2] anchor centres (x,y) in 0..1 of the tensor; layers with one stride share a grid."""
    out = []
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        per_cell = 2 * (j - i)  # aspect 1.0 + interpolated scale, per merged layer
        n = int(np.ceil(size / strides[i]))
        ys, xs = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], 1)
        out.append(np.repeat(grid, per_cell, axis=0))
        i = j
    return np.concatenate(out, 0)


def decode(raw: np.ndarray, logits: np.ndarray, anchors: np.ndarray, min_score: float = 0.5
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """raw [N,12], logits [N] -> (boxes [K,4] x0,y0,x1,y1, keypoints [K,4,2], scores [K]) in 0..1."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100.0, 100.0)))
    keep = scores >= min_score
    raw, a, scores = raw[keep] / INPUT, anchors[keep], scores[keep]
    cx, cy = raw[:, 0] + a[:, 0], raw[:, 1] + a[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    kps = raw[:, 4:12].reshape(-1, 4, 2) + a[:, None, :]
    return boxes, kps, scores


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    lt = np.maximum(box[:2], boxes[:, :2])
    rb = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), 1)
    area = lambda b: np.prod(np.clip(b[..., 2:] - b[..., :2], 0, None), -1)
    return inter / np.maximum(area(box) + area(boxes) - inter, 1e-9)


def clusters(boxes: np.ndarray, kps: np.ndarray, scores: np.ndarray, iou: float = 0.3
             ) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Weighted NMS (MediaPipe's WEIGHTED): -> [(box [4], keypoints [4,2], score)], best first."""
    out, left = [], np.argsort(-scores)
    while len(left):
        near = _iou(boxes[left[0]], boxes[left]) >= iou
        idx = left[near]
        wts = (scores[idx] / scores[idx].sum())[:, None]
        out.append(((boxes[idx] * wts).sum(0), (kps[idx] * wts[:, :, None]).sum(0), float(scores[left[0]])))
        left = left[~near]
    return out


def subject(found: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[np.ndarray, float] | None:
    """The subject among detected people: the largest detection box (nearest the camera)."""
    if not found:
        return None
    box, kps, score = max(found, key=lambda d: (d[0][2] - d[0][0]) * (d[0][3] - d[0][1]))
    return kps, score
