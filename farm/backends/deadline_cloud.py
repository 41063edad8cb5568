"""AWS Deadline Cloud: a job bundle, validated with openjd's model, submitted with the `deadline` client API.

The bundle (OUT/jobs/<job_id>/bundle/) is the OpenJD template that runs locally (with the
Teach step when the spec has keys, the Subject step when it picks people), plus
    parameter_values.yaml   parameterValues: [{name, value}, ...] (ShotSpec, Plate, Model, OutputDir, Keys are PATHs)
    asset_references.yaml   assetReferences: inputs (spec + plate frames + checkpoint file + key frames),
                            outputs (OUT: alpha/, fg/, the subject and the taught model in .cmn/), referencedPaths
so job attachments carry the plate to workers without a shared file system, and path mapping
gives each worker the paths it sees (farm/worker/pathmap.py maps the spec's own).

Before anything is sent, openjd.model builds the job from the bundle's template and values
(decode_job_template, create_job): a bundle OpenJD refuses is refused here. Submission is
deadline.client.api.create_job_from_job_bundle with the farm, queue, storage profile and job
attachments file system given on the command line (else the `deadline` config's defaults);
it returns the job id. Without the `deadline` package the bundle stays, and the error says how
to submit it.
"""
from __future__ import annotations

import os

from cmn_vfx.errors import BadInputError, CMNError
from cmn_vfx.io.atomic import write_yaml
from cmn_vfx.io.sequence import find_sequence
from cmn_vfx_farm.backends.base import SubmitOptions, SubmitResult, new_job_dir
from cmn_vfx_farm.plan import Plan
from cmn_vfx_farm.template import job_parameters, job_steps, openjd_job, parameter_values_document, template_text

# deadline config keys for the command-line options (SubmitOptions.extra)
CONFIG_KEYS = {"farm_id": "defaults.farm_id", "queue_id": "defaults.queue_id",
               "storage_profile_id": "settings.storage_profile_id"}


def asset_references(plan: Plan, spec_path: str) -> dict:
    """The assetReferences document: which files go up, which folder comes back."""
    seq = find_sequence(plan.spec.plate)
    have = set(seq.frames)
    inputs = [spec_path] + [seq.path(f) for f in plan.frames if f in have]
    if os.path.isfile(plan.spec.model):
        inputs.append(os.path.abspath(plan.spec.model))
    if plan.spec.keys is not None:          # the Teach step's keyframes (preflight found them)
        keys = find_sequence(plan.spec.keys)
        inputs += [keys.path(f) for f in keys.frames]
    return {"assetReferences": {
        "inputs": {"filenames": inputs, "directories": []},
        "outputs": {"directories": [plan.spec.output]},
        "referencedPaths": [],
    }}


def write_bundle(plan: Plan, bundle_dir: str, spec_path: str, cmn_matte: str | None) -> str:
    """Write template.yaml, parameter_values.yaml and asset_references.yaml into `bundle_dir`."""
    os.makedirs(bundle_dir, exist_ok=True)
    with open(os.path.join(bundle_dir, "template.yaml"), "w", encoding="utf-8") as fh:
        fh.write(template_text(**job_steps(plan.spec)))
    # On a farm the worker's own tools (on its PATH, or from a queue environment) run the task.
    params = job_parameters(plan, spec_path, cmn_matte or "cmn-matte", "cmn-farm")
    write_yaml(os.path.join(bundle_dir, "parameter_values.yaml"), parameter_values_document(params))
    write_yaml(os.path.join(bundle_dir, "asset_references.yaml"), asset_references(plan, spec_path))
    return bundle_dir


def validate_bundle(bundle_dir: str):
    """The job openjd.model builds from the bundle's own files (BadInputError when it refuses them)."""
    import yaml
    with open(os.path.join(bundle_dir, "template.yaml"), encoding="utf-8") as fh:
        template = yaml.safe_load(fh)
    with open(os.path.join(bundle_dir, "parameter_values.yaml"), encoding="utf-8") as fh:
        values = {p["name"]: p["value"] for p in yaml.safe_load(fh)["parameterValues"]}
    return openjd_job(template, values)


def _client():
    try:
        from deadline.client import api
        from deadline.client.config import config_file
    except ImportError:
        return None, None
    return api, config_file


def _config(config_file, extra: dict):
    """The deadline config with this submission's farm, queue and storage profile set (the file is not changed)."""
    config = config_file.read_config()
    for option, key in CONFIG_KEYS.items():
        if extra.get(option):
            config_file.set_setting(key, extra[option], config=config)
    for key in ("defaults.farm_id", "defaults.queue_id"):
        if not config_file.get_setting(key, config=config):
            option = next(o for o, k in CONFIG_KEYS.items() if k == key)
            raise BadInputError(f"deadline-cloud: no {key} is set; give --{option.replace('_', '-')} ID or "
                                f"`deadline config set {key} ID`")
    return config


def submit(plan: Plan, options: SubmitOptions) -> SubmitResult:
    api, config_file = _client()
    config = _config(config_file, options.extra) if api and not options.dry_run else None
    job_id, job_dir, spec_path = new_job_dir(plan)
    bundle = write_bundle(plan, os.path.join(job_dir, "bundle"), spec_path, options.cmn_matte)
    validate_bundle(bundle)
    result = SubmitResult(job_id, "deadline-cloud", plan, log=None, job_dir=job_dir)
    if options.dry_run:
        return result
    if api is None:
        raise CMNError(f"deadline-cloud: the `deadline` package is not installed (pip install 'cmn-vfx[farm]'); "
                       f"the job bundle is in {bundle}: submit it later with `deadline bundle submit {bundle}`")
    try:
        submitted = api.create_job_from_job_bundle(
            bundle, name=f"CMN matte {plan.name}", config=config, priority=options.extra.get("priority"),
            job_attachments_file_system=options.extra.get("job_attachments"), print_function_callback=lambda _: None,
            interactive_confirmation_callback=lambda _message, default: default)
    except Exception as exc:  # boto3 and the client raise many kinds; the bundle stays for a resubmit
        raise CMNError(f"deadline-cloud: the submission failed ({exc}); the bundle is in {bundle}; check "
                       f"`deadline auth status` and resubmit with `deadline bundle submit {bundle}`") from None
    if not submitted:
        raise CMNError(f"deadline-cloud: no job was created; the bundle is in {bundle}")
    result.job_id = str(submitted)
    return result
