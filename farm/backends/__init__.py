"""Submit backends: each turns a Plan into a job somewhere and returns a SubmitResult.

Every backend first freezes the spec into the job folder OUT/jobs/<job_id>/shot.yaml
(cmn_vfx_farm.backends.base.new_job_dir), so every task of the job sees the same settings even
if the TD edits the original afterwards.
"""
from __future__ import annotations

from typing import Callable

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.names import BACKENDS
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Plan

__all__ = ["BACKENDS", "SubmitOptions", "SubmitResult", "get_backend", "new_job_dir"]


def get_backend(name: str) -> Callable[[Plan, SubmitOptions], SubmitResult]:
    """The submit function of a backend; BadInputError for an unknown name."""
    if name == "local":
        from cmn_vfx_farm.backends.local import submit
    elif name == "deadline-cloud":
        from cmn_vfx_farm.backends.deadline_cloud import submit
    elif name == "deadline10":
        from cmn_vfx_farm.backends.deadline10 import submit
    elif name == "opencue":
        from cmn_vfx_farm.backends.opencue import submit
    else:
        raise BadInputError(f"backend {name!r} is unknown; use one of {', '.join(BACKENDS)}")
    return submit
