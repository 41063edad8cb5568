"""The session's resident cmn-matte: tasks fall back to their own process when no server answers."""
from __future__ import annotations

import os

from farm import session


def test_task_without_server_runs_the_command_itself(tmp_path, capfd):
    rc = session.task(str(tmp_path / "none.sock"), ["run", "--spec", "s.yaml", "--frames", "1-4"], "echo")
    assert rc == 0
    assert capfd.readouterr().out == "run --spec s.yaml --frames 1-4\n"


def test_task_with_a_dead_server_falls_back(tmp_path, capfd):
    sock = str(tmp_path / "dead.sock")
    with open(sock + ".pid", "w") as fh:          # a crashed server leaves its pid file, no socket
        fh.write(str(os.getpid()))
    assert session.task(sock, ["run", "--frames", "7-9"], "echo") == 0
    out = capfd.readouterr().out
    assert "did not answer" in out and out.endswith("run --frames 7-9\n")


def test_stop_without_server_is_harmless(tmp_path):
    assert session.stop(str(tmp_path / "none.sock")) == 0
