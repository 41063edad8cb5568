"""The session's resident cmn-matte: tasks fall back to their own process when no server answers."""
from __future__ import annotations

import os

from cmn_vfx_farm.worker import session


def test_task_without_server_runs_the_command_itself(tmp_path, capfd):
    rc = session.task(str(tmp_path / "none.sock"), ["run", "--spec", "s.yaml", "--frames", "1-4"], "echo")
    assert rc == 0
    assert capfd.readouterr().out == "run --spec s.yaml --frames 1-4\n"


def test_task_with_a_dead_server_falls_back_and_leaves_the_signal_handlers_as_they_were(tmp_path, capfd):
    import signal
    import subprocess
    import sys
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()                                   # a pid that was a process and is no longer
    sock = str(tmp_path / "dead.sock")
    with open(sock + ".pid", "w") as fh:          # a crashed server leaves its pid file, no socket
        fh.write(str(gone.pid))
    before = [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)]
    assert session.task(sock, ["run", "--frames", "7-9"], "echo") == 0
    out = capfd.readouterr().out
    assert "did not answer" in out and out.endswith("run --frames 7-9\n")
    # the cancel handler (it SIGTERMs the server and exits) must not outlive the call: left in a pytest worker
    # it answered a later signal there, and with this test's old pid file (its own pid) it killed the worker
    assert [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)] == before


def test_stop_without_server_is_harmless(tmp_path):
    assert session.stop(str(tmp_path / "none.sock")) == 0


def test_the_resident_server_warms_the_runtime_its_tasks_will_use(tmp_path, monkeypatch):
    """`serve` opens the backend the spec's model, device and runtime choose (torch or ONNX Runtime),
    then waits for tasks; with nothing to do it leaves after IDLE_SECONDS."""
    from cmn_vfx.engine import runtime

    opened = []
    monkeypatch.setattr(runtime, "open_backend", lambda config: opened.append(config))
    monkeypatch.setattr(session, "IDLE_SECONDS", 0.2)
    sock = str(tmp_path / "s.sock")
    assert session.main(["serve", sock, "--model", "m.pt", "--device", "cpu", "--runtime", "onnx"]) == 0
    assert [(c.model, c.device, c.runtime) for c in opened] == [("m.pt", "cpu", "onnx")]


def test_the_server_leaves_when_its_sessions_worker_is_gone(tmp_path, monkeypatch):
    """A worker killed without its onExit (issue 29 D19) must not leave its server idling for an hour."""
    import subprocess
    import threading
    monkeypatch.setattr(session, "WATCH_SECONDS", 0.1)
    worker = subprocess.Popen(["sleep", "30"])
    server = threading.Thread(target=session.serve, args=(str(tmp_path / "w.sock"),), kwargs={"watch": worker.pid},
                              daemon=True)
    server.start()
    server.join(1.0)
    assert server.is_alive()                       # the worker lives: the server waits for tasks
    worker.kill()
    worker.wait()
    server.join(5.0)
    assert not server.is_alive()
