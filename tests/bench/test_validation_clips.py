"""The validation suite's harder clips (bench/validation_clips.py, bench/validation_looks.py): exact truth, the
hat is part of the person, the sway moves the body and not the hips, and the split holds."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import bench.validation_clips as V
import bench.validation_looks as L

SMALL = (128, 72)


def _clip(name: str) -> V.Clip:
    return dataclasses.replace(next(c for c in V.CLIPS if c.name == name), frames=2)


def test_hat_clip_truth_is_an_alpha_and_holds_the_hat():
    clip = _clip("hat_behind_b")
    hatless = dataclasses.replace(clip, people=[dataclasses.replace(p, look=()) for p in clip.people])
    with_hat, without = V.render(clip, SMALL), V.render(hatless, SMALL)
    for src, truth, bare in zip(with_hat.src, with_hat.truth, without.truth):
        assert src.shape == (72, 128, 3) and 0.0 <= src.min() and src.max() <= 1.0
        assert 0.0 <= truth.min() and truth.max() <= 1.0
        assert np.abs((truth > 0.5).astype(int) - (bare > 0.5)).mean() > 0.005, "the hat changed the truth"
    bare = V._still("p_a09f6d7a")
    still, hat = L.add_hat(bare, 20.0)
    assert hat.max() == pytest.approx(1.0) and (hat > 0.5).sum() > 1000
    assert np.all(still.pha >= hat - 1e-6), "the hat's alpha is inside the person's"
    # the brim and crown stand out of the head: the person grows by at least a third of the hat
    assert (still.pha > 0.5).sum() > (bare.pha > 0.5).sum() + (hat > 0.5).sum() / 3


def test_sway_moves_the_head_and_keeps_the_hips():
    still = V._still("p_a09f6d7a")
    moved = L.sway(still, 4.0, 0.04)     # a quarter period: the largest lean
    ys = np.nonzero(still.pha.max(1) > 0.5)[0]
    top, hips = ys.min() + 10, int(still.anchor()[1]) - 2

    def centre(pha, row):
        xs = np.nonzero(pha[row] > 0.5)[0]
        return xs.mean()
    assert abs(centre(moved.pha, top) - centre(still.pha, top)) > 0.02 * still.subject_height()
    assert abs(centre(moved.pha, hips) - centre(still.pha, hips)) < 1.0
    assert moved.pha.sum() == pytest.approx(still.pha.sum(), rel=0.02)
    assert moved.anchor() == still.anchor()


def test_dark_footage_is_three_stops_down_with_grain():
    grey = np.full((64, 64, 3), 0.5, np.float32)
    dark = L.dark_footage(grey, seed=1)
    assert 0.15 < dark.mean() < 0.3 and 0.01 < dark.std() < 0.04     # sRGB 0.5 -> linear/8 -> ~0.22
    assert np.array_equal(dark, L.dark_footage(grey, seed=1))


def test_a_training_portrait_is_refused():
    clip = dataclasses.replace(_clip("hat_behind_b"), people=[V.Layer("p_07141906", [(0.5, 1.0, 0.6, 0.0)],
                                                                      look=("hat",))])
    with pytest.raises(ValueError, match="not a validation portrait"):
        V.render(clip, SMALL)
    with pytest.raises(ValueError, match="training video"):
        V._background_frames("tree.avi", 1, SMALL)
