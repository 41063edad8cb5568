"""Which person (issue 18): the subject grammar, following people through a shot, and the engine's restriction."""
from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.image import Box, read_image, write_exr
from cmn_vfx.prior.follow import Recorder, follow, restrict
from cmn_vfx.job.subject_grammar import ALL, MAIN, Pick, parse_subject, subject_text
from engine_helpers import make_checkpoint, matte

ASSETS = os.path.join(os.path.dirname(__file__), "..", "..", "assets")
W, H = 384, 216
FRAMES = range(1001, 1007)


@pytest.mark.parametrize("text,want", [(None, ALL), ("", ALL), ("All", ALL), ("main", MAIN),
                                       ("1210,540@1001", "1210,540@1001"), (" 10.5 , 20 @ 7 ", "10.5,20@7"),
                                       ("1,2@3;4,5,6,7@-8", "1,2@3;4,5,6,7@-8")])
def test_subject_grammar(text, want):
    assert subject_text(parse_subject(text)) == want


@pytest.mark.parametrize("text", ["someone", "1210,540", "1,2,3@4", "5,5,1,1@1", "1,2@x", "1,2@3;"])
def test_subject_grammar_refuses_bad_text(text):
    with pytest.raises(BadInputError, match="subject"):
        parse_subject(text)


def _blobs(t: int, people=((40, 1), (110, -1)), h=60, w=160) -> np.ndarray:
    """Two 20x40 people walking towards each other (x0 + speed*4*t)."""
    pha = np.zeros((h, w), np.float32)
    for x0, speed in people:
        x = x0 + speed * 4 * t
        if 0 <= x < w - 20:
            pha[10:50, x:x + 20] = 0.9
    return pha


def test_follow_keeps_the_picked_person_forwards_and_backwards_and_reports_lost_frames():
    rec = Recorder()
    for t in range(8):
        rec.add(100 + t, _blobs(t, people=((40, 1), (120, 3))))    # the right one is out of frame from t = 2
    size = (160, 60)
    boxes, lost = follow(rec, [Pick(104, 70, 30, 70, 30)], size)            # on the left one at t = 4 (x 56..76)
    assert lost == {"70,30@104": []}
    for t in range(8):
        x0, _, x1, _ = boxes[100 + t][0]
        assert abs(x0 * 160 - (40 + 4 * t)) <= 4 and abs(x1 * 160 - (60 + 4 * t)) <= 4, t
    _, lost = follow(rec, [Pick(100, 130, 30, 130, 30)], size)
    assert lost["130,30@100"] == [102, 103, 104, 105, 106, 107]
    with pytest.raises(BadInputError, match="no person at that point"):
        follow(rec, [Pick(100, 100, 5, 100, 5)], size)
    with pytest.raises(BadInputError, match="not in this shot"):
        follow(rec, [Pick(99, 50, 30, 50, 30)], size)


def test_main_is_the_largest_most_central_person():
    rec = Recorder()
    for t in range(3):
        pha = np.zeros((60, 160), np.float32)
        pha[5:55, 60:95] = 0.9          # central and large
        pha[20:50, 0:20] = 0.9          # at the edge
        rec.add(t, pha)
    boxes, _ = follow(rec, MAIN, (160, 60))
    assert all(abs(boxes[t][0][0] * 160 - 60) <= 4 for t in range(3))


def test_restrict_keeps_only_the_regions_in_the_box():
    pha = _blobs(0)
    region = restrict(pha, [[40 / 160, 10 / 60, 60 / 160, 50 / 60]])
    assert region[30, 50] == 1 and region[30, 120] == 0
    assert restrict(pha, [None]).max() == 0 and restrict(pha, []).max() == 0


def _portrait(height: int) -> tuple[np.ndarray, np.ndarray]:
    fgr = cv2.imread(os.path.join(ASSETS, "p3m_dev", "original", "p_22fc0130.jpg"))[:, :, ::-1]
    pha = cv2.imread(os.path.join(ASSETS, "p3m_dev", "alpha", "p_22fc0130.png"), cv2.IMREAD_GRAYSCALE)
    w = round(fgr.shape[1] * height / fgr.shape[0])
    return (cv2.resize(fgr, (w, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255,
            cv2.resize(pha, (w, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255)


@pytest.fixture(scope="module")
def two_people(tmp_path_factory):
    """Two people (the same portrait, mirrored) on a grey-green gradient, swaying; linear EXRs + each one's alpha."""
    folder = tmp_path_factory.mktemp("two")
    fgr, pha = _portrait(190)
    truths = {}
    for i, frame in enumerate(FRAMES):
        bg = np.dstack([np.linspace(0.3, 0.6, W)[None].repeat(H, 0), np.full((H, W), 0.55), np.full((H, W), 0.35)])
        src, alphas = bg.astype(np.float32), []
        for x, flip in ((95 + 3 * i, False), (290 - 3 * i, True)):
            f, a = (fgr[:, ::-1], pha[:, ::-1]) if flip else (fgr, pha)
            m = np.float64([[1, 0, x - f.shape[1] / 2], [0, 1, H - f.shape[0]]])
            fw = cv2.warpAffine(np.ascontiguousarray(f), m, (W, H))
            aw = cv2.warpAffine(np.ascontiguousarray(a), m, (W, H))
            src = aw[..., None] * fw + (1 - aw[..., None]) * src
            alphas.append(aw)
        truths[frame] = alphas
        window = Box(0, 0, W, H)
        write_exr(str(folder / f"two.{frame}.exr"), (src ** 2.2).astype(np.float32), ("R", "G", "B"), window, window)
    return str(folder / "two.####.exr"), truths


@pytest.fixture(scope="module", params=["torch", "onnx"])
def prior_checkpoint(request, tmp_path_factory):
    """A tiny checkpoint with the people prior; for 'onnx' with its export beside it, which the engine
    then runs (--runtime auto on a CPU-only run): the subject machinery works in both runtimes."""
    path = make_checkpoint(str(tmp_path_factory.mktemp("ck") / "prior.pt"), prior="person", prior_model="people",
                           prior_residual=True)
    if request.param == "onnx":
        from cmn_vfx.model import load_model
        from cmn_vfx.model.onnx_export import default_onnx_path, export_onnx
        model, meta = load_model(path)
        export_onnx(model, meta, default_onnx_path(path), size=(64, 64))
    return path


def _alpha(out, frame):
    return read_image(os.path.join(out, "alpha", f"two.{frame}.exr")).pixels[..., 0]


def test_a_pick_mattes_that_person_only_and_chunks_agree(two_people, prior_checkpoint, tmp_path):
    plate, truths = two_people
    base = ["--model", prior_checkpoint, "--colorspace", "lin_rec709"]
    everyone = str(tmp_path / "all")
    assert matte(plate, "--out", everyone, *base) == 0
    seq_out, chunk_out = str(tmp_path / "seq"), str(tmp_path / "chunk")
    assert matte(plate, "--out", seq_out, "--subject", "95,150@1001", *base) == 0
    for frame in FRAMES:
        left, right = truths[frame]
        assert _alpha(everyone, frame)[right > 0.5].mean() > 0.3, "test premise: without a pick both are matted"
        alpha = _alpha(seq_out, frame)
        assert (alpha[right > 0.5] > 0.5).mean() < 0.02 and alpha[left > 0.5].mean() > 0.5, frame
    meta = read_image(os.path.join(seq_out, "alpha", "two.1003.exr")).metadata
    assert json.loads(meta["cmn:settings"])["subject"] == "95,150@1001"
    # a farm chunk 1004-1006 with warm-up 3: same boxes (resolved again here, from a fresh output folder)
    assert matte(plate, "--out", chunk_out, "--subject", "95,150@1001", "--frames", "1004-1006", "--warmup", "3",
                 *base) == 0
    for frame in (1004, 1005, 1006):
        np.testing.assert_array_equal(_alpha(chunk_out, frame), _alpha(seq_out, frame))
    with open(os.path.join(seq_out, ".cmn", "two.subject.json"), encoding="utf-8") as fh:
        stored = json.load(fh)
    with open(os.path.join(chunk_out, ".cmn", "two.subject.json"), encoding="utf-8") as fh:
        assert json.load(fh)["boxes"] == stored["boxes"]


def test_main_and_a_pick_on_nobody(two_people, prior_checkpoint, tmp_path, capsys):
    plate, truths = two_people
    base = ["--model", prior_checkpoint, "--colorspace", "lin_rec709", "--frames", "1001-1002"]
    assert matte(plate, "--out", str(tmp_path / "main"), "--subject", "main", *base) == 0
    a = _alpha(str(tmp_path / "main"), 1002)
    left, right = truths[1002]
    assert (a[left > 0.5].mean() > 0.5) != (a[right > 0.5].mean() > 0.5)        # one of the two, not both
    capsys.readouterr()
    assert matte(plate, "--out", str(tmp_path / "none"), "--subject", "192,20@1001", *base) == 2
    assert "no person at that point on frame 1001" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "none" / "alpha")


def test_a_farm_job_with_a_pick_equals_a_sequential_run(two_people, prior_checkpoint, tmp_path):
    """cmn-farm submit resolves the pick once before chunking; 3 chunks of 2 on 2 workers write the same frames."""
    import subprocess
    import sys

    import yaml
    plate, _ = two_people
    fields = dict(plate=plate, output=str(tmp_path / "farm"), model=prior_checkpoint, device="cpu",
                  colorspace="lin_rec709", chunk_size=2, subject="290,150@1003")
    spec = tmp_path / "shot.yaml"
    spec.write_text(yaml.safe_dump(fields))
    sequential = str(tmp_path / "seq")
    assert matte(plate, "--out", sequential, "--model", prior_checkpoint, "--colorspace", "lin_rec709",
                 "--subject", "290,150@1003") == 0
    farm = os.path.join(os.path.dirname(sys.executable), "cmn-farm")
    got = subprocess.run([farm, "submit", str(spec), "--workers", "2", "--json"], capture_output=True, text=True,
                         timeout=600)
    assert got.returncode == 0, got.stderr[-3000:]
    assert os.path.isfile(tmp_path / "farm" / ".cmn" / "two.subject.json")
    for frame in FRAMES:
        np.testing.assert_array_equal(_alpha(str(tmp_path / "farm"), frame), _alpha(sequential, frame))
    bad = dict(fields, subject="192,20@1001", output=str(tmp_path / "bad"))
    spec.write_text(yaml.safe_dump(bad))
    got = subprocess.run([farm, "submit", str(spec)], capture_output=True, text=True, timeout=600)
    assert got.returncode == 2 and "no person at that point" in got.stderr
    assert not os.path.exists(tmp_path / "bad" / "alpha")


def test_person_layers_hold_each_picked_person(two_people, prior_checkpoint, tmp_path, capsys):
    plate, truths = two_people
    out = str(tmp_path / "layers")
    assert matte(plate, "--out", out, "--model", prior_checkpoint, "--colorspace", "lin_rec709", "--frames", "1001-1003",
                 "--subject", "95,150@1001;290,150@1001", "--person-layers") == 0
    image = read_image(os.path.join(out, "alpha", "two.1002.exr"))
    assert tuple(image.channels) == ("A", "person1.A", "person2.A")
    a, one, two = (image.pixels[..., i] for i in range(3))
    left, right = truths[1002]
    assert one[left > 0.5].mean() > 0.5 and (one[right > 0.5] > 0.5).mean() < 0.02
    assert two[right > 0.5].mean() > 0.5 and (two[left > 0.5] > 0.5).mean() < 0.02
    assert (one <= a + 1e-3).all() and (two <= a + 1e-3).all()
    capsys.readouterr()
    assert matte(plate, "--out", str(tmp_path / "x"), "--model", prior_checkpoint, "--person-layers") == 2
    assert "person_layers needs subject main or picks" in capsys.readouterr().err


def test_a_pick_outside_the_frame_is_refused_up_front(two_people, checkpoint, tmp_path, capsys, monkeypatch):
    """Before the plate is read or the runtime started, and with any model (the check comes first)."""
    from cmn_vfx.engine import subject
    plate, _ = two_people
    monkeypatch.setattr(subject, "_resolve", lambda *a: pytest.fail("the plate was read"))
    for pick in (f"128,{H + 56}@1001", "-5,20@1001", f"{W + 1},{H + 1},{W + 9},{H + 9}@1001"):
        assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint, f"--subject={pick}") == 2
        assert "outside the frame" in capsys.readouterr().err
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", checkpoint, "--subject", "20,20@999") == 2
    assert "not a frame of the plate (1001-1006)" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "out")


def test_two_picks_of_one_person_make_one_layer_with_a_warning(two_people, prior_checkpoint, tmp_path, capsys):
    plate, truths = two_people
    out = str(tmp_path / "dup")
    assert matte(plate, "--out", out, "--model", prior_checkpoint, "--colorspace", "lin_rec709", "--frames", "1001-1002",
                 "--subject", "95,150@1001;95,150@1001;290,150@1001", "--person-layers") == 0
    assert "the same person as 95,150@1001; matted once (person layer 1)" in capsys.readouterr().err
    image = read_image(os.path.join(out, "alpha", "two.1002.exr"))
    assert tuple(image.channels) == ("A", "person1.A", "person2.A")
    _, one, two = (image.pixels[..., i] for i in range(3))
    left, right = truths[1002]
    assert one[left > 0.5].mean() > 0.5 and two[right > 0.5].mean() > 0.5
