"""The ONNX export of a CMN step (cmn_vfx.model.onnx_export) run by ONNX Runtime or OpenVINO in numpy
(cmn_vfx.engine.onnx_backend, cmn_vfx.engine.flow_grid) gives the torch model's outputs, with its flow, state
and prior."""
import os

import cv2
import numpy as np
import pytest
import torch

from cmn_vfx.engine.flow_grid import pad16, resize_flow, sampling_grid
from cmn_vfx.engine.onnx_backend import OnnxNetwork
from cmn_vfx.engine.onnx_sessions import openvino_precisions, read_info
from cmn_vfx.errors import BadInputError
from cmn_vfx.model import build_model
from cmn_vfx.model.backwarp import backwarp
from cmn_vfx.model.backwarp import resize_flow as torch_resize_flow
from cmn_vfx.model.cmn import pad16 as torch_pad16
from cmn_vfx.model.onnx_export import export_onnx
from tests.model.conftest import tiny


def _nchw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a[..., None] if a.ndim == 2 else a).permute(2, 0, 1)[None]


def _clip(frames: int, h: int, w: int) -> list[np.ndarray]:
    """A smooth random plate panning right and down, [h,w,3] 0..1 per frame."""
    rng = np.random.default_rng(1)
    plate = cv2.GaussianBlur(rng.random((h + 4 * frames, w + 6 * frames, 3)).astype(np.float32), (0, 0), 2)
    return [np.ascontiguousarray(plate[2 * t:2 * t + h, 3 * t:3 * t + w]) for t in range(frames)]


CASES = {
    "full mobilenetv2, prior residual": dict(flow="dis", prior="person", prior_residual=True),
    "full efficientnet-lite0, context norm": dict(flow="dis", encoder="efficientnet_lite0", prior="person",
                                                  context_norm=True),
    "full, no prior, sigmoid alpha": dict(flow="dis"),
    "full, previous alpha as an input": dict(flow="dis", prior="person", prior_residual=True, prev_alpha=True),
    "convgru": dict(variant="convgru"),
    "baseline": dict(variant="baseline", prior="person"),
}


@pytest.mark.parametrize("executor", ["onnx", "openvino"])
@pytest.mark.parametrize("case", list(CASES))
def test_onnx_step_equals_torch_over_a_clip(case, executor, tmp_path):
    torch.manual_seed(3)
    model = build_model(tiny(**CASES[case]), load_weights=False).eval()
    with torch.no_grad():           # gains that make the state and the flow visible in alpha
        if model.operator is not None:
            for p in model.operator.parameters():
                p *= 5.0
        model.decoder_pha.last[1].weight *= 20.0
    path = str(tmp_path / "step.onnx")
    with_fgr = case == "full efficientnet-lite0, context norm"      # the fg decoder is left out unless asked for
    info = export_onnx(model, {"name": "tiny", "sha256": "abc"}, path, size=(48, 64), with_fgr=with_fgr)
    net = OnnxNetwork(path, threads=1, executor=executor)
    assert read_info(path) == info == net.info and info["sha256"] == "abc"
    torch.manual_seed(3)            # the export folded the batch norm of its model: compare with a fresh one
    model = build_model(tiny(**CASES[case]), load_weights=False).eval()
    with torch.no_grad():
        if model.operator is not None:
            for p in model.operator.parameters():
                p *= 5.0
        model.decoder_pha.last[1].weight *= 20.0
    h, w = 37, 75                   # another size than the trace's, not a multiple of 16
    ys, xs = np.mgrid[0:h, 0:w]
    state_t = state_o = prev = None
    moved = []
    for t, src in enumerate(_clip(4, h, w)):
        prior = (np.hypot(ys - h / 2, xs - 20 - 3 * t) < 12).astype(np.float32) if model.config.prior == "person" else None
        with torch.no_grad():
            pha_t, fgr_t, state_t = model(_nchw(src), None if prev is None else _nchw(prev), state_t,
                                          None if prior is None else _nchw(prior))
        pha_o, fgr_o, state_o = net.step(src, prev, state_o, prior)
        assert pha_o.shape == (h, w)
        np.testing.assert_allclose(pha_o, pha_t[0, 0].numpy(), atol=2e-5)
        if with_fgr:
            np.testing.assert_allclose(fgr_o, fgr_t[0].permute(1, 2, 0).numpy(), atol=2e-5)
        else:
            assert fgr_o is None and "fgr" not in net.outputs
        moved.append(float(pha_t.std()))
        prev = src
    assert max(moved) > 1e-3       # the comparison saw a matte that varies, not a constant


def test_a_pwcnet_model_is_refused_with_the_way_out(tmp_path):
    model = build_model(tiny(), load_weights=False).eval()
    with pytest.raises(BadInputError, match="--runtime torch"):
        export_onnx(model, {"name": "pwc"}, str(tmp_path / "x.onnx"), size=(48, 64))


@pytest.mark.parametrize("src,dst", [((288, 512), (18, 32)), ((37, 45), (3, 4)), ((20, 30), (10, 60)),
                                     ((20, 30), (40, 70)), ((16, 16), (16, 16))])
def test_flow_resize_equals_torch(src, dst):
    flow = (np.random.default_rng(0).standard_normal((2, *src)) * 5).astype(np.float32)
    want = torch_resize_flow(torch.from_numpy(flow)[None], dst)[0].numpy()
    np.testing.assert_allclose(resize_flow(flow, dst), want, rtol=1e-5, atol=1e-4)


def test_sampling_grid_warps_as_backwarp():
    rng = np.random.default_rng(2)
    x = rng.random((1, 5, 9, 13)).astype(np.float32)
    flow = (rng.standard_normal((2, 9, 13)) * 3).astype(np.float32)
    want, _ = backwarp(torch.from_numpy(x), torch.from_numpy(flow)[None])
    grid = torch.from_numpy(sampling_grid(flow))[None]
    ones = torch.ones(1, 1, 9, 13)
    out = torch.nn.functional.grid_sample(torch.cat([torch.from_numpy(x), ones], 1), grid, align_corners=True)
    got = out[:, :-1] * (out[:, -1:] > 0.999)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_pad16_equals_torch():
    x = np.random.default_rng(3).random((37, 75, 4)).astype(np.float32)
    np.testing.assert_array_equal(pad16(x), torch_pad16(_nchw(x))[0].permute(1, 2, 0).numpy())


def _tiny_export(tmp_path) -> str:
    torch.manual_seed(4)
    model = build_model(tiny(flow="dis", prior="person", prior_residual=True), load_weights=False).eval()
    with torch.no_grad():
        for p in model.operator.parameters():
            p *= 5.0
        model.decoder_pha.last[1].weight *= 20.0
    path = str(tmp_path / "step.onnx")
    export_onnx(model, {"name": "tiny", "sha256": "abc"}, path, size=(48, 64))
    return path


def _run(net: OnnxNetwork, h: int, w: int, frames: int = 3) -> list[np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w]
    state = prev = None
    out = []
    for t, src in enumerate(_clip(frames, h, w)):
        prior = (np.hypot(ys - h / 2, xs - w / 3 - 3 * t) < h / 3).astype(np.float32)
        pha, _, state = net.step(src, prev, state, prior)
        out.append(pha.copy())
        prev = src
    return out


def test_openvino_recompiles_when_the_size_changes(tmp_path):
    """OpenVINO runs static shapes: a second plate size recompiles, and going back gives the first results."""
    path = _tiny_export(tmp_path)
    net = OnnxNetwork(path, threads=1, executor="openvino")
    first = _run(net, 37, 75)
    other = _run(net, 64, 48)
    again = _run(net, 37, 75)
    assert [a.shape for a in other] == [(64, 48)] * 3
    for a, b, c in zip(first, again, _run(OnnxNetwork(path, threads=1, executor="onnx"), 37, 75)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, atol=2e-5)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_openvino_half_precision_stays_within_1e3_of_fp32(precision):
    """--precision bf16/fp16 on the CPU (OpenVINO, where the CPU has it): the shipped model's alpha within
    1e-3 mean of fp32. (The tiny test models are too narrow for OpenVINO to run them in half.)"""
    if precision not in openvino_precisions():
        pytest.skip(f"this CPU has no {precision} arithmetic for OpenVINO")
    from cmn_vfx.installed import resolve_checkpoint
    from cmn_vfx.model.onnx_export import default_onnx_path
    path = default_onnx_path(resolve_checkpoint("default"))
    want = np.array(_run(OnnxNetwork(path, threads=1, executor="openvino"), 96, 160, 4))
    got = np.array(_run(OnnxNetwork(path, threads=1, executor="openvino", precision=precision), 96, 160, 4))
    assert float(want.std()) > 0.05                     # a real matte
    assert float(np.abs(got - want).mean()) < 1e-3
    assert float(np.abs(got - want).max()) > 0          # it did run in the lower precision


def test_a_precision_the_cpu_lacks_is_refused(tmp_path, monkeypatch):
    from cmn_vfx.engine import onnx_sessions
    path = _tiny_export(tmp_path)
    monkeypatch.setattr(onnx_sessions, "openvino_precisions", lambda core=None: {"fp32"})
    with pytest.raises(BadInputError, match="no bf16 arithmetic"):
        OnnxNetwork(path, threads=1, executor="openvino", precision="bf16")
    with pytest.raises(BadInputError, match="fp32 only"):
        OnnxNetwork(path, threads=1, executor="onnx", precision="bf16")


def test_openvino_compiles_ahead_in_a_thread_and_a_failure_surfaces_at_the_step(tmp_path, monkeypatch):
    path = _tiny_export(tmp_path)
    want = _run(OnnxNetwork(path, threads=1, executor="openvino"), 37, 75)
    net = OnnxNetwork(path, threads=1, executor="openvino")
    net.prepare(37, 75)                          # what the engine calls once it knows the working size
    net.session._wait()
    compiled = net.session.request
    assert net.session.shapes["x"] == (1, 4, 48, 80)          # padded to 16, 3 colours + the prior
    for a, b in zip(want, _run(net, 37, 75)):
        np.testing.assert_array_equal(a, b)
    assert net.session.request is compiled                    # the steps reused the compiled graph
    net.prepare(37, 75)                          # the next task of a resident server: nothing to compile
    assert net.session.compiling is None and net.session.request is compiled
    net = OnnxNetwork(path, threads=1, executor="openvino")
    monkeypatch.setattr(net.session, "_compile", lambda shapes: (_ for _ in ()).throw(RuntimeError("no memory")))
    net.prepare(37, 75)
    with pytest.raises(RuntimeError, match="no memory"):
        _run(net, 37, 75)


def test_an_openvino_compile_failure_says_how_to_run_the_file(tmp_path, monkeypatch):
    path = _tiny_export(tmp_path)
    net = OnnxNetwork(path, threads=1, executor="openvino")

    def fails(*args, **kwargs):
        raise RuntimeError("Exception from src/plugins/intel_cpu/src/node.cpp:1:\nUnsupported operation GridSample")
    monkeypatch.setattr(net.session.core, "compile_model", fails)
    net.prepare(37, 75)
    with pytest.raises(BadInputError, match="Unsupported operation GridSample.*--runtime onnx"):
        _run(net, 37, 75)


def test_openvino_shares_a_compiled_graph_within_the_process_until_the_file_changes(tmp_path):
    """A resident farm server opens a new engine per task: the shot's later tasks reuse the first one's graph."""
    path = _tiny_export(tmp_path)
    first = OnnxNetwork(path, threads=1, executor="openvino")
    want = _run(first, 37, 75)
    second = OnnxNetwork(path, threads=1, executor="openvino")
    got = _run(second, 37, 75)
    assert second.session.compiled is first.session.compiled
    assert second.session.model is first.session.model                  # the file read once, too
    assert second.session.request is not first.session.request          # each its own state
    for a, b in zip(want, got):
        np.testing.assert_array_equal(a, b)
    assert OnnxNetwork(path, threads=2, executor="openvino").session.compiled is None     # compiled on demand
    other = OnnxNetwork(path, threads=2, executor="openvino")
    _run(other, 37, 75)
    assert other.session.compiled is not first.session.compiled                       # other settings
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))           # a new export
    again = OnnxNetwork(path, threads=1, executor="openvino")
    _run(again, 37, 75)
    assert again.session.compiled is not first.session.compiled
