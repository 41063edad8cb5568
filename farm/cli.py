"""cmn-farm plan|submit|status: Open Job Description jobs for shots.

    cmn-farm plan shot.yaml                        # the chunks and their warm-up frames
    cmn-farm submit shot.yaml                      # run here (OpenJD's runner), 1 worker
    cmn-farm submit shot.yaml --workers 2 --detach --json
    cmn-farm submit shot.yaml --backend deadline-cloud|deadline10|opencue
    cmn-farm status shot.yaml                      # done / missing / failed frames
    cmn-farm submit shot.yaml --frames 1005-1012   # resubmit only what status says

Every check (spec, plate pattern, range, chunk size, backend) runs before anything
is written or submitted; a user error exits 2 with one line saying the fix.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.backends import BACKENDS, SubmitOptions, get_backend
from cmn_vfx_farm.plan import Plan, plan_shot
from cmn_vfx_farm.preflight import preflight
from cmn_vfx_farm.status import shot_status


def main(argv: list[str] | None = None) -> int:
    """cmn-farm plan|submit|status|session."""
    from cmn_vfx.console import with_subcommands
    return with_subcommands("cmn-farm", "Plan, submit and check farm jobs for shots.", [add_parser], argv)


def add_parser(subparsers) -> None:
    """Register plan, submit and status on cmn-farm's subparsers."""
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
            parser.add_argument("--backend", default="local", help=f"one of {', '.join(BACKENDS)} (default local)")
            parser.add_argument("--workers", type=int, default=1, help="local: tasks run in parallel")
            parser.add_argument("--detach", action="store_true", help="local: return at once; progress goes to the log")
            parser.add_argument("--retries", type=int, default=1, help="local: reruns of a failed chunk")
            parser.add_argument("--cmn-matte", help="the cmn-matte executable the tasks run")
            parser.add_argument("--dry-run", action="store_true", help="write the job files, submit nothing")
        parser.set_defaults(func=func)
    _add_session_parser(subparsers)


def _add_session_parser(subparsers) -> None:
    """`cmn-farm session start|task|stop`: the resident cmn-matte of a worker session (farm/session.py)."""
    parser = subparsers.add_parser("session", help="resident cmn-matte for one worker session (used by the job template)")
    parser.add_argument("action", choices=["start", "task", "stop"])
    parser.add_argument("--socket", required=True, help="Unix socket path, e.g. {{Session.WorkingDirectory}}/cmn-matte.sock")
    parser.add_argument("--spec", help="the shot spec (start: its model is loaded; task: the task's spec)")
    parser.add_argument("--frames", help="task: the chunk, e.g. 1001-1010")
    parser.add_argument("--cmn-matte", default="cmn-matte", help="task: the executable to run when no server answers")
    parser.set_defaults(func=run_session)


def run_session(args: argparse.Namespace) -> int:
    from cmn_vfx_farm import session
    if args.action == "start":
        spec = ShotSpec.from_yaml(args.spec) if args.spec else None
        return session.start(args.socket, spec.model if spec else None, spec.device if spec else "auto",
                             spec.runtime if spec else "auto")
    if args.action == "stop":
        return session.stop(args.socket)
    if not args.spec or not args.frames:
        raise BadInputError("cmn-farm session task needs --spec SHOT.yaml and --frames A-B")
    return session.task(args.socket, ["run", "--spec", args.spec, "--frames", args.frames, "--no-progress"],
                        args.cmn_matte)


def _plan(args: argparse.Namespace) -> Plan:
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


def run_submit(args: argparse.Namespace) -> int:
    submit = get_backend(args.backend)
    if args.workers < 1:
        raise BadInputError(f"--workers {args.workers} must be >= 1")
    if args.retries < 0:
        raise BadInputError(f"--retries {args.retries} must be >= 0")
    plan = _plan(args)
    preflight(plan)              # the model and the plate's headers, before a job exists
    if not args.dry_run:
        _resolve_subject(plan, args)
    options = SubmitOptions(workers=args.workers, detach=args.detach, cmn_matte=args.cmn_matte,
                            dry_run=args.dry_run, extra={"retries": args.retries})
    result = submit(plan, options)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(f"{result.backend}: job {result.job_id}, frames {plan.frame_range} in {len(plan.chunks)} chunks")
        print(f"  job folder {result.job_dir}" + (f"\n  log {result.log}" if result.log else ""))
    return 0


def _resolve_subject(plan: Plan, args: argparse.Namespace) -> None:
    """A spec that picks people (subject: main or picks) is resolved over the whole shot once, here, before
    chunking: every chunk then reads the same stored boxes (OUT/.cmn/<name>.subject.json)."""
    from cmn_vfx.job.subject_grammar import ALL, parse_subject
    if parse_subject(plan.spec.subject) == ALL:
        return
    from cmn_vfx.cli import matte_main
    code = matte_main(["run", "--spec", args.spec or args.spec_option, "--resolve-subject", "--no-progress"])
    if code != 0:
        raise BadInputError(f"{plan.name}: the subject {plan.spec.subject!r} could not be resolved (above); nothing submitted")


def run_status(args: argparse.Namespace) -> int:
    status = shot_status(_plan(args), quick=args.quick)
    print(json.dumps(status.to_dict()) if args.json else status.summary())
    return 0 if status.complete else 1


if __name__ == "__main__":
    sys.exit(main())
