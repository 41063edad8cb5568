"""The synthetic clip (cmn_vfx/synth/ and training/data/py): exact compositing, exact backward flow, motion blur, caching, edge extension."""
import cv2
import numpy as np

from cmn_vfx.synth.motion import keyframed_motion
from cmn_vfx.synth.render import render_subject, warp_still
from cmn_vfx.synth.still import Still, estimate_foreground, extend_cut_edges
from cmn_vfx_training.data.compose import backward_flow, prescale, render_frame


def _textured_still(w=96, h=80, seed=0):
    rng = np.random.default_rng(seed)
    fgr = cv2.GaussianBlur(rng.uniform(0, 1, (h, w, 3)).astype(np.float32), (0, 0), 2.0)
    fgr = (fgr - fgr.min()) / (fgr.max() - fgr.min())
    pha = np.zeros((h, w), np.float32)
    cv2.ellipse(pha, (w // 2, h // 2), (w // 3, h // 3), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    return Still(fgr, pha, 'test')


def _motion(still, frames=3, canvas=(128, 96)):
    return keyframed_motion(frames, still, canvas, [(50, 70, 1.0, 0.0), (64, 76, 1.1, 5.0)],
                            [(0, 0, 1.0, 0.0), (3, -2, 1.02, 0.5)])


def test_render_frame_is_an_exact_composite():
    still = _textured_still()
    motion = _motion(still)
    bgr = np.random.default_rng(1).uniform(0, 1, (96, 128, 3)).astype(np.float32)
    frame = render_frame(still, motion, 2, bgr, blur_samples=3)
    expected = frame.pha[..., None] * frame.fgr + (1 - frame.pha[..., None]) * frame.bgr
    assert np.abs(frame.src - expected).max() < 1e-6
    assert frame.src.shape == (96, 128, 3) and frame.flow.shape == (96, 128, 2)
    assert 0.05 < float((frame.pha > 0.5).mean()) < 0.6


def test_backward_flow_maps_frame_t_onto_frame_t_minus_1():
    still = _textured_still()
    motion = _motion(still)
    prev_fgr, _ = render_subject(still, motion, 1)
    fgr, pha = render_subject(still, motion, 2)
    flow = backward_flow(motion, 2)
    h, w = pha.shape
    grid = np.stack(np.meshgrid(np.arange(w), np.arange(h)), -1).astype(np.float32)
    warped = cv2.remap(prev_fgr, grid + flow, None, cv2.INTER_LINEAR)
    inside = cv2.erode((pha > 0.99).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    err_with_flow = np.abs(warped - fgr)[inside].mean()
    err_without = np.abs(prev_fgr - fgr)[inside].mean()
    assert err_with_flow < 0.01
    assert err_without > 5 * err_with_flow
    assert np.abs(backward_flow(motion, 0)).max() == 0.0


def test_motion_blur_keeps_premultiplied_colour_exact():
    still = _textured_still()
    motion = _motion(still)
    sharp_fgr, sharp_pha = render_subject(still, motion, 2, blur_samples=1)
    fgr, pha = render_subject(still, motion, 2, blur_samples=4)
    mats = [motion.subject_matrix(t) for t in np.linspace(1.5, 2, 4)]
    warps = [warp_still(still, m, motion.canvas) for m in mats]
    premult = np.mean([f * a[..., None] for f, a in warps], axis=0)
    assert np.abs(fgr * pha[..., None] - premult).max() < 1e-5
    soft = lambda a: int(((a > 0.02) & (a < 0.98)).sum())  # noqa: E731
    assert soft(pha) > soft(sharp_pha)


def test_keyframed_motion_hits_its_keys():
    still = _textured_still()
    motion = _motion(still, frames=5)
    assert np.allclose(motion.subject[0], (50, 70, 1.0, 0.0))
    assert np.allclose(motion.subject[-1], (64, 76, 1.1, 5.0))
    anchor = np.array([*still.anchor(), 1.0])
    assert np.allclose(motion.camera_matrix(0), np.eye(3))  # camera key 0 is identity
    assert np.allclose((motion.subject_matrix(0) @ anchor)[:2], (50, 70))  # the anchor lands on the key


def test_foreground_estimate_is_cached(tmp_path):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:30].astype(np.float32)
    image = np.stack([xx / 30, yy / 40, 0.5 + 0 * xx], -1)  # smooth, so F = I where alpha is 1
    pha = np.clip(rng.uniform(-0.5, 1.5, (40, 30)), 0, 1).astype(np.float32)
    cache = str(tmp_path / 'c' / 'x.fgr.png')
    first = estimate_foreground(image, pha, cache)
    second = estimate_foreground(np.zeros_like(image), pha, cache)  # from the cache, not recomputed
    assert first.shape == (40, 30, 3)
    assert np.abs(first - second).max() <= 1.0 / 65535 + 1e-6
    opaque = pha > 0.999
    assert np.abs(first[opaque] - image[opaque]).mean() < 0.03  # where alpha is 1, F is the image


def test_extend_cut_edges_continues_the_body_below_a_sloped_line():
    pha = np.zeros((50, 40), np.float32)
    pha[30:, :] = 1.0            # shoulders cut by left, right and bottom edges
    pha[5:30, 15:25] = 1.0       # head/neck
    still = Still(np.ones((50, 40, 3), np.float32) * 0.5, pha)
    out = extend_cut_edges(still, fraction=0.5, slope=1.0)
    assert out.pha.shape == (75, 80)
    assert out.anchor() == (still.anchor()[0] + 20, still.anchor()[1])
    assert out.pha[31, 0] == 0.0 and out.pha[49, 19] == 1.0   # 20 px out: opaque only from row 30 + 20
    assert out.pha[74, 20:60].min() == 1.0 and out.cut_at_bottom()
    assert extend_cut_edges(Still(still.fgr, pha * 0)).pha.shape == (50, 40)


def test_prescale_keeps_the_geometry_and_the_flow():
    still = _textured_still(w=256, h=200)
    motion = keyframed_motion(2, still, (64, 48), [(30, 40, 0.2, 0.0), (34, 41, 0.21, 2.0)])
    small, small_motion = prescale(still, motion)
    assert small.size == (64, 50) and np.allclose(small_motion.subject[:, 2], motion.subject[:, 2] * 4)
    _, pha = render_subject(still, motion, 1)
    _, small_pha = render_subject(small, small_motion, 1)
    assert abs(float(pha.sum()) - float(small_pha.sum())) < 0.02 * float(pha.sum())  # same area covered
    assert np.abs(backward_flow(motion, 1) - backward_flow(small_motion, 1)).max() < 1e-3
