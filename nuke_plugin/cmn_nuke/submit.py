"""Talking to the farm: validate the panel's fields, write the shot spec, run `cmn-farm`.

Pure functions over plain data; the command itself runs beside the UI (background.py). Nuke's
Python has no cmn_vfx, so the spec is written here with ShotSpec's keys (as JSON text,
which is valid YAML) and the farm is reached only through the `cmn-farm` command:

    cmn-farm submit SPEC.yaml --backend B --json
      -> progress lines (stderr), then {"job_id", "backend", "alpha", "fg", "frames", "log"} (stdout)

Where `cmn-farm` is: $CMN_FARM, else the settings file's "cmn_farm", else on PATH.
Settings live in $CMN_NUKE_SETTINGS, else ~/.nuke/cmn_vfx.json.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil

from .keys import keys_pattern, problems as key_problems
from .pick import PickError, check_frames, spec_subject
from .readnode import frame_bounds, frame_path, plate_name
from .vendor.job.atomic import write_text
from .vendor.job.names import BACKENDS, DEFAULT_CHUNK_SIZE, DEFAULT_MODEL, DEFAULT_TEMPORAL, PRIORS
from .vendor.job.spec import DEFAULT_TEACH_MINUTES, ShotSpec

RESULT_KEYS = ("job_id", "backend", "alpha", "fg", "frames")
DEFAULTS = {"model": DEFAULT_MODEL, "chunk_size": DEFAULT_CHUNK_SIZE, "warmup": None, "downsample": "auto",
            "prior": None, "temporal": DEFAULT_TEMPORAL, "backend": BACKENDS[0], "cmn_farm": ""}
# Nuke's own Python settings would break the Python that runs cmn-farm.
NUKE_PYTHON_VARS = ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE")
MAX_JOBS_REMEMBERED = 50


class SubmitError(Exception):
    """A submit that failed for a reason the artist can fix; the message says how.
    (cmn_vfx.errors is not importable inside Nuke, hence a local class.)"""


# --- settings ------------------------------------------------------------------------

def settings_path(environ: dict | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("CMN_NUKE_SETTINGS") or os.path.join(os.path.expanduser("~"), ".nuke", "cmn_vfx.json")


def load_settings(path: str) -> dict:
    """The last used settings merged over DEFAULTS; a missing or broken file gives DEFAULTS."""
    settings = dict(DEFAULTS, jobs={})
    try:
        with open(path, encoding="utf-8") as fh:
            saved = json.load(fh)
    except (OSError, ValueError):
        return settings
    if isinstance(saved, dict):
        settings.update({k: v for k, v in saved.items() if k in settings})
    return settings


def save_settings(path: str, settings: dict) -> None:
    """Write atomically so two Nuke sessions never leave half a file."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_text(path, json.dumps(settings, indent=1, sort_keys=True))


def remember_job(settings: dict, plate: str, result: dict) -> dict:
    """Store the latest result per plate (for 'CMN Load Results'), newest last, bounded."""
    jobs = {k: v for k, v in settings.get("jobs", {}).items() if k != plate}
    jobs[plate] = result
    settings["jobs"] = dict(list(jobs.items())[-MAX_JOBS_REMEMBERED:])
    return settings


def farm_command(settings: dict, environ: dict | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    text = environ.get("CMN_FARM") or settings.get("cmn_farm") or "cmn-farm"
    return shlex.split(text)


def farm_env(environ: dict | None = None) -> dict:
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items() if k not in NUKE_PYTHON_VARS}


# --- validation and the spec ---------------------------------------------------------

def _nearest_existing(path: str) -> str:
    while path and not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def validate(fields: dict, farm: list[str], environ: dict | None = None) -> list[str]:
    """Every problem with the panel's fields, one line each: what only Nuke can check (the Read's file,
    its first and last frame, the output folder, the checkpoint, picks outside the frames, the backend,
    cmn-farm), then the shot spec's own checks (spec_problems: the lines cmn-farm would print).

    fields: plate, frames, output, model, chunk_size, warmup (int or None), downsample,
    prior (a PRIORS name, or None for the model's own), temporal (0 <= s < 1; missing = the default),
    layer ('' = rgba), backend,
    subject (all | main | picks x,y@frame;..., see pick.py; missing = all),
    key_source, key_frames, plate_range, plate_retimed, teach_minutes (keys.py; missing = no keys).
    """
    errors = []
    plate = fields.get("plate") or ""
    if "[" in plate:
        errors.append(f"Plate: {plate} still has a TCL expression; the Read's file must evaluate to a path.")
    bounds = frame_bounds(fields.get("frames"))        # None: the spec's checks say what is wrong with it
    if bounds is not None and plate and "[" not in plate:
        try:
            missing = [f for f in bounds if not os.path.isfile(frame_path(plate, f))]
        except ValueError as exc:
            errors.append(f"Plate: {exc}.")
        else:
            if missing:
                errors.append(f"Frames: frame {missing[0]} of the plate is missing ({frame_path(plate, missing[0])}); "
                              "fix the range or the Read's file.")
    output = fields.get("output") or ""
    if output and not os.path.isabs(output):
        errors.append(f"Output folder: {output!r} is not an absolute path; choose a folder with Browse.")
    elif os.path.isfile(output):
        errors.append(f"Output folder: {output} is a file; choose a folder.")
    elif output and not os.access(_nearest_existing(output), os.W_OK):
        errors.append(f"Output folder: cannot write to {_nearest_existing(output)}; choose a folder you can write.")
    model = str(fields.get("model") or "").strip()
    if not model:
        errors.append("Model: empty; use 'default' or the path of a checkpoint (.pt).")
    elif ("/" in model or model.endswith(".pt")) and not os.path.isfile(model):
        errors.append(f"Model: checkpoint {model} does not exist; check the path or use 'default'.")
    layer = str(fields.get("layer") or "").strip()
    if layer and (layer.startswith(".") or any(c in layer for c in "/\\ ")):    # stricter than the spec's rule
        errors.append(f"Layer: {layer!r} is not a layer name; use e.g. plate (for plate.R, plate.G, plate.B) "
                      "or leave it empty for rgba.")
    if bounds is not None:
        try:
            errors.extend(f"Subject: {line}." for line in check_frames(fields.get("subject"), *bounds))
        except PickError:
            pass                                        # the spec's checks name the bad pick
    errors.extend(key_problems(fields))
    errors.extend(spec_problems(fields))
    if fields.get("backend") not in BACKENDS:
        errors.append(f"Backend: {fields.get('backend')!r} is unknown; use one of {', '.join(BACKENDS)}.")
    exe = farm[0] if farm else ""
    found = os.path.isfile(exe) if os.path.dirname(exe) else \
        shutil.which(exe, path=(os.environ if environ is None else environ).get("PATH"))
    if not found:
        errors.append(f"Farm: command {exe!r} not found; set CMN_FARM to the path of cmn-farm "
                      "(or 'cmn_farm' in the settings file).")
    return errors


def spec_problems(fields: dict) -> list[str]:
    """ShotSpec's checks (the plugin's copy of cmn_vfx/job/spec.py) of the spec these fields make:
    the same lines `cmn-farm submit` or `cmn-matte run --spec` would print for it."""
    return ShotSpec(**spec_dict(fields)).problems()


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text                                     # as typed: the spec's checks say it is not a number


def spec_dict(fields: dict) -> dict:
    """The shot spec (same keys as cmn_vfx.job.spec.ShotSpec) for the panel's fields; bad values are
    kept as typed, so spec_problems names them.

    `subject` is written only when it is not all (None = every person is ShotSpec's default):
    a spec for every person still loads in a cmn-vfx without the field, and one that asks for
    main or a pick is refused there (unknown key) instead of silently matting everyone. `temporal`
    likewise, only when it is not the default; `keys` only when the panel has keys (with `teach_minutes`
    when it is not the default).
    """
    downsample = str(fields.get("downsample", "auto")).strip()
    try:
        subject = spec_subject(fields.get("subject"))
    except PickError:
        subject = fields.get("subject")
    plate = fields.get("plate") or ""
    spec = {
        "plate": plate,
        "output": fields.get("output") or "",
        "frames": str(fields.get("frames", "")).replace(" ", ""),
        "name": fields.get("name") or (plate_name(plate) if plate else None),
        "model": str(fields.get("model") or "").strip(),
        "device": "auto",
        "colorspace": fields.get("colorspace") or "auto",
        "layer": str(fields.get("layer") or "").strip() or None,
        "downsample": "auto" if downsample == "auto" else _number_or_text(downsample),
        "warmup": fields.get("warmup"),
        "prior": fields.get("prior") or None,
        "chunk_size": fields.get("chunk_size"),
        "missing": "error",
        "cuts": [],
    }
    if subject is not None:
        spec["subject"] = subject
    temporal = fields.get("temporal", DEFAULT_TEMPORAL)
    if temporal != DEFAULT_TEMPORAL:
        spec["temporal"] = temporal
    keys = keys_pattern(fields)
    if keys is not None:                                # the farm job teaches first (keys.py says where they are)
        spec["keys"] = keys
        if fields.get("teach_minutes", DEFAULT_TEACH_MINUTES) != DEFAULT_TEACH_MINUTES:
            spec["teach_minutes"] = fields["teach_minutes"]
    return spec


def spec_file(spec: dict) -> str:
    return os.path.join(spec["output"], f"{spec['name']}.shot.yaml")


def write_spec(spec: dict, path: str) -> str:
    """Write the spec as JSON text (valid YAML, and no YAML library needed in Nuke)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return write_text(path, "# cmn-vfx shot spec written by the Nuke panel (JSON is YAML)\n"
                      + json.dumps(spec, indent=2) + "\n")


# --- the command ---------------------------------------------------------------------

def submit_argv(farm: list[str], spec_path: str, backend: str) -> list[str]:
    """Local runs the shot attached (no --detach): the panel runs this in the background, shows the
    progress lines cmn-farm prints on stderr, and Cancel stops the job. Other backends return once
    the farm has the job."""
    return [*farm, "submit", spec_path, "--backend", backend, "--json"]


def status_command(farm: list[str], spec_path: str) -> str:
    """The command that says which frames are done, for the artist to copy into a shell."""
    return " ".join(shlex.quote(arg) for arg in [*farm, "status", spec_path])   # shlex.join: Python 3.8+, Nuke 13 has 3.7


def progress_line(text: str) -> str | None:
    """An output line worth showing while cmn-farm runs (None for a blank line or the JSON answer)."""
    text = text.strip()
    return text if text and not text.startswith("{") else None


def parse_result(stdout: str) -> dict:
    """The one JSON object cmn-farm prints (log lines before it are ignored)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                break
            missing = [k for k in RESULT_KEYS if k not in result]
            if missing:
                raise SubmitError(f"cmn-farm answered without {', '.join(missing)}; update cmn-vfx on this machine.")
            return result
    raise SubmitError(f"cmn-farm printed no JSON result ({stdout.strip()[-200:] or 'no output'}); "
                      "run the command in a shell to see why.")


def finish(code: int, stdout: str, stderr: str, farm: list[str], spec_path: str) -> dict:
    """What a finished `cmn-farm submit` gave: the parsed result plus 'spec' and 'status' (the command
    to copy: cmn-farm's own, else, from a cmn-farm that prints none, built here), or SubmitError with
    its one-line error (exit 2: bad input, 3: frames missing)."""
    if code != 0:
        last = (stderr.strip().splitlines() or [f"exit code {code}"])[-1].strip()
        raise SubmitError(f"cmn-farm submit failed: {last}")
    result = dict(parse_result(stdout), spec=spec_path)
    result.setdefault("status", status_command(farm, spec_path))
    return result
