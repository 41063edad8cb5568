"""What every submit backend shares: its options, its result, and the job folder.

Every backend first freezes the spec into the job folder OUT/jobs/<job_id>/shot.yaml
(absolute paths), so every task of the job sees the same settings even if the
TD edits the original afterwards.
"""
from __future__ import annotations

import datetime
import os
import secrets
from dataclasses import dataclass, field

from cmn_vfx.errors import BadInputError
from cmn_vfx_farm.plan import Plan


@dataclass
class SubmitResult:
    """What `cmn-farm submit --json` prints (docs/contracts.md, Farm <-> Nuke)."""

    job_id: str
    backend: str
    plan: Plan
    log: str | None = None
    job_dir: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"job_id": self.job_id, "backend": self.backend,
                "alpha": self.plan.layout.alpha_pattern, "fg": self.plan.layout.fg_pattern,
                "frames": self.plan.frame_range, "log": self.log}


@dataclass
class SubmitOptions:
    """Backend options from the command line; each backend reads the ones it knows."""

    workers: int = 1
    detach: bool = False
    cmn_matte: str | None = None
    dry_run: bool = False
    extra: dict = field(default_factory=dict)


def new_job_dir(plan: Plan) -> tuple[str, str, str]:
    """Create OUT/jobs/<job_id>/ with a frozen copy of the spec; returns (job_id, job_dir, spec_path)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    job_id = f"{plan.name}-{stamp}-{secrets.token_hex(2)}"
    job_dir = os.path.join(plan.spec.output, "jobs", job_id)
    try:
        os.makedirs(job_dir)
    except OSError as exc:
        raise BadInputError(f"{job_dir}: cannot create the job folder ({exc.strerror}); "
                            "check that the spec's output folder is writable") from None
    spec_path = os.path.join(job_dir, "shot.yaml")
    plan.spec.to_yaml(spec_path)
    return job_id, job_dir, spec_path
