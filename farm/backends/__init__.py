"""Submit backends: each turns a Plan into a job somewhere and returns a SubmitResult.

Every backend first freezes the spec into the job folder OUT/jobs/<job_id>/shot.yaml
(farm.backends.base.new_job_dir), so every task of the job sees the same settings even
if the TD edits the original afterwards.
"""
from __future__ import annotations

from typing import Callable

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.names import BACKENDS
from farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from farm.plan import Plan

__all__ = ["BACKENDS", "SubmitOptions", "SubmitResult", "get_backend", "new_job_dir"]


def get_backend(name: str) -> Callable[[Plan, SubmitOptions], SubmitResult]:
    """The submit function of a backend; BadInputError for an unknown name."""
    if name == "local":
        from farm.backends.local import submit
    elif name == "deadline-cloud":
        from farm.backends.deadline_cloud import submit
    elif name == "deadline10":
        from farm.backends.deadline10 import submit
    elif name == "opencue":
        from farm.backends.opencue import submit
    else:
        raise BadInputError(f"backend {name!r} is unknown; use one of {', '.join(BACKENDS)}")
    return submit
