"""Keys carried to their neighbours by the flow (cmn_vfx.teach.propagate): a textured disc moving over a textured
background; the carried key follows it, the flow's checks distrust what they should, no key crosses a cut, another
key or a missing frame, and a frame between two keys takes the nearer one."""
import numpy as np
import pytest

from cmn_vfx.teach.propagate import propagate

H, W = 72, 112
STEP = 3        # px a frame


def _texture(seed: int, h: int, w: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.random((h // 4 + 1, w // 4 + 1, 3)).astype(np.float32)
    return np.kron(coarse, np.ones((4, 4, 1), np.float32))[:h, :w]


def alpha(t: int) -> np.ndarray:
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    return np.clip(1.0 - (np.hypot(xs - (30 + STEP * t), ys - H / 2) - 14) / 2, 0, 1).astype(np.float32)


def frame(t: int, seed: int = 0) -> np.ndarray:
    """Frame t: the disc's own texture (moving with it) over a still background texture."""
    background = _texture(seed, H, W) * 0.6
    person = np.roll(_texture(seed + 100, H, W), STEP * t, axis=1) * 0.5 + 0.4
    a = alpha(t)[..., None]
    return (a * person + (1 - a) * background).astype(np.float32)


@pytest.fixture(scope="module")
def shot():
    return {t: frame(t) for t in range(12)}


def _mad(a, b, where=None) -> float:
    d = np.abs(a - b)
    return float(d[where].mean() if where is not None else d.mean())


def test_a_carried_key_follows_the_subject_and_is_trusted_where_the_flow_holds(shot):
    got = propagate(shot, {0: alpha(0)}, radius=4)
    assert sorted(got) == [1, 2, 3, 4]
    for t, label in got.items():
        assert label.steps == t
        trusted = label.weight > 0.5
        assert trusted.mean() > 0.8, (t, trusted.mean())
        assert _mad(label.alpha, alpha(t), trusted) < 0.005, t
        assert _mad(alpha(0), alpha(t), trusted) > 5 * _mad(label.alpha, alpha(t), trusted), t    # it moved
        assert _mad(label.alpha, alpha(t), ~trusted) > 5 * _mad(label.alpha, alpha(t), trusted), t  # the misses: distrusted


def test_the_flow_checks_distrust_a_frame_of_another_shot(shot):
    other = dict(shot)
    other[3] = frame(3, seed=7)[:, ::-1].copy()         # another picture at frame 3 (no cut given)
    got = propagate(other, {0: alpha(0)}, radius=4)
    assert (got[3].weight > 0.5).mean() < 0.2 and (got[4].weight > 0.5).mean() < 0.2     # and after it
    assert (got[2].weight > 0.5).mean() > 0.8


def test_no_key_crosses_a_cut_another_key_or_a_missing_frame(shot):
    assert sorted(propagate(shot, {0: alpha(0)}, radius=6, cuts={3})) == [1, 2]          # frame 3 starts a shot
    assert sorted(propagate(shot, {5: alpha(5)}, radius=6, cuts={3})) == [3, 4, 6, 7, 8, 9, 10, 11]
    assert sorted(propagate(shot, {0: alpha(0), 3: alpha(3)}, radius=6)) == [1, 2, 4, 5, 6, 7, 8, 9]
    gap = {t: f for t, f in shot.items() if t != 2}
    assert sorted(propagate(gap, {0: alpha(0)}, radius=6)) == [1]


def test_between_two_keys_each_pixel_takes_the_nearer_trusted_one(shot):
    wrong = np.zeros((H, W), np.float32)        # a key 'all background' at 6: frame 5 is nearer to it than to 0
    got = propagate(shot, {0: alpha(0), 6: wrong}, radius=6)
    assert got[1].steps == 1 and _mad(got[1].alpha, alpha(1)) < 0.02       # from 0
    assert got[5].steps == 1 and float(got[5].alpha.mean()) < 0.1 * float(alpha(5).mean())     # from 6
