"""`cmn-farm session start|task|stop`, `cmn-farm subject` and `cmn-farm teach`: what the job template runs on a worker.

Each takes the job's paths as the template passes them, already mapped by OpenJD (the PATH
parameters) plus the session's rules file for the paths inside the spec (farm/worker/pathmap.py):

    --spec SHOT.yaml --plate P --model M --output OUT --path-mapping-rules RULES.json [--keys KEYS]

A spec with keys runs its Matte tasks on the model its Teach step taught (farm/worker/teach.py).
"""
from __future__ import annotations

import argparse
import os

from cmn_vfx.errors import BadInputError


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plate", help="the plate pattern as this worker sees it (PATH parameter, mapped)")
    parser.add_argument("--model", help="the checkpoint as this worker sees it (empty: the spec's bundled name)")
    parser.add_argument("--output", help="the output folder as this worker sees it (PATH parameter, mapped)")
    parser.add_argument("--keys", help="the keyframes' pattern as this worker sees it (PATH parameter, mapped)")
    parser.add_argument("--path-mapping-rules", dest="rules",
                        help="{{Session.PathMappingRulesFile}}: applied to every path inside the spec")


def add_parsers(subparsers) -> None:
    """Register `session`, `subject` and `teach` on cmn-farm's subparsers."""
    parser = subparsers.add_parser("session", help="resident cmn-matte for one worker session (used by the job template)")
    parser.add_argument("action", choices=["start", "task", "stop"])
    parser.add_argument("--socket", required=True, help="Unix socket path, e.g. {{Session.WorkingDirectory}}/cmn-matte.sock")
    parser.add_argument("--spec", help="the shot spec (start: its model is loaded; task: the task's spec)")
    parser.add_argument("--frames", help="task: the chunk, e.g. 1001-1010")
    parser.add_argument("--cmn-matte", default="cmn-matte", help="task: the executable to run when no server answers")
    _add_paths(parser)
    parser.set_defaults(func=run_session)
    for name, func, help_text in (("subject", run_subject, "resolve a spec's subject over the shot"),
                                  ("teach", run_teach, "teach the shot's own model from the spec's keys")):
        parser = subparsers.add_parser(name, help=f"{help_text} (a first step of the job)")
        parser.add_argument("--spec", required=True, help="the shot spec")
        parser.add_argument("--cmn-matte", default="cmn-matte", help="the cmn-matte executable")
        parser.add_argument("--workdir", help="where the mapped spec is written ({{Session.WorkingDirectory}})")
        _add_paths(parser)
        parser.set_defaults(func=func)


def _mapped_spec(args: argparse.Namespace, workdir: str) -> str:
    """The spec the Matte step runs here: mapped for this worker, with the taught model when it has keys."""
    from cmn_vfx_farm.worker.pathmap import localise
    from cmn_vfx_farm.taught import matte_spec
    mapped = localise(args.spec, args.rules, workdir, args.plate, args.output, args.model, args.keys)
    return matte_spec(mapped, workdir)


def run_session(args: argparse.Namespace) -> int:
    from cmn_vfx_farm.worker import session
    workdir = os.path.dirname(os.path.abspath(args.socket))
    if args.action == "start":
        from cmn_vfx.job.spec import ShotSpec
        spec = ShotSpec.from_yaml(_mapped_spec(args, workdir)) if args.spec else None
        return session.start(args.socket, spec.model if spec else None, spec.device if spec else "auto",
                             spec.runtime if spec else "auto")
    if args.action == "stop":
        return session.stop(args.socket)
    if not args.spec or not args.frames:
        raise BadInputError("cmn-farm session task needs --spec SHOT.yaml and --frames A-B")
    return session.task(args.socket, ["run", "--spec", _mapped_spec(args, workdir), "--frames", args.frames,
                                      "--no-progress"], args.cmn_matte)


def run_subject(args: argparse.Namespace) -> int:
    from cmn_vfx_farm.worker.subject import resolve
    return resolve(args.spec, args.cmn_matte, args.workdir, args.rules, args.plate, args.output, args.model)


def run_teach(args: argparse.Namespace) -> int:
    from cmn_vfx_farm.worker.teach import teach
    return teach(args.spec, args.cmn_matte, args.workdir, args.rules, args.plate, args.output, args.model, args.keys)
