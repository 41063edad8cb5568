"""With the torch-free runtimes every way out of a run is clean: a refusal exits 2 and an interrupt 130, never
134 (SIGABRT: the process left while OpenVINO compiled in a thread)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from cmn_vfx.engine.onnx_backend import OnnxBackend
from cmn_vfx.io.image import Box
from engine_helpers import matte, write_plate

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _mixed_plate(tmp_path) -> str:
    """sh010 with frame 1003 of another size."""
    pattern = write_plate(str(tmp_path / "plate"))
    write_plate(str(tmp_path / "plate"), frames=[1003], data=Box(0, 0, 80, 50), display=Box(0, 0, 80, 50))
    return pattern


def _cli(argv: list[str], prelude: str = "", **kw) -> subprocess.Popen:
    """cmn-matte in its own process (an abort would take pytest with it)."""
    code = f"{prelude}\nimport sys\nfrom cmn_vfx.cli import matte_main\nsys.exit(matte_main({argv!r}))"
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)


@pytest.mark.parametrize("case", ["size", "layer", "out_is_a_file"])
def test_a_refusal_never_starts_the_runtime(case, exported, tmp_path, monkeypatch, capsys):
    prepared = []
    monkeypatch.setattr(OnnxBackend, "prepare", lambda self, size: prepared.append(size))
    plate, out, extra = _mixed_plate(tmp_path), tmp_path / "out", []
    if case == "layer":
        plate, extra = write_plate(str(tmp_path / "good")), ["--layer", "beauty"]
    if case == "out_is_a_file":
        plate = write_plate(str(tmp_path / "good"))
        out.write_text("x")
    assert matte(plate, "--out", str(out), "--model", exported, "--runtime", "openvino", *extra) == 2
    assert prepared == []
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert {"size": "differs from", "layer": "beauty", "out_is_a_file": "not writable"}[case] in err


def test_a_refusal_with_openvino_exits_2_in_a_real_process(exported, tmp_path):
    proc = _cli(["run", _mixed_plate(tmp_path), "--out", str(tmp_path / "out"), "--model", exported,
                 "--device", "cpu", "--no-progress"])
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err[-2000:]
    assert "differs from" in err and "terminate called" not in err


def test_an_interrupt_waits_until_the_compile_thread_is_out_of_openvino(exported, plate, tmp_path, monkeypatch):
    from cmn_vfx.engine.reader import FrameReader
    from cmn_vfx.engine import onnx_sessions
    compiled, real = [], onnx_sessions.OpenVinoSession._compile

    def slow(self, shapes):
        time.sleep(0.5)                                   # a long compile: the interrupt comes meanwhile
        real(self, shapes)
        compiled.append(shapes["x"])

    def interrupted(self, step):
        raise KeyboardInterrupt
    monkeypatch.setattr(onnx_sessions.OpenVinoSession, "_compile", slow)
    monkeypatch.setattr(FrameReader, "read", interrupted)
    assert matte(plate, "--out", str(tmp_path / "out"), "--model", exported, "--runtime", "openvino") == 130
    assert len(compiled) == 1                             # returned only once the compile had ended


def test_sigterm_while_openvino_compiles_exits_130(exported, tmp_path):
    """The compile is made long (ten real compiles) and the signal sent once it has begun."""
    signum = signal.SIGTERM
    slow = ("from cmn_vfx.engine import onnx_sessions as n\n"
            "real = n.OpenVinoSession._compile\n"
            "def slow(self, shapes):\n"
            "    print('compiling', flush=True)\n"
            "    for _ in range(10):\n"
            "        self.core.compile_model(self.model, 'CPU', self.config)\n"
            "    real(self, shapes)\n"
            "n.OpenVinoSession._compile = slow")
    proc = _cli(["run", write_plate(str(tmp_path / "plate")), "--out", str(tmp_path / "out"), "--model", exported,
                 "--device", "cpu", "--no-progress", "--runtime", "openvino"], slow)
    assert proc.stdout.readline().strip() == "compiling"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err
