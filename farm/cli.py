"""cmn-farm plan|submit|status (the submitting machine) and session|subject (a worker, farm/worker/).

    cmn-farm plan shot.yaml                        # the chunks and their warm-up frames
    cmn-farm submit shot.yaml                      # run here (OpenJD's runner), 1 worker
    cmn-farm submit shot.yaml --workers 2 --detach --json
    cmn-farm submit shot.yaml --backend deadline-cloud --queue-id queue-... --farm-id farm-...
    cmn-farm submit shot.yaml --backend deadline10 --pool gpu --group cmn --priority 60
    cmn-farm submit shot.yaml --backend opencue --show abc --facility local --cuebot cuebot01
    cmn-farm status shot.yaml                      # done / missing / failed frames
    cmn-farm submit shot.yaml --frames 1005-1012   # resubmit only what status says

Every check (spec, plate pattern, range, chunk size, backend, the plate's headers, the model
file) runs before anything is written or submitted; a user error exits 2 with one line saying
the fix. Submit reads headers only: a spec that picks people (subject: main or picks) gets a
first job step that resolves them on a worker. Each side imports only its own modules, so a
worker's `cmn-farm session` never loads the submit backends.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.names import BACKENDS


def main(argv: list[str] | None = None) -> int:
    """cmn-farm plan|submit|status|session|subject."""
    from cmn_vfx.console import with_subcommands
    return with_subcommands("cmn-farm", "Plan, submit and check farm jobs for shots.", [add_parser], argv)


def add_parser(subparsers) -> None:
    """Register plan, submit, status (submitting side) and session, subject (worker side)."""
    from cmn_vfx_farm.worker.commands import add_parsers
    for name, func, help_text in (("plan", run_plan, "print the chunks of a shot"),
                                  ("submit", run_submit, "submit a shot's job to a backend"),
                                  ("status", run_status, "done, missing and failed frames of a shot")):
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("spec", nargs="?", help="shot spec YAML (cmn_vfx.job.spec.ShotSpec)")
        parser.add_argument("--spec", dest="spec_option", metavar="SPEC", help="same as the positional SPEC")
        parser.add_argument("--frames", help="override the spec's frames, e.g. 1001-1050")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        if name == "status":
            parser.add_argument("--quick", action="store_true",
                                help="read the EXR headers only (a file truncated after its header counts as done)")
        else:
            parser.add_argument("--chunk-size", type=int, help="override the spec's chunk_size")
        if name == "submit":
            _add_submit_options(parser)
        parser.set_defaults(func=func)
    add_parsers(subparsers)


def _add_submit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default="local", help=f"one of {', '.join(BACKENDS)} (default local)")
    parser.add_argument("--cmn-matte", help="the cmn-matte executable the tasks run")
    parser.add_argument("--dry-run", action="store_true", help="write the job files, submit nothing")
    local = parser.add_argument_group("local (OpenJD's runner on this machine)")
    local.add_argument("--workers", type=int, default=1, help="tasks run in parallel")
    local.add_argument("--detach", action="store_true", help="return at once; progress goes to the log")
    local.add_argument("--retries", type=int, default=1, help="reruns of a failed chunk")
    cloud = parser.add_argument_group("deadline-cloud (the deadline client's config supplies what is not given)")
    cloud.add_argument("--farm-id", help="default: deadline config's defaults.farm_id")
    cloud.add_argument("--queue-id", help="default: deadline config's defaults.queue_id")
    cloud.add_argument("--storage-profile-id", help="default: deadline config's settings.storage_profile_id")
    cloud.add_argument("--job-attachments", choices=["COPIED", "VIRTUAL"],
                       help="job attachments file system on the workers (default: the config's)")
    d10 = parser.add_argument_group("deadline10 and opencue")
    d10.add_argument("--pool", help="deadline10: the pool (default: none)")
    d10.add_argument("--group", help="deadline10: the group (default: none)")
    d10.add_argument("--priority", type=int, help="job priority (deadline10 0-100, default 50; deadline-cloud "
                     "0-100; opencue default 1)")
    d10.add_argument("--show", help="opencue: the show (default: $SHOW, else the pyoutline config's default_show)")
    d10.add_argument("--facility", help="opencue: the facility (default: $RENDER_TO / $FACILITY, else pyoutline's)")
    d10.add_argument("--cuebot", help="opencue: cuebot host(s), comma-separated (default: $CUEBOT_HOSTS or "
                     "opencue's config)")
    d10.add_argument("--service", default="shell", help="opencue: the layers' service (default shell, which every cuebot has; give a GPU service of your facility to run on GPU hosts)")


def _plan(args: argparse.Namespace):
    from cmn_vfx.job.spec import ShotSpec
    from cmn_vfx_farm.plan import plan_shot
    path = args.spec or args.spec_option
    if not path:
        raise BadInputError("no shot spec given; run e.g. `cmn-farm plan shot.yaml`")
    return plan_shot(ShotSpec.from_yaml(path), args.frames, getattr(args, "chunk_size", None), os.path.abspath(path))


def run_plan(args: argparse.Namespace) -> int:
    plan = _plan(args)
    if args.json:
        print(json.dumps(plan.to_dict()))
        return 0
    print(f"{plan.name}: {len(plan.frames)} frames ({plan.frame_range}) in {len(plan.chunks)} chunks of "
          f"<= {plan.chunk_size}, warm-up {plan.warmup}")
    print(f"  alpha {plan.layout.alpha_pattern}\n  fg    {plan.layout.fg_pattern}")
    for chunk in plan.chunks:
        warm = f"warm-up {chunk.warmup[0]}-{chunk.warmup[-1]}" if chunk.warmup else "no warm-up"
        print(f"  {chunk.text:>12s}  {len(chunk.frames):3d} frames  {warm}")
    return 0


def submit_options(args: argparse.Namespace):
    """The backends' SubmitOptions from the command line (BadInputError for values out of range)."""
    from cmn_vfx_farm.backends import SubmitOptions
    if args.workers < 1:
        raise BadInputError(f"--workers {args.workers} must be >= 1")
    if args.retries < 0:
        raise BadInputError(f"--retries {args.retries} must be >= 0")
    if args.priority is not None and not 0 <= args.priority <= 100:
        raise BadInputError(f"--priority {args.priority} must be 0-100")
    keys = ("retries", "farm_id", "queue_id", "storage_profile_id", "job_attachments", "pool", "group", "priority",
            "show", "facility", "cuebot", "service")
    return SubmitOptions(workers=args.workers, detach=args.detach, cmn_matte=args.cmn_matte, dry_run=args.dry_run,
                         extra={k: getattr(args, k) for k in keys})


def run_submit(args: argparse.Namespace) -> int:
    from cmn_vfx_farm.backends import get_backend
    from cmn_vfx_farm.preflight import preflight
    submit = get_backend(args.backend)
    options = submit_options(args)
    plan = _plan(args)
    preflight(plan)              # the model file and the plate's headers, before a job exists; no pixels
    result = submit(plan, options)
    status = f"cmn-farm status {shlex.quote(plan.spec_path or 'SHOT.yaml')}"
    if args.json:
        print(json.dumps(dict(result.to_json(), status=status)))
    else:
        print(f"{result.backend}: job {result.job_id}, frames {plan.frame_range} in {len(plan.chunks)} chunks")
        print(f"  job folder {result.job_dir}" + (f"\n  log {result.log}" if result.log else ""))
        print(f"  status: {status}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from cmn_vfx_farm.status import shot_status
    status = shot_status(_plan(args), quick=args.quick)
    print(json.dumps(status.to_dict()) if args.json else status.summary())
    return 0 if status.complete else 1


if __name__ == "__main__":
    sys.exit(main())
