r"""Where `cmn-matte teach`'s memory goes: its peak RSS by phase (issue 28: a 1080p shot in bounded memory).

    .venv/bin/python -m bench.teach_memory runs/h9_mem/shot/plate/sample.####.exr \
        --keys runs/h9_mem/keys20/sample.####.exr --frames 1001-1020 --model runs/snap/v5_i122.pt --iterations 1

Runs `cmn-matte teach` in this process (the arguments after the plate are teach's own), with a thread that
reads this process's RSS every 50 ms; the phases are marked by wrapping teach's own steps: load (the base
model, the prior, the keys), read_shot (the frames read and the cached features, cmn_vfx/teach/shot.py), fit,
key_errors (the fit check), write (checkpoint and ONNX export). Prints one JSON line: the peak RSS (MB) of each
phase, the RSS when read_shot returns, and the process's peak (ru_maxrss).
"""
from __future__ import annotations

import json
import resource
import sys
import tempfile
import threading
import time


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


class Phases:
    """The peak RSS of each phase, sampled by a daemon thread; `mark(name)` starts the next phase."""

    def __init__(self, period: float = 0.05) -> None:
        self.phase, self.peaks, self.marks = "load", {}, {}
        threading.Thread(target=self._sample, args=(period,), daemon=True).start()

    def _sample(self, period: float) -> None:
        while True:
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), rss_mb())
            time.sleep(period)

    def mark(self, name: str) -> None:
        seen = sum(1 for k in self.marks if k == f"rss_at_{name}" or k.startswith(f"rss_at_{name}#"))
        name = f"{name}#{seen + 1}" if seen else name          # key_errors runs twice: the base's, the taught's
        self.marks[f"rss_at_{name}"] = round(rss_mb())
        self.phase = name

    def wrap(self, module, name: str, after: str) -> None:
        """Mark phase `name` when module.name is called, `after` when it returns."""
        inner = getattr(module, name)

        def wrapped(*args, **kwargs):
            self.mark(name)
            try:
                return inner(*args, **kwargs)
            finally:
                self.mark(after)
        setattr(module, name, wrapped)


def main(argv: list[str] | None = None) -> int:
    from cmn_vfx.cli import matte_main
    from cmn_vfx.teach import fit, save, shot

    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    phases = Phases()
    phases.wrap(shot, "read_shot", "after_read_shot")
    phases.wrap(fit, "fit", "after_fit")
    phases.wrap(fit, "key_errors", "after_key_errors")
    phases.wrap(save, "write_taught", "done")
    with tempfile.TemporaryDirectory() as tmp:
        code = matte_main(["teach", *argv, "--out", f"{tmp}/taught.pt", "--no-progress"])
    time.sleep(0.1)
    print(json.dumps({"exit": code, "peak_mb": {k: round(v) for k, v in phases.peaks.items()}, **phases.marks,
                      "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
    return code


if __name__ == "__main__":
    sys.exit(main())
