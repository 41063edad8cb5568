"""Guided upsampling, edge refinement, the warm-up plan, cut detection and the streaming threads."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import torch

from cmn_vfx.engine.cuts import CutDetector
from cmn_vfx.engine import MatteEngine, Shot
from cmn_vfx.engine.plan import plan_steps
from cmn_vfx.io.image import Box, read_image, write_exr
from cmn_vfx.io.sequence import Sequence, find_sequence
from cmn_vfx.engine.streaming import ReadAhead, WriteBehind
from engine_helpers import engine_spec


class PointwiseMatte(torch.nn.Module):
    """A stand-in network whose alpha is a smooth function of the pixel: the ideal guided-filter case."""

    def forward(self, src, prev_src=None, state=None, prior=None, with_fgr=True):
        luma = src[:, :1] * 0.2126 + src[:, 1:2] * 0.7152 + src[:, 2:] * 0.0722
        return torch.sigmoid((luma - 0.5) * 6), src if with_fgr else None, ()


def test_guided_upsampling_4x_matches_full_resolution(tmp_path):
    """Bound: mean |diff| < 0.005 and max < 0.05 on a smooth synthetic plate, 4x downsampled."""
    data = Box(0, 0, 256, 144)
    ys, xs = np.mgrid[0:144, 0:256].astype(np.float32)
    os.makedirs(tmp_path / "p")
    for frame in (1, 2):
        lum = 0.5 + 0.45 * np.sin(xs / 23.0 + frame) * np.cos(ys / 17.0)
        pixels = (np.stack([lum * 0.9, lum, lum * 1.1], -1) ** 2.2).astype(np.float32)
        write_exr(str(tmp_path / "p" / f"s.{frame:04d}.exr"), pixels, ("R", "G", "B"), data, data, pixel_type="float")
    seq = find_sequence(str(tmp_path / "p" / "s.####.exr"))
    alphas = {}
    for ratio in (1.0, 0.25):
        spec = engine_spec(device="cpu", downsample=ratio, auto_cuts=False, refine="none", frames="1-2")
        engine = MatteEngine(spec, model=PointwiseMatte(), meta={"name": "pointwise", "sha256": "0"})
        out = tmp_path / f"out{ratio}"
        engine.run(spec, seq, str(out), "s", progress=False)
        alphas[ratio] = read_image(str(out / "alpha" / "s.0002.exr")).pixels[..., 0]
    diff = np.abs(alphas[1.0] - alphas[0.25])
    assert alphas[1.0].std() > 0.2          # the matte really varies
    assert diff.mean() < 0.005 and diff.max() < 0.05, (diff.mean(), diff.max())


def test_the_torch_backend_refines_with_the_numpy_guided_filter():
    """--refine guided with torch: the backend hands its tensors to the one refinement (numpy_filters) and back
    on its device."""
    from cmn_vfx.engine.numpy_filters import refine_edges
    ys, xs = np.mgrid[0:36, 0:64].astype(np.float32)
    small = np.stack([xs / 64, ys / 36, 0.5 + 0 * xs], -1).astype(np.float32)     # [h,w,3] network space
    engine = MatteEngine(engine_spec(device="cpu"), model=PointwiseMatte(), meta={"name": "pointwise", "sha256": "0"})
    src = engine.backend.frame(small)
    pha, _, _ = engine.backend.step(src, None, None, None)
    refined = engine.backend.refine(pha, src)
    assert refined.shape == pha.shape and refined.device == src.device
    want = refine_edges(pha[0, 0].numpy(), small)
    assert 0 < ((want > 0) & (want < 1)).mean() < 0.5                      # a band, 0 / 1 elsewhere
    assert np.abs(refined[0, 0].numpy() - want).max() < 1e-4


def _job(frames, cuts=(), holes=()):
    seq = Sequence("/p", "s.", ".exr", 4, tuple(f for f in range(1001, 1021) if f not in holes))
    return Shot(engine_spec(frames=",".join(map(str, frames)), cuts=list(cuts)), seq, "/out", "s")


def test_plan_warms_up_within_the_shot():
    job = _job(range(1010, 1013), cuts=[1007])
    steps = plan_steps(job, [(f, f) for f in job.frames], warmup=8)
    assert [(s.frame, s.emit, s.reset) for s in steps] == [
        (1007, False, True), (1008, False, False), (1009, False, False),
        (1010, True, False), (1011, True, False), (1012, True, False)]


def test_plan_rewarms_after_a_skipped_frame_and_stops_at_holes():
    job = _job([1003, 1004, 1006], holes=[1001])
    steps = plan_steps(job, [(1003, 1003), (1006, 1006)], warmup=2)
    assert [(s.frame, s.emit) for s in steps] == [(1002, False), (1003, True), (1004, False), (1005, False),
                                                  (1006, True)]


def test_cut_detector():
    rng = np.random.default_rng(0)
    dark = rng.uniform(0.0, 0.3, (20, 30, 3))
    detector = CutDetector(threshold=0.5)
    assert [detector.is_cut(x) for x in (dark, dark * 1.05, dark + 0.6, dark + 0.61)] == [False, False, True, False]


def test_read_ahead_is_bounded_and_raises_in_order():
    produced = []

    def produce(i):
        produced.append(i)
        if i == 7:
            raise ValueError("bad frame 7")
        return i * 10

    got = []
    reader = ReadAhead(range(10), produce, depth=2)
    with pytest.raises(ValueError, match="bad frame 7"):
        for value in reader:
            got.append(value)
            if value == 30:
                threading.Event().wait(0.2)
                assert len(produced) <= 4 + 2 + 1   # never more than depth (+1 in hand) ahead
    reader.close()
    assert got == [0, 10, 20, 30, 40, 50, 60]


def test_chained_read_ahead_keeps_order_and_hands_on_an_upstream_failure():
    def read(i):
        if i == 5:
            raise ValueError("bad frame 5")
        return i

    first = ReadAhead(range(8), read, depth=2)
    second = ReadAhead(first, lambda i: (i, threading.current_thread().name), depth=2, name="stage-2")
    got = []
    with pytest.raises(ValueError, match="bad frame 5"):
        for value in second:
            got.append(value)
    second.close()
    first.close()
    assert got == [(i, "stage-2") for i in range(5)]     # in order, each made in the second stage's thread


@pytest.mark.parametrize("downstream_first", [True, False])
def test_chained_read_ahead_closes_mid_stream_in_either_order(downstream_first):
    first = ReadAhead(range(100), lambda i: i, depth=1)
    second = ReadAhead(first, lambda i: i * 2, depth=1)
    assert next(iter(second)) == 0
    closing = [second, first] if downstream_first else [first, second]
    done = threading.Event()

    def close():
        for stage in closing:
            stage.close()
        done.set()

    threading.Thread(target=close, daemon=True).start()
    assert done.wait(5.0), "closing a chain of stages hung"


def test_write_behind_reraises_worker_error():
    seen = []

    def consume(i):
        if i == 2:
            raise OSError("disk gone")
        seen.append(i)

    writer = WriteBehind(consume, depth=1)
    with pytest.raises(OSError, match="disk gone"):
        for i in range(6):
            writer.submit(i)
        writer.close()
    assert seen == [0, 1]


class RecordingPrior:
    """A prior that records the engine's calls: observe per frame read, a new track per shot start or cut."""

    def __init__(self):
        self.observed, self.tracks = [], []

    def observe(self, src):
        self.observed.append(float(src.mean()))
        return np.full(src.shape[:2], 0.25, np.float32)

    def new_track(self):
        prior = self

        class Track:
            def __init__(self):
                self.updates = 0
                prior.tracks.append(self)

            def update(self, observation):
                self.updates += 1
                return observation

        return Track()


def test_engine_starts_a_new_prior_track_at_each_shot_start_and_cut(tmp_path):
    """The prior's temporal part sees the frames in order, warm-up included, and restarts at cuts."""
    from engine_helpers import write_plate
    seq = find_sequence(write_plate(str(tmp_path / "p"), frames=range(1001, 1009)))
    spec = engine_spec(device="cpu", auto_cuts=False, refine="none", warmup=2, frames="1004-1008", cuts=[1007])
    engine = MatteEngine(spec, model=PointwiseMatte(), meta={"name": "pointwise", "sha256": "0"})
    engine.prior = RecordingPrior()
    engine.run(spec, seq, str(tmp_path / "o"), "s", progress=False)
    # warm-up 1002-1003, then 1004-1006; the cut at 1007 starts a new track for 1007-1008
    assert len(engine.prior.observed) == 7
    assert [t.updates for t in engine.prior.tracks] == [5, 2]


def test_clamp_to_half_counts_and_clamps_only_beyond_65504():
    from cmn_vfx.engine.output_pixels import HALF_MAX, clamp_to_half
    rgba = np.zeros((4, 5, 4), np.float32)
    assert clamp_to_half(rgba) == 0 and not rgba.any()
    rgba[0, 0, 0], rgba[1, 1, 1], rgba[2, 2, 2] = 1e6, -7e4, HALF_MAX
    assert clamp_to_half(rgba) == 2
    assert (rgba[0, 0, 0], rgba[1, 1, 1], rgba[2, 2, 2]) == (HALF_MAX, -HALF_MAX, HALF_MAX)


def test_the_cut_histogram_counts_as_numpys_histogram_does():
    """OpenCV counts the bin indices (5x faster); the bins must be np.histogram's, edges and 1.0 included,
    and a frame with values outside 0..1 (not counted) takes numpy's own path."""
    from cmn_vfx.engine.cuts import BINS, colour_histogram

    def numpy_histogram(src):
        hists = [np.histogram(src[..., c], bins=BINS, range=(0.0, 1.0))[0] for c in range(3)]
        return np.concatenate(hists).astype(np.float64) / (src.shape[0] * src.shape[1])
    rng = np.random.default_rng(0)
    src = rng.random((37, 53, 3)).astype(np.float32)
    src[0, :17, 0] = np.arange(17, dtype=np.float32) / 16                 # every bin edge, 0 and 1 too
    src[1, :16, 1] = np.nextafter(np.arange(1, 17, dtype=np.float32) / 16, np.float32(0))   # just below them
    np.testing.assert_array_equal(colour_histogram(src), numpy_histogram(src))
    src[2, 3, 2], src[2, 4, 2] = -0.5, 1.5
    np.testing.assert_array_equal(colour_histogram(src), numpy_histogram(src))
