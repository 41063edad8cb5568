"""A command run beside Nuke's UI: its output as Qt signals, and a Cancel that stops its whole tree.

    job = BackgroundJob(["cmn-farm", "submit", spec, "--backend", "local", "--json"], env, parent=panel)
    job.line.connect(show_progress)          # every output line, stdout and stderr, as it comes
    job.finished.connect(done)               # (exit code, stdout, stderr), once, in the UI thread
    job.cancel()                             # SIGTERM to the tree, SIGKILL after `grace` seconds

The command starts in its own process group (its own session), so one signal reaches it and
every child that stays in the group (cmn-farm's local runner). Reading (one thread per pipe)
and stopping (one thread) happen off the UI thread and touch only plain Python objects, so
they finish and reap the process even after the panel, and this QObject, are deleted; a
QTimer in the UI thread hands the lines over. Why not QProcess: it cannot start a child in a
new process group without a Python callback in the forked child (PySide2) or Qt 6.6's
setUnixProcessParameters (Nuke 16 ships Qt 6.5).
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

from qtpy import QtCore

CANCEL_GRACE_S = 20.0   # SIGTERM first: cmn-farm's local runner stops its workers and writes the log's last line
POLL_MS = 100           # how often the UI thread takes the lines the readers queued
WINDOWS = sys.platform.startswith("win")


class BackgroundJob(QtCore.QObject):
    """One running command. Starting raises OSError when the program cannot be run."""

    line = QtCore.Signal(str)
    finished = QtCore.Signal(int, str, str)

    def __init__(self, argv: list[str], env: dict | None = None, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.argv = list(argv)
        self.cancelled = False
        self._out: list[str] = []
        self._err: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        self.proc = _start_group(self.argv, env)
        self._readers = [threading.Thread(target=_read_lines, args=(stream, name, self._queue), daemon=True)
                         for stream, name in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for reader in self._readers:
            reader.start()
        self._timer = QtCore.QTimer(self)
        self._timer.timeout.connect(self._drain)
        self._timer.start(POLL_MS)
        app = QtCore.QCoreApplication.instance()
        if app is not None:   # Nuke quitting stops the job too
            app.aboutToQuit.connect(self.cancel)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self._timer.isActive()

    def cancel(self, grace: float = CANCEL_GRACE_S) -> None:
        """Stop the command and its children without waiting here: `finished` follows when they are gone."""
        if self.cancelled or self.proc.poll() is not None and not any(r.is_alive() for r in self._readers):
            return
        self.cancelled = True
        threading.Thread(target=stop_tree, args=(self.proc, grace), daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                name, text = self._queue.get_nowait()
            except queue.Empty:
                break
            (self._out if name == "out" else self._err).append(text)
            self.line.emit(text.rstrip("\r\n"))
        if self.proc.poll() is None or any(r.is_alive() for r in self._readers) or not self._queue.empty():
            return
        self._timer.stop()
        self.finished.emit(self.proc.returncode, "".join(self._out), "".join(self._err))


def _start_group(argv: list[str], env: dict | None) -> subprocess.Popen:
    group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if WINDOWS else {"start_new_session": True}
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, encoding="utf-8", errors="replace", **group)


def _read_lines(stream, name: str, lines: queue.Queue) -> None:
    for text in iter(stream.readline, ""):
        lines.put((name, text))
    stream.close()


def stop_tree(proc: subprocess.Popen, grace: float = CANCEL_GRACE_S) -> None:
    """SIGTERM to the process group `proc` leads; SIGKILL to what is left of it after `grace` seconds;
    `proc` is reaped. (Windows: CTRL_BREAK to the group, then taskkill /T /F of the tree.)"""
    _signal_group(proc, signal.CTRL_BREAK_EVENT if WINDOWS else signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_alive(proc):
        time.sleep(0.05)
    if _group_alive(proc):
        _signal_group(proc, None if WINDOWS else signal.SIGKILL)
    proc.wait()


def _signal_group(proc: subprocess.Popen, sig) -> None:
    if WINDOWS:
        if sig is None:
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(proc.pid)], capture_output=True)
        elif proc.poll() is None:
            proc.send_signal(sig)
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _group_alive(proc: subprocess.Popen) -> bool:
    """Whether any process of the group still runs (the leader is reaped here so it does not count)."""
    if proc.poll() is None:
        return True
    if WINDOWS:
        return False
    if os.path.isdir("/proc/self"):   # Linux: a zombie (dead, waiting for a parent that never reaps) is gone
        return any(_running_in_group(entry, proc.pid) for entry in os.listdir("/proc") if entry.isdigit())
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True


def _running_in_group(pid: str, group: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()   # after "pid (command name)"
    except (OSError, IndexError):
        return False
    return int(fields[2]) == group and fields[0] != "Z"
