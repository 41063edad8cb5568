"""The job's first step when a spec has `keys:`: teach the shot's own model on a worker, once.

    cmn-farm teach --spec SHOT.yaml --keys KEYS [--plate P --model M --output OUT --path-mapping-rules R --workdir W]

maps the spec for this worker (farm/worker/pathmap.py, the keys' pattern too), then runs

    cmn-matte teach PLATE --keys KEYS --out OUT/.cmn/taught/<name>.pt --model BASE --minutes M [--frames A-B]
        --refine R --temporal S --downsample D [--subject X --prior P --cuts C --no-auto-cuts --warmup N]

which refuses bad keys before any work with its one line (exit 2: this step fails with it) and writes the
checkpoint and its ONNX export atomically (cmn_vfx.teach.save). The correction net learns under the spec's
own settings (cmn_vfx.engine.taught.CORRECTION_INPUTS: the alpha its Matte tasks feed it). Every Matte task
then runs that model (cmn_vfx_farm.taught.matte_spec): the frames carry its sha256 in cmn:checkpoint_sha256
and cmn:settings, not the base's.

Teaching stops on the clock (`teach_minutes`), so two teachings of the same keys differ in their last bits:
a resubmit must not teach again, or every finished frame would be redone. So the model's inputs are hashed
(`teach_key`: the base checkpoint's and the keys' bytes, each taught plate frame's identity, the frames, the
minutes, the colourspace and layer, the spec's CORRECTION_INPUTS) into <name>.teach.json beside it, and a
step whose inputs hash the same finds the model taught and stops there. A changed key set hashes otherwise: taught again, a new sha256,
every frame redone. Paths are not hashed: workers that see the files under other roots agree.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess

from cmn_vfx.engine.taught import CORRECTION_INPUTS
from cmn_vfx.job.spec import ShotSpec
from cmn_vfx_farm.taught import shot_name, taught_model
from cmn_vfx_farm.worker.pathmap import localise

VERSION = 3             # bump when what teach_key hashes or the Teach step runs changes: models taught before
#                         are taught again (2: cmn-matte teach's default method became correct, a correction net;
#                         3: it learns under the spec's settings, not the defaults, and records them)


def teach_key(spec: ShotSpec) -> str:
    """sha256 of everything the taught model depends on (no paths: the same on every worker)."""
    from cmn_vfx.installed import resolve_checkpoint
    from cmn_vfx.io.digest import sha256_of
    from cmn_vfx.io.sequence import find_sequence, shot_frames
    from cmn_vfx.job.finished import source_id
    seq, keys = find_sequence(spec.plate), find_sequence(spec.keys)
    frames = shot_frames(seq, spec.frames)
    h = hashlib.sha256(json.dumps([VERSION, sha256_of(resolve_checkpoint(spec.model)), frames,
                                   float(spec.teach_minutes), spec.colorspace, spec.layer,
                                   {k: getattr(spec, k) for k in CORRECTION_INPUTS}]).encode())
    h.update("".join(f"{f}:{source_id(seq.path(f)) if f in seq.frames else ''};" for f in frames).encode())
    h.update("".join(f"key {f}:{sha256_of(keys.path(f))};" for f in keys.frames).encode())
    return h.hexdigest()


def _stamp_path(model: str) -> str:
    return model[:-len(".pt")] + ".teach.json"


def is_taught(model: str, key: str) -> bool:
    """True when `model` exists and was taught from inputs that hash to `key`."""
    try:
        with open(_stamp_path(model), encoding="utf-8") as fh:
            return json.load(fh).get("key") == key and os.path.isfile(model)
    except (OSError, ValueError):
        return False


def teach_argv(spec: ShotSpec, cmn_matte: str, model: str) -> list[str]:
    """`cmn-matte teach` for the spec: its plate, keys, frames, base model, minutes, colourspace, layer, and the
    settings its Matte tasks run the correction net under (CORRECTION_INPUTS, cmn-matte run's flags)."""
    argv = [cmn_matte, "teach", spec.plate, "--keys", spec.keys, "--out", model, "--model", spec.model,
            "--minutes", f"{float(spec.teach_minutes):g}", "--colorspace", spec.colorspace, "--no-progress",
            "--refine", spec.refine, "--temporal", repr(float(spec.temporal)), "--downsample", str(spec.downsample)]
    argv += ["--frames", str(spec.frames)] if spec.frames is not None else []
    argv += ["--layer", spec.layer] if spec.layer else []
    argv += [f"--subject={spec.subject}"] if spec.subject is not None else []    # '=': a pick may start with '-'
    argv += ["--prior", spec.prior] if spec.prior is not None else []
    argv += ["--warmup", str(spec.warmup)] if spec.warmup is not None else []
    argv += ["--cuts=" + ",".join(map(str, spec.cuts))] if spec.cuts else []
    argv += [] if spec.auto_cuts else ["--no-auto-cuts"]
    return argv + (["--threads", str(spec.threads)] if spec.threads else [])


def teach(spec_path: str, cmn_matte: str, workdir: str | None = None, rules: str | None = None,
          plate: str | None = None, output: str | None = None, model: str | None = None,
          keys: str | None = None) -> int:
    """Teach the shot's model (mapped for this worker) unless it is taught from the same inputs; the exit code."""
    from cmn_vfx.errors import BadInputError
    from cmn_vfx.job.atomic import write_text
    spec = ShotSpec.from_yaml(localise(spec_path, rules, workdir, plate, output, model, keys))
    if spec.keys is None:
        raise BadInputError(f"cmn-farm teach: {spec_path} has no keys; add `keys:` (the keyframes' alpha EXRs)")
    out = taught_model(spec.output, shot_name(spec))
    key = teach_key(spec)
    if is_taught(out, key):
        print(f"cmn-farm teach: {out} is taught from these keys already; nothing to do", flush=True)
        return 0
    with contextlib.suppress(FileNotFoundError):
        os.remove(_stamp_path(out))     # a model half-replaced below must not pass for the old inputs' one
    print(f"cmn-farm teach: teaching {out} from {spec.keys}", flush=True)
    code = subprocess.call(teach_argv(spec, cmn_matte, out))
    if code == 0:
        write_text(_stamp_path(out), json.dumps({"key": key, "keys": spec.keys, "base": spec.model}) + "\n")
    return code
