"""Who runs the network: torch, or the exported ONNX step without torch (`--runtime auto|torch|openvino|onnx`).

A fresh `cmn-matte run` spends 1.4-5 s importing torch on a small CPU (docs/benchmarks.md), more than a
40-frame 512x288 shot's whole budget; OpenVINO and ONNX Runtime import in a tenth of that. Both run the
same network from the same .onnx file (cmn_vfx.model.onnx_export writes it from the checkpoint, batch
norm folded; cmn_vfx.engine.onnx_backend runs it), and every runtime refines and upsamples with the same
numpy code (cmn_vfx.engine.numpy_filters); all of them are a cmn_vfx.engine.backend.Backend. In fp32
their alpha equals torch's to float32 rounding (tests/engine/test_runtime.py), and they write the checkpoint's
name and sha256, so frames from any runtime count as finished for the others.

- openvino: OpenVINO's CPU plugin (static shapes, oneDNN kernels): the network step 26 ms where ONNX
  Runtime takes 36 (512x288, 2 threads, docs/benchmarks.md). It alone runs bf16/fp16 on the CPU, where
  the CPU has them (AMX / AVX512-BF16: 12 ms a step, alpha within 3e-5 mean of fp32).
- onnx: ONNX Runtime, fp32.

'auto' picks openvino, else onnx, when every one of these holds, else torch:
- the device is the CPU: --device cpu, or auto on a machine with no NVIDIA GPU (no /dev/nvidia0);
- precision fp32, or bf16/fp16 with OpenVINO (fp32, with a warning, on a CPU without them);
- an export of the model exists: <model>.onnx beside the checkpoint (or --model X.onnx), made from
  that very checkpoint (its recorded sha256 matches), readable, its weights finite and the ones exported
  (the digest its export recorded, cmn_vfx.io.onnx_weights); for a model with a shot's correction net, its
  sidecar <model>.correction.onnx too, with the step's sha256 (cmn_vfx.engine.onnx_backend.OnnxCorrection);
- the package is installed.
One rule for an export that is there but fails one of these (stale, unreadable, damaged): 'auto' says
why and runs torch; --runtime openvino|onnx exits 2.
Nothing here imports torch.
"""
from __future__ import annotations

import importlib.util
import os

from cmn_vfx.engine.backend import Backend, BackendSettings
from cmn_vfx.engine.onnx_backend import OnnxBackend, OnnxNetwork
from cmn_vfx.engine.onnx_sessions import openvino_precisions
from cmn_vfx.errors import BadInputError, warn
from cmn_vfx.installed import resolve_checkpoint
from cmn_vfx.io.onnx_weights import UnreadableExport, weights_digest
from cmn_vfx.job.names import ONNX_RUNTIMES


def has_nvidia_gpu() -> bool:
    """An NVIDIA device node, without importing torch or CUDA."""
    return os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl")


PACKAGES = {"openvino": "openvino", "onnx": "onnxruntime"}


def onnx_for(model: str, threads: int | None = None, runtime: str = "onnx",
             precision: str = "fp32") -> tuple[OnnxNetwork | None, str]:
    """(the exported network to run for `model` in `runtime`, opened once; or None and why not)."""
    if model.endswith(".onnx"):
        if not os.path.isfile(model):
            return None, f"{model} does not exist"
        return _checked(OnnxNetwork(model, threads, runtime, precision), model), ""
    try:
        ckpt = resolve_checkpoint(model)
    except BadInputError as exc:
        return None, str(exc)
    path = os.path.splitext(ckpt)[0] + ".onnx"
    if not os.path.isfile(path):
        return None, f"no ONNX export beside {ckpt} (cmn-matte export-onnx --model {model})"
    from cmn_vfx.io.digest import sha256_of
    net = OnnxNetwork(path, threads, runtime, precision)
    recorded, actual = net.info.get("sha256"), sha256_of(ckpt)
    if recorded != actual:
        raise BadInputError(f"{path} was exported from another checkpoint than {ckpt} (sha256 {str(recorded)[:12]} "
                            f"vs {actual[:12]}); export it again with cmn-matte export-onnx --model {model}")
    return _checked(net, model), ""


def _checked(net: OnnxNetwork, model: str) -> OnnxNetwork:
    """`net`, once its weights and its correction sidecar's (where it has one) are finite and the ones exported
    (the digest each export recorded; exports made before it was recorded get the NaN/Inf check only);
    BadInputError otherwise."""
    again = f"export it again with cmn-matte export-onnx --model {os.path.splitext(model)[0]}"
    for part in [net] + ([net.correction] if net.correction is not None else []):
        digest, nonfinite = weights_digest(part.path)
        if nonfinite:
            raise BadInputError(f"{part.path}: {nonfinite} weights are NaN or Inf; {again}")
        recorded = part.info.get("weights_sha256")
        if recorded is not None and recorded != digest:
            raise BadInputError(f"{part.path}: its weights changed after export (digest {digest[:12]}, recorded "
                                f"{str(recorded)[:12]}); {again}")
    return net


def choose_runtime(config: BackendSettings) -> tuple[str, OnnxNetwork | None]:
    """('torch' | 'openvino' | 'onnx', the opened exported network for the last two) for a shot's settings,
    checked before (ShotSpec.problems: runtime, threads); BadInputError when openvino or onnx is asked and
    impossible."""
    if config.runtime == "torch":
        if config.model.endswith(".onnx"):
            raise BadInputError(f"model {config.model}: an ONNX file runs only with --runtime openvino or onnx; give "
                                "its checkpoint (.pt) for --runtime torch")
        return "torch", None
    common = []
    if config.device not in ("cpu", "auto") or (config.device == "auto" and has_nvidia_gpu()):
        common.append(f"device {config.device!r}{' (a GPU is here)' if config.device == 'auto' else ''} needs torch")
    if config.fg_colour == "network":
        common.append("fg colour 'network' needs the network's fg decoder, which the ONNX export leaves out")
    reasons: dict[str, list[str]] = {}
    broken = None           # why the export beside the model cannot run (auto then runs torch, and says why)
    for runtime in (ONNX_RUNTIMES if config.runtime == "auto" else (config.runtime,)):
        why = list(common)
        if runtime == "onnx" and config.precision != "fp32":
            why.append(f"precision {config.precision} needs OpenVINO on the CPU or torch on a GPU")
        if importlib.util.find_spec(PACKAGES[runtime]) is None:
            why.append(f"{PACKAGES[runtime]} is not installed (pip install {PACKAGES[runtime]})")
        precision = config.precision
        if not why and runtime == "openvino" and precision != "fp32" and precision not in openvino_precisions():
            # as torch does with a GPU precision on the CPU: say so and run fp32 (cmn:settings records fp32)
            warn(f"--precision {precision}: this CPU has no {precision} arithmetic for OpenVINO; running fp32")
            precision = "fp32"
        if not why:
            try:
                net, reason = onnx_for(config.model, config.threads, runtime, precision)
            except BadInputError as exc:     # one rule: --runtime auto runs torch instead, and says why
                if config.runtime != "auto":
                    raise
                reasons[runtime], broken = why + [str(exc)], str(exc)
                if runtime == "openvino" and isinstance(exc, UnreadableExport):
                    warn(f"{exc}; trying ONNX Runtime")      # a file OpenVINO cannot read may run in ONNX Runtime
                    continue
                break
            if net is not None:
                return runtime, net
            reasons[runtime] = why + [reason]
            break       # onnx_for's reasons are the file's (missing): no runtime runs it
        reasons[runtime] = why
    flat = [r for why in reasons.values() for r in why]
    said = "; ".join(dict.fromkeys(flat))
    if config.runtime != "auto":
        raise BadInputError(f"--runtime {config.runtime}: {said}; or use --runtime torch")
    if config.model.endswith(".onnx"):
        raise BadInputError(f"model {config.model}: an ONNX file runs only with --runtime openvino or onnx, and here: "
                            + said)
    if broken:   # an export that is stale, damaged or unreadable: say why the slower runtime runs
        warn(broken + "; running torch meanwhile")
    return "torch", None


def open_backend(config: BackendSettings, model=None, meta: dict | None = None) -> Backend:
    """The backend that runs `config`'s network: TorchBackend, or OnnxBackend (a given torch `model` means torch)."""
    kind, net = ("torch", None) if model is not None else choose_runtime(config)
    if kind in ONNX_RUNTIMES:
        return OnnxBackend(config, net)
    from cmn_vfx.engine.torch_backend import TorchBackend
    return TorchBackend(config, model, meta)
