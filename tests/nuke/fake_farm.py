"""A stand-in `cmn-farm` for the panel tests: a tiny Python script run as a real process, and a wait
on a condition that keeps Qt's event loop turning (never a fixed sleep: no test times the UI)."""
from __future__ import annotations

import json
import os
import sys
import time

from nuke_paths import fake_executable

SCRIPT = r'''
import json, os, signal, subprocess, sys, time
plan = json.load(open(sys.argv[1]))
with open(plan["calls"], "a") as fh:
    fh.write(json.dumps(sys.argv[2:]) + "\n")
def say(line):
    print(line, file=sys.stderr, flush=True)
say(f"farm {os.getpid()}")
for line in plan["lines"]:
    say(line)
if plan["child"]:   # a child that ignores SIGTERM: only the group's SIGKILL ends it
    child = subprocess.Popen([sys.executable, "-c", "import signal, time\n"
                              "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('child ready', flush=True)\n"
                              "time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    child.stdout.readline()
    say(f"child {child.pid}")
if plan["go"]:   # wait until the test says go (a file); give up after a minute rather than hang
    deadline = time.monotonic() + 60
    while not os.path.exists(plan["go"]):
        if time.monotonic() > deadline:
            say("cmn-farm: error: the test never said go")
            sys.exit(1)
        time.sleep(0.02)
for line in plan["after"]:
    say(line)
for path in plan["write"]:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").close()
if plan["code"]:
    say(plan["error"])
    sys.exit(plan["code"])
print(json.dumps(plan["answer"]), flush=True)
'''


class FakeFarm:
    """Write the stand-in at folder/cmn-farm. It records its argv (`calls`, from argv[0]), prints `farm PID`, `lines`,
    [`child PID`], waits for `go` (a path) if given, prints `after`, creates the `write` files, then
    exits `code` after the one-line `error`, or prints `answer` as JSON and exits 0."""

    def __init__(self, folder, answer: dict | None = None, lines=(), go: str | None = None, after=(),
                 write=(), code: int = 0, error: str = "", child: bool = False):
        os.makedirs(folder, exist_ok=True)
        self.calls_path = os.path.join(folder, "calls.jsonl")
        plan = {"calls": self.calls_path, "answer": answer, "lines": list(lines), "go": go, "after": list(after),
                "write": [str(p) for p in write], "code": code, "error": error, "child": child}
        plan_path = os.path.join(folder, "plan.json")
        with open(plan_path, "w", encoding="utf-8") as fh:
            json.dump(plan, fh)
        script = os.path.join(folder, "fake_farm.py")
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(SCRIPT)
        from pathlib import Path
        self.path = fake_executable(Path(folder) / "cmn-farm", f'exec "{sys.executable}" "{script}" "{plan_path}" "$0" "$@"')

    @property
    def calls(self) -> list[list[str]]:
        if not os.path.exists(self.calls_path):
            return []
        with open(self.calls_path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]


def wait_until(condition, timeout: float = 60.0, what: str = "the condition") -> None:
    """Turn Qt's event loop until condition() is true; fail after a generous timeout."""
    from qtpy import QtCore
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:g} s"
        loop = QtCore.QEventLoop()   # sleeps in Qt's own wait, timers and signals run
        QtCore.QTimer.singleShot(50, loop.quit)
        loop.exec()


def submitted(p) -> dict | None:
    """Submit on panel p and wait for the job to end: p.result (None when nothing ran or it failed)."""
    job = p.submit()
    if job is None:
        return None
    wait_until(lambda: p.job is None, what="the job's end")
    return p.result


def alive(pid: int) -> bool:
    """Whether pid runs (a zombie waiting for a parent that never reaps it counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return not os.path.isdir("/proc/self")
