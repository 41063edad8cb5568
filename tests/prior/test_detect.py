"""NanoDet person boxes (cmn_vfx.prior.detect) on real portraits and on a scripted runtime."""
import os

import cv2
import numpy as np
import pytest

from cmn_vfx.prior.detect import MEAN_BGR, STD_BGR, PersonDetector, box_iou

ASSETS = os.path.join(os.path.dirname(__file__), "..", "..", "assets")


def _load(name: str, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """p3m_dev portrait resized to size (w,h): (src [h,w,3] 0..1 sRGB, alpha's bounding box
    x0,y0,x1,y1 in pixel edges)."""
    img = cv2.imread(os.path.join(ASSETS, "p3m_dev", "original", name + ".jpg"))[:, :, ::-1]
    pha = cv2.imread(os.path.join(ASSETS, "p3m_dev", "alpha", name + ".png"), cv2.IMREAD_GRAYSCALE)
    img = cv2.resize(img, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    ys, xs = np.nonzero(cv2.resize(pha, size, interpolation=cv2.INTER_AREA) > 127)
    return img, np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


@pytest.fixture(scope="module")
def detector():
    return PersonDetector(threads=2)


# measured (letterbox): p_07141906 IoU 0.96 score 0.88; p_818e689d IoU 0.96 score 0.75
@pytest.mark.parametrize("name,size", [("p_07141906", (640, 640)), ("p_818e689d", (640, 400))])
def test_finds_the_person_in_a_real_portrait(detector, name, size):
    src, gt = _load(name, size)
    boxes = detector.detect(src)
    assert boxes.dtype == np.float32 and boxes.shape[1] == 5
    assert len(boxes) == 1
    assert box_iou(gt[None], boxes[:, :4])[0, 0] > 0.85
    assert boxes[0, 4] > 0.5


# measured: 301x187 IoU 0.96 score 0.67; 187x301 IoU 0.95 score 0.57
@pytest.mark.parametrize("size", [(301, 187), (187, 301)])
def test_boxes_are_in_the_input_pixels_for_odd_sizes(detector, size):
    src, gt = _load("p_07141906", size)
    boxes = detector.detect(src)
    assert len(boxes) >= 1
    assert box_iou(gt[None], boxes[:1, :4])[0, 0] > 0.8
    w, h = size
    assert (boxes[:, [0, 2]] >= 0).all() and (boxes[:, [0, 2]] <= w).all()
    assert (boxes[:, [1, 3]] >= 0).all() and (boxes[:, [1, 3]] <= h).all()


def test_finds_two_people_side_by_side(detector):
    """Two portraits in the halves of a 16:9 grey canvas: one box on each, nothing else.

    Measured: all 30 ordered pairs of the p3m_dev portraits give both boxes with IoU > 0.8;
    this pair gives exactly two boxes, IoU 0.94 and 0.97, scores 0.83 and 0.70.
    """
    canvas = np.full((360, 640, 3), 0.5, np.float32)
    gts = []
    for slot, name in enumerate(["p_07141906", "p_22fc0130"]):
        h, w = cv2.imread(os.path.join(ASSETS, "p3m_dev", "original", name + ".jpg")).shape[:2]
        s = min(320 / w, 360 / h)
        nw, nh = int(w * s), int(h * s)
        x0, y0 = slot * 320 + (320 - nw) // 2, (360 - nh) // 2
        src, gt = _load(name, (nw, nh))
        canvas[y0:y0 + nh, x0:x0 + nw] = src
        gts.append(gt + [x0, y0, x0, y0])
    boxes = detector.detect(canvas)
    assert len(boxes) == 2
    iou = box_iou(np.array(gts), boxes[:, :4])
    assert (iou.max(axis=1) > 0.8).all()  # each person has its box ...
    assert (iou.argmax(axis=1) != iou.argmax(axis=1)[::-1]).all()  # ... and not the same one


@pytest.mark.parametrize("grey", [0.2, 0.5, 0.8])
def test_nothing_on_a_flat_grey_frame(grey):
    """Measured: the best person score on flat grey is below 0.02, so even 0.05 keeps nothing."""
    src = np.full((288, 512, 3), grey, np.float32)
    assert PersonDetector(threads=1, score=0.05).detect(src).shape == (0, 5)


class _ScriptedRuntime:
    """NanoDet's six outputs (in a shuffled order) with three hand-made cells at stride 32."""

    input_shape = (1, 3, 416, 416)

    def __init__(self):
        self.seen = None
        self.cls = {n: np.zeros((1, n, 80), np.float32) for n in (2704, 676, 169)}
        self.reg = {n: np.zeros((1, n, 44), np.float32) for n in (2704, 676, 169)}
        onehot = lambda k: np.where(np.arange(11) == k, 50.0, 0.0)  # noqa: E731
        # cell (row 5, col 6): centre (208, 176) in tensor pixels; person 0.9
        # sides: left = bin 2, top = uniform over 0..10 (mean 5), right = bins 1 and 3 equally (2), bottom = 0
        self.cls[169][0, 5 * 13 + 6, 0] = 0.9
        self.reg[169][0, 5 * 13 + 6] = np.concatenate([onehot(2), np.zeros(11), onehot(1) + onehot(3), onehot(0)])
        # the neighbouring cell predicts the same box with a lower score: NMS drops it
        self.cls[169][0, 5 * 13 + 7, 0] = 0.6
        self.reg[169][0, 5 * 13 + 7] = np.concatenate([onehot(3), np.zeros(11), onehot(1), onehot(0)])
        # a confident non-person (class 2, car) and a person below the threshold: both ignored
        self.cls[169][0, 0, 2] = 0.99
        self.cls[169][0, 1, 0] = 0.2

    def run(self, x):
        self.seen = x
        return [self.reg[2704], self.cls[169], self.cls[676], self.reg[169], self.cls[2704], self.reg[676]]


def test_runtime_is_injectable_and_decoding_is_nanodets():
    rt = _ScriptedRuntime()
    det = PersonDetector(runtime=rt)
    src = np.zeros((832, 832, 3), np.float32)
    src[..., 0] = 1.0  # pure red
    boxes = det.detect(src)
    # input: NCHW, BGR, (v - mean) / std
    assert rt.seen.shape == (1, 3, 416, 416)
    want = (np.array([0.0, 0.0, 1.0], np.float32) - MEAN_BGR) / STD_BGR
    np.testing.assert_allclose(rt.seen[0, :, 208, 208], want, atol=1e-5)
    # tensor box (208-64, 176-160, 208+64, 176+0) -> frame, which is exactly twice the tensor
    assert boxes.shape == (1, 5)
    np.testing.assert_allclose(boxes[0], [288, 32, 544, 352, 0.9], atol=1e-3)


@pytest.mark.parametrize("fit,want", [
    # squeezed 2x in x only: the box doubles in x alone
    ("stretch", [288, 16, 544, 176, 0.9]),
    # the default, letterbox: 2x on both axes about the centre, 104 tensor rows of padding above
    (None, [288, 0, 544, 144, 0.9]),  # y0 = 2 * 16 - 208 < 0, clipped to the frame
])
def test_boxes_map_back_through_the_fit(fit, want):
    det = PersonDetector(runtime=_ScriptedRuntime(), **({"fit": fit} if fit else {}))
    boxes = det.detect(np.zeros((416, 832, 3), np.float32))
    np.testing.assert_allclose(boxes[0], want, atol=1e-3)
