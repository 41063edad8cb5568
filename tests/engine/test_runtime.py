"""The torch-free runtimes (`--runtime openvino|onnx`, cmn_vfx.engine.runtime): same mattes as torch,
chosen only when they can run, and a run that never imports torch."""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cmn_vfx.engine import runtime
from cmn_vfx.engine.backend import Backend
from cmn_vfx.engine.onnx_backend import OnnxBackend
from cmn_vfx.engine.torch_backend import TorchBackend
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx.errors import BadInputError
from cmn_vfx.io.image import read_image
from cmn_vfx.io.onnx_weights import UnreadableExport
from engine_helpers import FRAMES, export_beside, make_checkpoint, matte

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(out, sub: str, frame: int):
    return read_image(str(out / sub / f"sh010.{frame}.exr"))


@pytest.mark.parametrize("name", ["openvino", "onnx"])
def test_onnx_and_torch_write_the_same_mattes_and_resume_each_other(name, plate, exported, tmp_path):
    out_t, out_o = tmp_path / "torch", tmp_path / name
    assert matte(plate, "--out", str(out_t), "--model", exported, "--runtime", "torch") == 0
    assert matte(plate, "--out", str(out_o), "--model", exported, "--runtime", name) == 0
    diffs = []
    for f in FRAMES:
        a_t, a_o = _read(out_t, "alpha", f), _read(out_o, "alpha", f)
        assert a_t.metadata["cmn:checkpoint_sha256"] == a_o.metadata["cmn:checkpoint_sha256"]
        assert a_t.metadata["cmn:settings"] == a_o.metadata["cmn:settings"]
        diffs.append(np.abs(a_t.pixels - a_o.pixels))
        np.testing.assert_allclose(_read(out_o, "fg", f).pixels, _read(out_t, "fg", f).pixels, atol=2e-3)
    assert float(np.mean(diffs)) < 1e-4 and float(np.max(diffs)) < 4e-3     # half-float steps at most
    assert np.std(_read(out_t, "alpha", 1003).pixels) > 0.05                  # a real matte was compared
    # frames from one runtime are finished for the other
    mtimes = {p: os.stat(out_o / "alpha" / p).st_mtime_ns for p in os.listdir(out_o / "alpha")}
    assert matte(plate, "--out", str(out_o), "--model", exported, "--runtime", "torch") == 0
    assert all(os.stat(out_o / "alpha" / p).st_mtime_ns == t for p, t in mtimes.items())


@pytest.mark.parametrize("name", ["openvino", "onnx"])
def test_the_torch_free_runtimes_never_import_torch_nor_telemetry(name, plate, exported, tmp_path):
    """Nor OpenVINO's converter and its telemetry (opt-out, set up by `import openvino`: a client id under
    ~/intel), nor ONNX Runtime's (a device id under ~/.cache/Microsoft)."""
    out, home = tmp_path / "out", tmp_path / "home"
    home.mkdir()
    code = ("import sys; sys.modules['torch'] = None\n"       # any 'import torch' now raises ImportError
            "from cmn_vfx.cli import matte_main\n"
            f"rc = matte_main(['run', {plate!r}, '--out', {str(out)!r}, '--model', {exported!r}, "
            f"'--runtime', {name!r}, '--no-progress', '--threads', '1', '--json'])\n"
            "print(sorted(m for m in sys.modules if 'telemetry' in m or m.startswith('openvino.tools')))\n"
            "sys.exit(rc)")
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert json.loads(lines[-2])["runtime"] == name
    assert lines[-1] == "[]"
    assert not any(os.scandir(home)), sorted(p.name for p in home.iterdir())      # nothing written to the user's home
    assert sorted(os.listdir(out / "alpha")) == [f"sh010.{f}.exr" for f in FRAMES]


def _config(model: str, **kw) -> ShotSpec:
    return ShotSpec(plate="p.####.exr", output="out", model=model, **kw)


def _chosen(config: ShotSpec) -> tuple[str, str | None]:
    """choose_runtime as (runtime, the .onnx it opened or None)."""
    kind, net = runtime.choose_runtime(config)
    return kind, None if net is None else net.path


def _parameters(function) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


def _protocol_faults(cls: type) -> list[str]:
    """What `cls` lacks of cmn_vfx.engine.backend.Backend's methods and properties (its data members are set by
    __init__: the isinstance check sees those), or a method whose parameters differ."""
    faults = []
    for name, declared in vars(Backend).items():
        if name.startswith("_") or not (inspect.isfunction(declared) or isinstance(declared, property)):
            continue
        present = hasattr(cls, name) if isinstance(declared, property) else callable(getattr(cls, name, None))
        if not present:
            faults.append(name)
        elif inspect.isfunction(declared) and _parameters(getattr(cls, name)) != _parameters(declared):
            faults.append(f"{name}{tuple(_parameters(getattr(cls, name)))}")
    return faults


@pytest.mark.parametrize("name", ["torch", "openvino", "onnx"])
def test_every_runtime_is_a_backend(name, exported, monkeypatch):
    """The engine calls a backend only through cmn_vfx.engine.backend.Backend: each runtime has all of it."""
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    backend = runtime.open_backend(_config(exported, runtime=name, device="cpu"))
    assert isinstance(backend, Backend) and backend.name == name
    assert _protocol_faults(type(backend)) == []
    assert backend.meta["sha256"] and backend.precision == "fp32"
    pha = backend.frame(np.full((8, 8), 0.5, np.float32))           # a model without a correction net: pha itself
    assert backend.correct(pha, backend.frame(np.zeros((8, 8, 3), np.float32))) is pha


def test_the_backend_check_sees_a_missing_method_and_a_changed_one():
    class Lacking(OnnxBackend):
        plane = None

    class Changed(TorchBackend):
        def step(self, src, prev_src, prior):
            return None

    class Uncorrected(OnnxBackend):
        correct = None
    assert _protocol_faults(Lacking) == ["plane"]
    assert _protocol_faults(Changed) == ["step('src', 'prev_src', 'prior')"]
    assert _protocol_faults(Uncorrected) == ["correct"]


def test_auto_picks_openvino_then_onnx_only_where_they_can_run(exported, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    onnx = os.path.splitext(exported)[0] + ".onnx"
    assert _chosen(_config(exported)) == ("openvino", onnx)
    assert _chosen(_config(exported, device="cpu")) == ("openvino", onnx)
    assert _chosen(_config(exported, runtime="onnx")) == ("onnx", onnx)
    assert _chosen(_config(exported, runtime="torch")) == ("torch", None)
    assert _chosen(_config(exported, device="cuda")) == ("torch", None)
    monkeypatch.setattr(runtime, "openvino_precisions", lambda: {"fp32"})   # a CPU without bf16 / fp16
    for name in ("auto", "openvino"):          # as torch on a CPU: fp32, said
        capsys.readouterr()
        kind, net = runtime.choose_runtime(_config(exported, runtime=name, precision="bf16"))
        assert (kind, net.precision) == ("openvino", "fp32")
        assert "no bf16 arithmetic for OpenVINO; running fp32" in capsys.readouterr().err
    with pytest.raises(BadInputError, match="needs OpenVINO on the CPU"):
        _chosen(_config(exported, runtime="onnx", precision="bf16"))
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: True)        # auto device on a GPU machine
    assert _chosen(_config(exported)) == ("torch", None)
    with pytest.raises(BadInputError, match="GPU"):
        _chosen(_config(exported, runtime="onnx"))
    assert _chosen(_config(exported, runtime="onnx", device="cpu")) == ("onnx", onnx)
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    real = runtime.importlib.util.find_spec
    monkeypatch.setattr(runtime.importlib.util, "find_spec", lambda n, *a: None if n == "openvino" else real(n, *a))
    assert _chosen(_config(exported)) == ("onnx", onnx)                  # without OpenVINO installed
    with pytest.raises(BadInputError, match="openvino is not installed"):
        _chosen(_config(exported, runtime="openvino"))


def test_auto_runs_bf16_on_the_cpu_where_openvino_can(exported, monkeypatch):
    from cmn_vfx.engine.onnx_sessions import openvino_precisions
    if "bf16" not in openvino_precisions():
        pytest.skip("this CPU has no bf16 arithmetic for OpenVINO")
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    kind, net = runtime.choose_runtime(_config(exported, precision="bf16"))
    assert (kind, net.precision) == ("openvino", "bf16")


def test_without_an_export_auto_runs_torch_and_onnx_says_how_to_export(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    ckpt = make_checkpoint(str(tmp_path / "bare.pt"))
    assert _chosen(_config(ckpt)) == ("torch", None)
    with pytest.raises(BadInputError, match="export-onnx"):
        _chosen(_config(ckpt, runtime="onnx"))


def test_an_export_of_another_checkpoint_is_never_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    ckpt = make_checkpoint(str(tmp_path / "m.pt"))
    export_beside(ckpt)
    make_checkpoint(ckpt, seed=1)                     # retrained in place: the export is stale
    capsys.readouterr()
    assert _chosen(_config(ckpt)) == ("torch", None)
    assert "export it again" in capsys.readouterr().err
    with pytest.raises(BadInputError, match="another checkpoint"):
        _chosen(_config(ckpt, runtime="onnx"))


def test_an_onnx_file_given_as_the_model_runs_only_without_torch(exported, monkeypatch):
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    onnx = os.path.splitext(exported)[0] + ".onnx"
    assert _chosen(_config(onnx)) == ("openvino", onnx)
    assert _chosen(_config(onnx, runtime="onnx")) == ("onnx", onnx)
    with pytest.raises(BadInputError, match="only with --runtime openvino or onnx"):
        _chosen(_config(onnx, runtime="torch"))


def test_auto_falls_back_to_onnx_runtime_when_openvino_cannot_read_the_file(exported, monkeypatch, capsys):
    from cmn_vfx.engine import onnx_sessions
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    onnx = os.path.splitext(exported)[0] + ".onnx"

    def unreadable(path, threads, precision):
        raise UnreadableExport(f"{path}: not a readable ONNX model (OpConversionFailure)")
    monkeypatch.setitem(onnx_sessions.EXECUTORS, "openvino", unreadable)
    capsys.readouterr()
    assert _chosen(_config(exported)) == ("onnx", onnx)
    assert "trying ONNX Runtime" in capsys.readouterr().err
    with pytest.raises(BadInputError, match="not a readable ONNX model"):
        _chosen(_config(exported, runtime="openvino"))


def _damage(onnx_path: str, how: str) -> None:
    """Change the export's weights after the fact (its metadata, the checkpoint's identity, kept)."""
    import onnx
    from onnx import numpy_helper
    if how == "unreadable":
        with open(onnx_path, "wb") as fh:
            fh.write(b"\x08\x07 not protobuf at all")
        return
    proto = onnx.load(onnx_path)
    tensor = max(proto.graph.initializer, key=lambda t: len(t.raw_data))
    weights = numpy_helper.to_array(tensor).copy()
    weights.flat[::7] = np.nan if how == "nan" else weights.flat[::7] * 2
    tensor.CopyFrom(numpy_helper.from_array(weights, tensor.name))
    onnx.save(proto, onnx_path)


@pytest.mark.parametrize("how,why", [("nan", "NaN or Inf"), ("changed", "changed after export"),
                                     ("unreadable", "not a readable ONNX model")])
def test_a_damaged_export_beside_a_good_checkpoint_runs_torch_with_auto_and_exits_2_when_asked_for(
        how, why, plate, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runtime, "has_nvidia_gpu", lambda: False)
    ckpt = make_checkpoint(str(tmp_path / "m.pt"))
    _damage(export_beside(ckpt), how)
    capsys.readouterr()
    assert _chosen(_config(ckpt)) == ("torch", None)
    err = capsys.readouterr().err
    assert why in err and "running torch meanwhile" in err
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", ckpt, "--frames", "1001-1002", "--json") == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["runtime"] == "torch" and why in out.err and "running torch meanwhile" in out.err
    assert np.isfinite(_read(tmp_path / "out", "alpha", 1002).pixels).all()
    for name in ("onnx", "openvino"):
        assert matte(plate, "--out", str(tmp_path / name), "--model", ckpt, "--runtime", name) == 2
        assert why in capsys.readouterr().err.strip().splitlines()[-1]
