"""Who runs the network: torch, or ONNX Runtime without torch (`--runtime auto|torch|onnx`).

A fresh `cmn-matte run` spends 3-5 s importing torch on a small CPU (docs/benchmarks.md), more than a
40-frame 512x288 shot's whole budget; ONNX Runtime imports in a fraction of that. The ONNX path runs
the same network (cmn_vfx.model.onnx_export writes it from the checkpoint, batch norm folded) and the
numpy twins of the refinement and the upsampling (cmn_vfx.engine.numpy_filters); its alpha equals
torch's to float32 rounding (tests/engine/test_runtime.py), and it writes the checkpoint's name and
sha256, so frames from either runtime count as finished for the other.

'auto' picks onnx when every one of these holds, else torch:
- the device is the CPU: --device cpu, or auto on a machine with no NVIDIA GPU (no /dev/nvidia0);
- precision fp32 (half precision is a GPU matter);
- an export of the model exists: <model>.onnx beside the checkpoint (or --model X.onnx), made from
  that very checkpoint (its recorded sha256 matches);
- onnxruntime is installed.
Nothing here imports torch.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np

from cmn_vfx.engine.stabilise import FLOW_PRESET
from cmn_vfx.model.onnx_network import OnnxNetwork
from cmn_vfx.errors import BadInputError, warn
from cmn_vfx.installed import resolve_checkpoint
from cmn_vfx.job.names import RUNTIMES



def has_nvidia_gpu() -> bool:
    """An NVIDIA device node, without importing torch or CUDA."""
    return os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl")


def onnx_for(model: str, threads: int | None = None) -> tuple[OnnxNetwork | None, str]:
    """(the ONNX network to run for `model`, opened once; or None and why not)."""
    if model.endswith(".onnx"):
        return (OnnxNetwork(model, threads), "") if os.path.isfile(model) else (None, f"{model} does not exist")
    try:
        ckpt = resolve_checkpoint(model)
    except BadInputError as exc:
        return None, str(exc)
    path = os.path.splitext(ckpt)[0] + ".onnx"
    if not os.path.isfile(path):
        return None, f"no ONNX export beside {ckpt} (cmn-matte export-onnx --model {model})"
    from cmn_vfx.io.digest import sha256_of
    net = OnnxNetwork(path, threads)
    recorded, actual = net.info.get("sha256"), sha256_of(ckpt)
    if recorded != actual:
        return None, (f"{path} was exported from another checkpoint than {ckpt} (sha256 {str(recorded)[:12]} vs "
                      f"{actual[:12]}); export it again with cmn-matte export-onnx --model {model}")
    return net, ""


def choose_runtime(config) -> tuple[str, OnnxNetwork | None]:
    """('torch' | 'onnx', the opened ONNX network for onnx) for an EngineConfig; BadInputError when onnx is
    asked and impossible."""
    if config.runtime not in RUNTIMES:
        raise BadInputError(f"runtime {config.runtime!r} is unknown; use one of {', '.join(RUNTIMES)}")
    if config.runtime == "torch":
        if config.model.endswith(".onnx"):
            raise BadInputError(f"model {config.model}: an ONNX file runs only with the onnx runtime; give its "
                                "checkpoint (.pt) for --runtime torch")
        return "torch", None
    reasons = []
    if config.device not in ("cpu", "auto") or (config.device == "auto" and has_nvidia_gpu()):
        reasons.append(f"device {config.device!r}{' (a GPU is here)' if config.device == 'auto' else ''} needs torch")
    if config.precision != "fp32":
        reasons.append(f"precision {config.precision} needs torch on a GPU")
    if config.fg_colour == "network":
        reasons.append("fg colour 'network' needs the network's fg decoder, which the ONNX export leaves out")
    if importlib.util.find_spec("onnxruntime") is None:
        reasons.append("onnxruntime is not installed (pip install onnxruntime)")
    net = None
    if not reasons:
        if config.threads is not None and config.threads < 1:
            raise BadInputError(f"threads {config.threads}: give at least 1")
        net, why = onnx_for(config.model, config.threads)
        if net is None:
            reasons.append(why)
    if not reasons:
        return "onnx", net
    if config.runtime == "onnx":
        raise BadInputError("--runtime onnx: " + "; ".join(reasons) + "; or use --runtime torch")
    if config.model.endswith(".onnx"):
        raise BadInputError(f"model {config.model}: an ONNX file runs only with the onnx runtime, and here: "
                            + "; ".join(reasons))
    stale = [r for r in reasons if "another checkpoint" in r]
    if stale:   # an export the user made and then outgrew: say why the slower runtime runs
        warn(stale[0] + "; running torch meanwhile")
    return "torch", None


def open_backend(config, model=None, meta: dict | None = None):
    """The backend that runs `config`'s network: TorchBackend, or OnnxBackend (a given torch `model` means torch)."""
    kind, net = ("torch", None) if model is not None else choose_runtime(config)
    if kind == "onnx":
        return OnnxBackend(config, net)
    from cmn_vfx.engine.torch_backend import TorchBackend
    return TorchBackend(config, model, meta)


class OnnxBackend:
    """An exported CMN step in ONNX Runtime on the CPU; frames stay numpy ([h,w] or [h,w,C] float32)."""

    name = "onnx"
    precision = "fp32"

    def __init__(self, config, net: OnnxNetwork) -> None:
        """`net`: the network choose_runtime opened (it checked the device, precision and threads)."""
        self.net, info = net, net.info
        self.meta = {"name": info.get("name") or os.path.splitext(os.path.basename(net.path))[0],
                     "path": os.path.abspath(net.path), "sha256": info.get("sha256", ""),
                     "model_config": info["model_config"], "metrics": info.get("metrics", {}), "runtime": "onnx"}
        self.refine_mode = config.refine

    @staticmethod
    def frame(array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array, np.float32)

    def step(self, src: np.ndarray, prev_src: np.ndarray | None, state, prior: np.ndarray | None):
        return self.net.step(src, prev_src, state, prior)

    @property
    def flow(self) -> np.ndarray | None:
        """The last step's backward flow [h,w,2], when it is the one the stabiliser would compute (the same
        DIS preset on the same padded frames; cmn_vfx.engine.stabilise.stabiliser_flow), else None."""
        return self.net.flow if self.net.preset == FLOW_PRESET else None

    def refine(self, pha: np.ndarray, src: np.ndarray) -> np.ndarray:
        if self.refine_mode == "none":
            return pha
        from cmn_vfx.engine.numpy_filters import refine_edges
        return refine_edges(pha, src)

    @staticmethod
    def upsample(pha: np.ndarray, src: np.ndarray, guide_hr: np.ndarray) -> np.ndarray:
        if pha.shape == guide_hr.shape:
            return np.ascontiguousarray(pha, np.float32)
        from cmn_vfx.engine.numpy_filters import guided_upsample, luminance
        return guided_upsample(pha, luminance(src), guide_hr)

    @staticmethod
    def colour(fgr: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(fgr, np.float32)

    @staticmethod
    def plane(pha: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(pha, np.float32)
