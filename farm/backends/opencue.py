"""OpenCue: the shot as an outline (pyoutline) with one Shell layer, chunked.

Each frame chunk runs `cmn-matte run --spec SHOT.yaml --frames #FRAME_START#-#FRAME_END#`
(OpenCue substitutes the chunk's first and last frame). The job spec XML is
written to OUT/jobs/<job_id>/opencue.xml through outline's own serializer, then
launched with outline.cuerun. pyoutline is optional: without it the error says so
before anything is written.
"""
from __future__ import annotations

import os

from cmn_vfx.errors import BadInputError, CMNError
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Plan


def _outline():
    try:
        import outline  # type: ignore[import-not-found]
        from outline import cuerun  # type: ignore[import-not-found]
        from outline.backend import cue  # type: ignore[import-not-found]
        from outline.modules.shell import Shell  # type: ignore[import-not-found]
    except ImportError:
        raise CMNError("opencue: the pyoutline package (OpenCue's outline API) is not installed; install "
                       "OpenCue's pycue and pyoutline on this machine, or use --backend local|deadline-cloud|deadline10") from None
    return outline, cuerun, cue, Shell


def build_outline(plan: Plan, spec_path: str, cmn_matte: str):
    """The outline.Outline of the job (one Shell layer over the shot's frames)."""
    outline, _cuerun, _cue, Shell = _outline()
    if len(plan.frames) != plan.frames[-1] - plan.frames[0] + 1:
        raise BadInputError(f"opencue: frames {plan.frame_range} have gaps and a chunk could span one; "
                            "submit each consecutive range separately")
    job = outline.Outline(f"cmn_matte_{plan.name}", shot=plan.name, frame_range=plan.frame_range)
    command = [cmn_matte, "run", "--spec", spec_path, "--frames", "#FRAME_START#-#FRAME_END#"]
    job.add_layer(Shell("matte", command=command, chunk=plan.chunk_size, range=plan.frame_range))
    return job


def submit(plan: Plan, options: SubmitOptions) -> SubmitResult:
    _outline()  # fail before writing anything when pyoutline is missing
    job_id, job_dir, spec_path = new_job_dir(plan)
    job = build_outline(plan, spec_path, options.cmn_matte or "cmn-matte")
    _outline_mod, cuerun, cue, _shell = _outline()
    xml_path = os.path.join(job_dir, "opencue.xml")
    with open(xml_path, "w", encoding="utf-8") as fh:
        fh.write(cue.serialize(job))
    result = SubmitResult(job_id, "opencue", plan, log=None, job_dir=job_dir)
    if options.dry_run:
        return result
    try:
        jobs = cuerun.launch(job, use_pycuerun=False)
    except Exception as exc:  # opencue raises its own connection errors
        raise CMNError(f"opencue: launch failed ({exc}); the job spec is in {xml_path}") from None
    if jobs:
        result.job_id = str(jobs[0].name())
    return result
