"""Which run writes which frames of a shot into OUT: one live run per frame.

    with claim_frames("/shows/abc/cmn/sh010", "sh010", frames):     # BadInputError if a live run has one of them
        write_the_frames()

A run claims the frames it will write in OUT/.cmn/<name>.<host>-<pid>.lock (JSON: name, host, pid, frames)
and holds an OS lock (flock) on that file while it runs; runs look and claim one at a time (a flock on
OUT/.cmn itself). A run whose frames overlap a live claim is refused at once, naming the other run's host
and pid. A claim file that nobody holds locked is stale:
its process died (kill -9 included: the kernel drops the lock with the process), and it is taken over.
Where the file system has no locks, a claim is live while its pid lives on this host (another host's
claim counts as live).

Why frames and not the folder: a farm job's tasks write disjoint chunks of one shot into one OUT at the
same time (farm/plan.py), and must; two runs that would write the same frame (two artists, or a
resubmitted chunk whose first task still runs) must not, and claims on frames tell the two apart with one
rule for every caller (cmn-matte run, farm tasks, the resident farm session). Warm-up frames are only read,
so they are not claimed. Shots of other names in the same OUT never conflict.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Iterator

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.atomic import _alive, _host
from cmn_vfx.io.sequence import format_frame_range, parse_frame_range

try:
    import fcntl
except ImportError:          # no flock (Windows): pids decide
    fcntl = None  # type: ignore[assignment]

CLAIMS = ".cmn"              # under OUT, beside the subject cache (cmn_vfx.engine.subject)
SUFFIX = ".lock"


def claim_path(out_dir: str, name: str) -> str:
    """This process's claim file for shot `name` in `out_dir`."""
    return os.path.join(out_dir, CLAIMS, f"{name}.{_host()}-{os.getpid()}{SUFFIX}")


@contextlib.contextmanager
def claim_frames(out_dir: str, name: str, frames: list[int]) -> Iterator[str]:
    """Claim `frames` of shot `name` in `out_dir` for the block; yields the claim file's path. OUT/.cmn, and
    the folders above it made for the claim, are removed again when empty: a refused run leaves nothing."""
    directory = os.path.join(out_dir, CLAIMS)
    made = _missing(directory)
    fd, path = None, None
    try:
        guard = _lock_folder(directory, create=True, wait=GUARD_WAIT)     # one run at a time looks and claims
        try:
            _refuse_conflicts(directory, name, set(frames))
            fd, path = _write_claim(directory, name, frames)
        finally:
            _unlock(guard)
        yield path
    finally:
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        if fd is not None:
            os.close(fd)
        # the empty folders go only under the guard (a run claiming now may be about to write in them); never
        # wait long for it: a Ctrl-C at the wrong moment may have left this very process holding it
        guard = _lock_folder(directory, create=False, wait=1.0)
        if guard is not None:
            for folder in made or [directory]:        # OUT/.cmn goes when empty, OUT only when made here
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
            _unlock(guard)


GUARD_WAIT = 30.0            # seconds; the guard is held for a listing and one small write


def _lock_folder(directory: str, create: bool, wait: float) -> int | None:
    """An fd of `directory` (made first when `create`) holding an exclusive flock on it; unlocked where
    flock is not to be had (no fcntl, or a file system that refuses it on a folder). None when the folder is
    gone (not `create`) or the lock stays busy for `wait` seconds (not `create`; with `create`:
    BadInputError)."""
    deadline = time.monotonic() + wait
    while True:
        if create:
            os.makedirs(directory, exist_ok=True)
        try:
            fd = os.open(directory, os.O_RDONLY)
        except FileNotFoundError:
            if not create:
                return None
            continue                         # a finishing run removed the empty folder meanwhile
        if fcntl is None:
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass
        except OSError:                      # no flock on this file system: unguarded
            return fd
        else:
            try:
                if os.path.samestat(os.fstat(fd), os.stat(directory)):
                    return fd
            except FileNotFoundError:
                pass                         # removed after we opened it: look again
        os.close(fd)
        if time.monotonic() > deadline:
            if not create:
                return None
            raise BadInputError(f"{directory}: another run has held this folder's lock for {wait:.0f} s; "
                                "check for a hung cmn-matte and rerun")
        time.sleep(0.01)


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)                         # closing drops the flock


def _missing(directory: str) -> list[str]:
    """The folders of `directory` that do not exist yet, deepest first."""
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return missing


def _write_claim(directory: str, name: str, frames: list[int]) -> tuple[int, str]:
    """This run's claim file, written and locked (kept open: the lock lives as long as the run)."""
    path = claim_path(os.path.dirname(directory), name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    if fcntl is not None:
        with contextlib.suppress(OSError):           # no locks here: pids decide (_live)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, json.dumps({"name": name, "host": _host(), "pid": os.getpid(), "frames": format_frame_range(frames)}).encode())
    return fd, path


def _refuse_conflicts(directory: str, name: str, frames: set[int]) -> None:
    """BadInputError when a live claim of `name` has one of `frames`; stale claims are removed."""
    for entry in sorted(os.listdir(directory)):
        path = os.path.join(directory, entry)
        if not entry.startswith(f"{name}.") or not entry.endswith(SUFFIX):
            continue
        claim = _read(path)
        if claim is None or claim.get("name") != name or not _live(path, claim):
            continue
        overlap = frames & set(parse_frame_range(str(claim.get("frames", ""))))
        if overlap:
            raise BadInputError(f"{os.path.dirname(directory)}: another run (host {claim.get('host')}, pid "
                                f"{claim.get('pid')}) is writing frames {format_frame_range(overlap)} of {name} "
                                f"there; wait for it to finish, or stop it, then rerun (finished frames are skipped)")


def _read(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _live(path: str, claim: dict) -> bool:
    """Whether the claim's run still runs; a stale claim file is removed (taken over)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            except OSError:                              # no locks on this file system: pids decide
                pass
            else:                                        # nobody holds it: its process is gone
                os.remove(path)
                return False
        if claim.get("host") != _host() or _alive(int(claim.get("pid", 0))):
            return True
        os.remove(path)
        return False
    finally:
        os.close(fd)
