"""A resident cmn-matte for one worker session: the runtime (torch and CUDA, or ONNX Runtime) and the model are loaded once.

The job template's step environment starts it in onEnter and stops it in onExit
(the pattern of deadline-cloud-for-nuke's adaptor daemon); each task is

    cmn-farm session task --socket SOCK --cmn-matte EXE --spec SHOT.yaml --frames A-B

which hands `cmn-matte run --spec SHOT.yaml --frames A-B` to the resident process
(the same code path: cmn_vfx.cli.matte_main) and prints its output. When no server
answers (it failed to start, died, or the platform has no Unix sockets) the task
runs `EXE run ...` as a subprocess instead, so a task never depends on the server.
Cancelling a task (SIGTERM/SIGINT) stops the server too, with SIGTERM, which the
engine turns into a clean stop (temp files removed); later tasks fall back.

Why (docs/farm.md, "Step environment"): a task's own process spends most of a
short chunk importing torch, initialising the device and loading the model.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

START_TIMEOUT_SECONDS = 600
IDLE_SECONDS = 3600          # a server whose onExit never came (crashed worker) goes away by itself
WATCH_SECONDS = 2            # how often an idle server looks whether its session's worker still lives


def _pid_path(sock: str) -> str:
    return sock + ".pid"


def _send(sock_path: str, request: dict, timeout: float | None = None) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(sock_path)
        conn.sendall(json.dumps(request).encode() + b"\n")
        conn.shutdown(socket.SHUT_WR)
        data = b"".join(iter(lambda: conn.recv(65536), b""))
    return json.loads(data.decode() or "{}")


def serve(sock_path: str, model: str | None = None, device: str = "auto", runtime: str = "auto",
          watch: int | None = None) -> int:
    """Listen on `sock_path`; run each request's argv through cmn-matte's main, one at a time.
    Leaves after IDLE_SECONDS without a request, or once process `watch` (the session's worker) is gone."""
    from cmn_vfx.cli import matte_main
    from cmn_vfx.io.atomic import _alive
    if model:   # import the runtime the tasks will use, warm the device and the page cache
        from cmn_vfx.engine.runtime import open_backend
        from cmn_vfx.job.spec import ShotSpec
        open_backend(ShotSpec(plate="", output="", model=model, device=device, runtime=runtime))   # how it runs only
    with contextlib.suppress(FileNotFoundError):
        os.remove(sock_path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(4)
    server.settimeout(WATCH_SECONDS)
    idle = 0.0
    with open(_pid_path(sock_path), "w", encoding="utf-8") as fh:
        fh.write(str(os.getpid()))
    try:
        while True:
            try:
                conn, _ = server.accept()
            except socket.timeout:
                idle += WATCH_SECONDS
                if idle >= IDLE_SECONDS or (watch is not None and not _alive(watch)):
                    return 0
                continue
            idle = 0.0
            with conn:
                conn.settimeout(None)
                request = json.loads(b"".join(iter(lambda: conn.recv(65536), b"")).decode() or "{}")
                if request.get("stop"):
                    conn.sendall(b'{"rc": 0}')
                    return 0
                out = io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                    rc = matte_main(list(request["argv"]))
                conn.sendall(json.dumps({"rc": rc, "output": out.getvalue()}).encode())
    finally:
        server.close()
        for path in (sock_path, _pid_path(sock_path)):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def start(sock_path: str, model: str | None, device: str, runtime: str = "auto") -> int:
    """Start `serve` detached and wait until it answers; never fails a session (tasks fall back)."""
    if not hasattr(socket, "AF_UNIX"):
        print("cmn-farm session: no Unix sockets here; each task runs its own cmn-matte")
        return 0
    log = open(sock_path + ".log", "ab")
    # --watch: the OpenJD worker that runs this action (our parent: its script execs us); a worker that dies
    # without its onExit (killed) takes the server with it
    cmd = [sys.executable, "-m", "cmn_vfx_farm.worker.session", "serve", sock_path, "--device", device, "--runtime", runtime,
           "--watch", str(os.getppid())]
    cmd += ["--model", model] if model else []
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)

    def cancel(signum, frame):  # noqa: ARG001 - the session is cancelled while the server starts: it goes too
        proc.terminate()        # (onExit's stop finds no server yet, so it would idle for an hour)
        raise SystemExit(128 + signum)

    with _on_signals(cancel):
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and proc.poll() is None and not os.path.exists(_pid_path(sock_path)):
            time.sleep(0.1)
    ready = os.path.exists(_pid_path(sock_path))
    print(f"cmn-farm session: resident cmn-matte {'ready, pid ' + str(proc.pid) if ready else 'did not start'}"
          f" (log {sock_path}.log)")
    return 0


@contextlib.contextmanager
def _on_signals(handler):
    """SIGTERM and SIGINT call `handler` for the block, the previous handlers back after it (in the main thread;
    elsewhere nothing changes). The session's actions are one-shot processes, but a handler left behind in a
    longer-lived caller (a test process) would answer a later signal there."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)


def _server_pid(sock_path: str) -> int | None:
    try:
        with open(_pid_path(sock_path), encoding="utf-8") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def stop(sock_path: str) -> int:
    """Ask the server to exit; SIGTERM it if it does not answer within a few seconds."""
    pid = _server_pid(sock_path)
    try:
        _send(sock_path, {"stop": True}, timeout=10)
    except OSError:
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
    return 0


def task(sock_path: str, argv: list[str], cmn_matte: str) -> int:
    """Run `cmn-matte ARGV` in the resident server, else as a subprocess; returns its exit code."""
    pid = _server_pid(sock_path) if hasattr(socket, "AF_UNIX") else None
    if pid is None:
        return subprocess.call([cmn_matte, *argv])

    def cancel(signum, frame):  # noqa: ARG001
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        raise SystemExit(128 + signum)

    with _on_signals(cancel):
        try:
            reply = _send(sock_path, {"argv": argv})
        except (OSError, ValueError):
            reply = None
    if reply is None:
        print("cmn-farm session: the resident cmn-matte did not answer; running the task in its own process")
        return subprocess.call([cmn_matte, *argv])
    sys.stdout.write(reply.get("output", ""))
    return int(reply.get("rc", 1))


def main(argv: list[str] | None = None) -> int:
    """python -m cmn_vfx_farm.worker.session serve SOCK [--model M] [--device D] [--runtime R] (started by `start`)."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m cmn_vfx_farm.worker.session")
    parser.add_argument("action", choices=["serve"])
    parser.add_argument("socket")
    parser.add_argument("--model")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--runtime", default="auto")
    parser.add_argument("--watch", type=int, help="leave once this process (the session's worker) is gone")
    args = parser.parse_args(argv)
    return serve(args.socket, args.model, args.device, args.runtime, args.watch)


if __name__ == "__main__":
    sys.exit(main())
