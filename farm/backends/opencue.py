"""OpenCue: the shot as a pyoutline outline, serialised by pyoutline itself, launched on a cuebot.

Layers (Shell modules, the --service given, default `shell`, the service every cuebot has):
    teach    (keys:) one frame: cmn-farm teach --spec SHOT.yaml --cmn-matte EXE (farm/worker/teach.py)
    subject  (subject: main or picks) one frame: cmn-matte run --spec SHOT.yaml --resolve-subject
             (depends on teach)
    matte    depends on teach and subject (layer-on-layer); chunks of chunk_size:
             cmn-matte run --spec SHOT.yaml --frames #FRAME_START#-#FRAME_END#
             (with keys, subject and matte run SHOT.matte.yaml: the spec with the taught model, beside SHOT.yaml)
             (a frame list with gaps gets one matte layer per run of consecutive frames, so no chunk spans a gap)
OpenCue joins a command's words with spaces and RQD hands the line to a shell, so each word is
shell-quoted here (a spec path with a space stays one argument). The job spec XML is written to
OUT/jobs/<job_id>/opencue.xml by pyoutline's OutlineLauncher.serialize (no pycuerun wrapper) and
pyoutline's session goes to OUT/jobs/<job_id>/opencue/ instead of ~/.opencue; with --dry-run
that is all. Otherwise the launcher sends the same spec to the cuebot (--cuebot, else
$CUEBOT_HOSTS or opencue's config). Show, facility and service come from the command line, else
$SHOW / $RENDER_TO / $FACILITY, else pyoutline's config (default_show, facility).
"""
from __future__ import annotations

import os
import shlex

from cmn_vfx.errors import CMNError
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Plan, runs
from cmn_vfx_farm.template import has_subject_step, has_teach_step
from cmn_vfx_farm.taught import matte_spec


def _pyoutline():
    try:
        import outline  # type: ignore[import-not-found]
        from outline import cuerun  # type: ignore[import-not-found]
        from outline.modules.shell import Shell  # type: ignore[import-not-found]
    except ImportError:
        raise CMNError("opencue: the pyoutline package (OpenCue's outline API) is not installed; "
                       "pip install 'cmn-vfx[farm]' (opencue-pyoutline), or use --backend local|deadline-cloud|deadline10"
                       ) from None
    return outline, cuerun, Shell


def shell_command(argv: list[str]) -> str:
    """One shell line for RQD: every word quoted (OpenCue substitutes #FRAME_START# inside the quotes)."""
    return shlex.join(argv)


def build_outline(plan: Plan, spec_path: str, cmn_matte: str, show: str | None = None,
                  facility: str | None = None, service: str = "shell"):
    """The outline.Outline of the job: a subject layer when the spec picks people, then a matte layer per run of
    consecutive frames (`matte`, or `matte_1001`, `matte_1010`... for a list with gaps: OpenCue cuts chunks by
    position in a layer's frame list, so one layer over a gap could give a chunk that spans it)."""
    outline, _cuerun, Shell = _pyoutline()
    show = show or os.environ.get("SHOW") or outline.config.get("outline", "default_show")
    job = outline.Outline(f"cmn_matte_{plan.name}", shot=plan.name, show=show, frame_range=plan.openjd_range)
    if facility:
        job.set_facility(facility)
    spec = ["--spec", spec_path]
    first = []          # teach, then subject on the model the matte layers run (the taught one with keys)
    if has_teach_step(plan.spec):
        first.append(Shell("teach", command=shell_command(["cmn-farm", "teach", *spec, "--cmn-matte", cmn_matte]),
                           chunk=1, range=str(plan.frames[0]), service=service))
        spec = ["--spec", matte_spec(spec_path, os.path.dirname(spec_path))]
    if has_subject_step(plan.spec):
        first.append(Shell("subject", command=shell_command([cmn_matte, "run", *spec, "--resolve-subject",
                                                             "--no-progress"]),
                           chunk=1, range=str(plan.frames[0]), service=service))
        if len(first) == 2:
            first[1].depend_all(first[0])
    for layer in first:
        job.add_layer(layer)
    frame_runs = runs(list(plan.frames))
    for run in frame_runs:
        name = "matte" if len(frame_runs) == 1 else f"matte_{run[0]}"
        matte = Shell(name, command=shell_command([cmn_matte, "run", *spec, "--frames", "#FRAME_START#-#FRAME_END#",
                                                   "--no-progress"]),
                      chunk=plan.chunk_size, range=f"{run[0]}-{run[-1]}", service=service)
        for layer in first:
            matte.depend_all(layer)
        job.add_layer(matte)
    return job


def serialize(job, session_dir: str, priority: int | None = None):
    """(launcher, job spec XML) by pyoutline's OutlineLauncher; its session files go to `session_dir`."""
    outline, cuerun, _shell = _pyoutline()
    outline.config.set("outline", "session_dir", session_dir)
    launcher = cuerun.OutlineLauncher(job, **({} if priority is None else {"priority": priority}))
    return launcher, launcher.serialize(use_pycuerun=False)


def submit(plan: Plan, options: SubmitOptions) -> SubmitResult:
    _pyoutline()  # fail before writing anything when pyoutline is missing
    extra = options.extra
    job_id, job_dir, spec_path = new_job_dir(plan)
    job = build_outline(plan, spec_path, options.cmn_matte or "cmn-matte", extra.get("show"), extra.get("facility"),
                        extra.get("service") or "shell")
    launcher, xml = serialize(job, os.path.join(job_dir, "opencue"), extra.get("priority"))
    xml_path = os.path.join(job_dir, "opencue.xml")
    with open(xml_path, "w", encoding="utf-8") as fh:
        fh.write(xml)
    result = SubmitResult(job_id, "opencue", plan, log=None, job_dir=job_dir)
    if options.dry_run:
        return result
    try:
        if extra.get("cuebot"):
            import opencue  # type: ignore[import-not-found]
            opencue.Cuebot.setHosts([h.strip() for h in extra["cuebot"].split(",") if h.strip()])
        jobs = launcher.launch(use_pycuerun=False)
    except Exception as exc:  # opencue raises its own connection errors
        raise CMNError(f"opencue: launch failed ({exc}); the job spec is in {xml_path}") from None
    if jobs:
        result.job_id = str(jobs[0].name())
    return result
