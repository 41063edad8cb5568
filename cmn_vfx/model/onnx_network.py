"""The CMN step run by ONNX Runtime, in numpy: the torch-free runtime (`cmn-matte run --runtime onnx`).

The .onnx file is written by cmn_vfx.model.onnx_export (`cmn-matte export-onnx`) from a checkpoint;
the graph holds the network, and this module does what the graph cannot, exactly as the torch
model does it: the edge padding to a multiple of 16, DIS flow on 8-bit grey frames, the flow's
antialiased resize to the feature grid and g_backwarp's sampling grid (float32).

    net = OnnxNetwork(path, threads=2)
    pha, fgr, state = net.step(src, prev_src, state, prior)     # [h,w], [h,w,3] or None, opaque state
"""
from __future__ import annotations

import json
import os
import sys
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from cmn_vfx.errors import BadInputError
from cmn_vfx.interrupts import wait_through
from cmn_vfx.io.onnx_weights import UnreadableExport
from cmn_vfx.job.names import STRIDE
from cmn_vfx.model.dis_numpy import backward_flow
META_KEY = "cmn:source"     # the ONNX metadata entry cmn_vfx.model.onnx_export writes
FORMAT = "cmn-vfx-onnx-step"


def read_info(path: str) -> dict:
    """The source checkpoint's identity stored in an exported .onnx (name, sha256, model_config, metrics)."""
    ort = import_onnxruntime()

    try:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own Fail / InvalidProtobuf types
        raise UnreadableExport(f"{path}: not a readable ONNX model ({type(exc).__name__}); export it again with "
                            "cmn-matte export-onnx") from exc
    return _info(sess.get_modelmeta().custom_metadata_map, path)


def _info(metadata: dict, path: str) -> dict:
    raw = metadata.get(META_KEY)
    info = json.loads(raw) if raw else {}
    if info.get("format") != FORMAT:
        raise BadInputError(f"{path}: an ONNX file without cmn-vfx's step metadata; export it with cmn-matte export-onnx")
    return info


class OnnxNetwork:
    """One exported CMN step on the CPU, in ONNX Runtime ('onnx') or OpenVINO ('openvino').
    State: None (fresh) or a tuple of arrays.

    Both executors read the same .onnx file and take the same inputs; in fp32 they agree to float32
    rounding (tests/model/test_onnx_export.py). precision 'bf16' / 'fp16' is OpenVINO's inference
    precision on a CPU that has it (AMX, AVX512-BF16 / -FP16); ONNX Runtime runs fp32 only.
    """

    def __init__(self, path: str, threads: int | None = None, executor: str = "onnx",
                 precision: str = "fp32") -> None:
        if executor not in EXECUTORS:
            raise BadInputError(f"executor {executor!r} is unknown; use one of {', '.join(EXECUTORS)}")
        self.session = EXECUTORS[executor](path, threads, precision)
        self.runtime, self.precision = executor, precision
        self.info = _info(self.session.metadata, path)
        self.config = dict(self.info["model_config"])
        self.variant = self.config["variant"]
        self.inputs = self.session.inputs
        self.outputs = self.session.outputs
        self.preset = self.config.get("dis_preset", "medium")
        self.path = path
        self.flow: np.ndarray | None = None      # the last step's backward flow [h,w,2] (None: none was computed)

    def step(self, src: np.ndarray, prev_src: np.ndarray | None, state, prior: np.ndarray | None):
        """src, prev_src [h,w,3] 0..1 sRGB, prior [h,w] 0..1 or None -> (pha [h,w], fgr [h,w,3], state);
        fgr is None for an export without the fg decoder (the default since format version 2).

        As CMN.forward: state None is a fresh start (Fea_{t-1} := Fea_t, zero flow); a state with
        prev_src None runs with zero flow.
        """
        h, w = src.shape[:2]
        out = dict(zip(self.outputs, self.session.run(self._feeds(src, prev_src, state, prior))))
        new_state = tuple(out[k] for k in ("h_out", "fea") if k in out)
        if "pha_prev" in self.inputs:
            new_state += (out["pha"],)
        fgr = out["fgr"][0].transpose(1, 2, 0)[:h, :w] if "fgr" in out else None
        return out["pha"][0, 0, :h, :w], fgr, new_state

    def prepare(self, h: int, w: int) -> None:
        """Ready the session for h x w frames ahead of the first step, in the background (OpenVINO compiles
        for each size: 0.14 s at 512x288, then hidden behind the first frame's read and prior)."""
        prior = None if self.config.get("prior", "none") == "none" else np.zeros((h, w), np.float32)
        feeds = self._feeds(np.zeros((h, w, 3), np.float32), None, None, prior)
        self.session.prepare({k: v.shape for k, v in feeds.items()})

    def settle(self) -> None:
        """Wait for work started in the background (OpenVINO's compile) to end; its failure is dropped (the
        next prepare or step compiles again). Call it on every way out of a run: a process that exits while
        OpenVINO compiles in a thread aborts (SIGABRT, 'terminate called without an active exception')."""
        self.session.settle()

    def _feeds(self, src: np.ndarray, prev_src: np.ndarray | None, state, prior: np.ndarray | None) -> dict:
        """The session's inputs for one step (and self.flow, the step's flow at src's size, or None)."""
        h, w = src.shape[:2]
        if (prior is None) != (self.config.get("prior", "none") == "none"):
            raise BadInputError(f"model input: prior={self.config.get('prior')!r} in the model config, but a prior was "
                                f"{'not ' if prior is None else ''}given")
        x = src if prior is None else np.dstack([src, prior])
        x = pad16(np.asarray(x, np.float32))
        feeds = {"x": np.ascontiguousarray(x.transpose(2, 0, 1)[None])}
        hp, wp = x.shape[:2]
        fh, fw = hp // STRIDE, wp // STRIDE
        context = int(self.config["context"])
        if "h" in self.inputs:
            feeds["h"] = np.zeros((1, context, fh, fw), np.float32) if state is None else state[0]
        self.flow = None
        if self.variant == "full":
            fresh = state is None
            full = np.zeros((2, hp, wp), np.float32)
            if not fresh and prev_src is not None:
                full = self._flow(x[..., :3], pad16(np.asarray(prev_src, np.float32)))
                self.flow = full[:, :h, :w].transpose(1, 2, 0)
            flow = resize_flow(full, (fh, fw))
            feeds.update(fea_prev=np.zeros((1, context, fh, fw), np.float32) if fresh else state[1],
                         flow=flow[None], grid=sampling_grid(flow)[None],
                         first=np.array([1.0 if fresh else 0.0], np.float32))
            if "pha_prev" in self.inputs:          # model.prev_alpha: the last alpha, warped by the full flow
                feeds.update(pha_prev=np.zeros((1, 1, hp, wp), np.float32) if fresh else state[2],
                             grid_full=sampling_grid(full)[None])
        return {k: v for k, v in feeds.items() if k in self.inputs}

    def _flow(self, src: np.ndarray, prev_src: np.ndarray) -> np.ndarray:
        """Backward flow t->t-1 [2,H,W] in pixels, as cmn_vfx.model.dis_flow.DISFlow."""
        return np.ascontiguousarray(backward_flow(src, prev_src, self.preset).transpose(2, 0, 1))


class OrtSession:
    """ONNX Runtime's CPU session: fp32, dynamic sizes."""

    def __init__(self, path: str, threads: int | None, precision: str) -> None:
        ort = import_onnxruntime()

        if precision != "fp32":
            raise BadInputError(f"precision {precision}: ONNX Runtime runs this model in fp32 only; "
                                "use --runtime openvino for bf16/fp16 on the CPU")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0     # 0: ORT's default, one per physical core
        options.inter_op_num_threads = 1
        options.log_severity_level = 3                   # warnings about buffer reuse are not ours to act on
        # no spin-waiting: the reader and writer threads share the cores (2 threads under load: 142 -> 130 ms)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own Fail / InvalidProtobuf types
            raise UnreadableExport(f"{path}: not a readable ONNX model ({type(exc).__name__}); export it again with "
                                "cmn-matte export-onnx") from exc
        self.metadata = self.session.get_modelmeta().custom_metadata_map
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.outputs = [o.name for o in self.session.get_outputs()]

    def prepare(self, shapes: dict) -> None:
        """Nothing to do: ONNX Runtime runs any size as it comes."""

    def settle(self) -> None:
        """Nothing runs in the background."""

    def run(self, feeds: dict) -> list:
        return self.session.run(None, feeds)


OV_PRECISIONS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}     # ours -> INFERENCE_PRECISION_HINT


# Compiled graphs kept in the process (and the model they came from): the farm's resident server (farm/session.py) opens a new engine for each
# task, and a shot's tasks share the file, the size and the settings, so only the first task compiles (0.14 s,
# 0.2-0.3 CPU-s). Keyed by the file's identity (path, mtime, size: a new export compiles again).
COMPILED_KEPT = 2         # a shot has one working size; a few more would pin their memory in a resident server
_compiled: "OrderedDict[tuple, object]" = OrderedDict()
_compiled_lock = threading.Lock()
_read: dict = {}             # the last .onnx read (its identity -> OpenVINO's model), for the same reason


class OpenVinoSession:
    """OpenVINO's CPU plugin on the same .onnx file: the graph compiled for the frame's size (static
    shapes, 20% faster than dynamic ones here), again only when the size changes; compiled graphs are
    shared within the process (each session has its own infer request).

    fp32 is forced (INFERENCE_PRECISION_HINT f32): OpenVINO's default on a CPU with AMX is bf16, which
    would make a farm's chunks depend on which node ran them. No pinning: the reader and writer threads
    share the cores. Its converter and telemetry are kept out (import_openvino).
    """

    def __init__(self, path: str, threads: int | None, precision: str) -> None:
        ov = import_openvino()
        self.core = ov.Core()
        if precision not in OV_PRECISIONS:
            raise BadInputError(f"precision {precision!r} is unknown; use one of {', '.join(OV_PRECISIONS)}")
        hint = OV_PRECISIONS[precision]
        if precision != "fp32" and precision not in openvino_precisions(self.core):
            raise BadInputError(f"precision {precision}: this CPU ({self.core.get_property('CPU', 'FULL_DEVICE_NAME')}) "
                                f"has no {precision} arithmetic for OpenVINO; use fp32")
        self.path = path
        stat = os.stat(path)
        self.identity = (os.path.realpath(path), stat.st_mtime_ns, stat.st_size)    # a new export is another file
        with _compiled_lock:                      # read once per process: a farm server's tasks share it
            self.model = _read.get(self.identity)
            if self.model is None:
                try:
                    self.model = self.core.read_model(path)
                except Exception as exc:   # OpenVINO raises RuntimeError subclasses of its own
                    raise UnreadableExport(f"{path}: not a readable ONNX model ({type(exc).__name__}); export it "
                                        "again with cmn-matte export-onnx") from exc
                _read.clear()
                _read[self.identity] = self.model
        self.metadata = {}
        if self.model.has_rt_info(["framework", META_KEY]):
            self.metadata[META_KEY] = self.model.get_rt_info(["framework", META_KEY]).astype(str)
        self.inputs = {i.get_any_name() for i in self.model.inputs}
        self.outputs = [o.get_any_name() for o in self.model.outputs]
        self.config = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
                       "ENABLE_CPU_PINNING": False, "INFERENCE_NUM_THREADS": int(threads or 0)}
        self.shapes: dict | None = None
        self.compiled = self.request = None
        self.compiling: threading.Event | None = None     # set when the compile thread is out of OpenVINO
        self.failed: BaseException | None = None

    def prepare(self, shapes: dict) -> None:
        """Compile for these input shapes in a thread (unless compiled for them: a resident farm server runs
        many tasks); the first run waits for it."""
        self._wait()
        if {k: tuple(v) for k, v in shapes.items()} == self.shapes:
            return
        self.compiling = threading.Event()
        threading.Thread(target=self._compile_in_thread, args=(shapes, self.compiling), name="cmn-openvino-compile",
                         daemon=True).start()

    def run(self, feeds: dict) -> list:
        self._wait()
        shapes = {k: tuple(v.shape) for k, v in feeds.items()}
        if shapes != self.shapes:
            self._compile(shapes)
        result = self.request.infer(feeds)     # copies the outputs out: the state is fed back next step
        return [result[name] for name in self.outputs]

    def _compile(self, shapes: dict) -> None:
        shapes = {k: tuple(v) for k, v in shapes.items()}
        key = (self.identity, tuple(sorted(shapes.items())), tuple(sorted(self.config.items())))
        with _compiled_lock:     # the model read is shared: reshaped and compiled by one session at a time
            self.compiled = _compiled.get(key)
            if self.compiled is not None:
                _compiled.move_to_end(key)
            else:
                try:
                    self.model.reshape({k: list(v) for k, v in shapes.items()})
                    self.compiled = self.core.compile_model(self.model, "CPU", self.config)
                except RuntimeError as exc:      # OpenVINO's own errors (an operation its CPU plugin lacks, ...)
                    first = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else type(exc).__name__
                    raise BadInputError(f"{self.path}: OpenVINO could not compile it for {shapes.get('x')} "
                                        f"({first}); run it with --runtime onnx") from exc
                _compiled[key] = self.compiled
                while len(_compiled) > COMPILED_KEPT:
                    _compiled.popitem(last=False)
        self.request = self.compiled.create_infer_request()
        self.shapes = shapes

    def _compile_in_thread(self, shapes: dict, done: threading.Event) -> None:
        try:
            self._compile(shapes)
        except BaseException as exc:          # raised again by the step that waits for it
            self.failed = exc
        finally:
            done.set()

    def settle(self) -> None:
        """Wait until the compile thread is out of OpenVINO (cmn_vfx.interrupts); its failure is dropped."""
        if self.compiling is not None:
            wait_through(self.compiling)
            self.compiling = None
        self.failed = None

    def _wait(self) -> None:
        if self.compiling is not None:
            wait_through(self.compiling)
            self.compiling = None
        if self.failed is not None:
            failed, self.failed = self.failed, None
            raise failed


def import_onnxruntime():
    """`import onnxruntime`, with its telemetry off. Its recent PyPI builds for Linux (1.30 here) send usage
    events to Microsoft (1DS) and keeps a device id under ~/.cache/Microsoft/DeveloperTools; the
    environment variable ORT_DISABLE_TELEMETRY=1, read when the library loads, turns all of it off
    (microsoft/onnxruntime#27379). A value the user set is left alone."""
    if "onnxruntime" not in sys.modules:
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime

    return onnxruntime


CONVERTER = "openvino.tools.ovc"


def import_openvino():
    """`import openvino`, without its model converter and the converter's telemetry. `import openvino`
    imports the converter (openvino.tools.ovc, optional: the package carries on without it), and the
    converter sets up openvino_telemetry at import: opt-out, it writes a client id and usage counts under
    ~/intel and sends events when a model is converted. We only read and compile the .onnx file, so the
    converter is kept out of that first import (a third of its time); a later explicit
    `import openvino.tools.ovc` in the same process still works as usual."""
    if "openvino" in sys.modules:
        import openvino
        return openvino
    had = CONVERTER in sys.modules
    previous = sys.modules.get(CONVERTER)
    sys.modules[CONVERTER] = None          # None: importing it raises ImportError, which openvino expects
    try:
        import openvino
    finally:
        if had:
            sys.modules[CONVERTER] = previous
        else:
            del sys.modules[CONVERTER]
    return openvino


def openvino_precisions(core=None) -> set[str]:
    """The precisions OpenVINO's CPU plugin computes in on this CPU: fp32, and bf16 / fp16 where listed."""
    if core is None:
        core = import_openvino().Core()
    listed = set(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
    return {"fp32"} | {p for p in ("bf16", "fp16") if p.upper() in listed}


EXECUTORS = {"onnx": OrtSession, "openvino": OpenVinoSession}


def pad16(x: np.ndarray) -> np.ndarray:
    """Edge-replicate right/bottom to a multiple of 16: [H,W,C] -> [H',W',C] (cmn_vfx.model.cmn.pad16)."""
    h, w = x.shape[:2]
    if h % STRIDE == 0 and w % STRIDE == 0:
        return x
    return np.pad(x, ((0, (-h) % STRIDE), (0, (-w) % STRIDE), (0, 0)), mode="edge")


def resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """[2,H,W] pixels -> [2,h,w] pixels of the new grid, as cmn_vfx.model.backwarp.resize_flow
    (torch's antialiased bilinear when shrinking, plain bilinear when growing)."""
    (h0, w0), (h, w) = flow.shape[-2:], size
    if (h, w) == (h0, w0):
        return flow
    antialias = h < h0 or w < w0
    ry, rx = _resize_matrix(h0, h, antialias), _resize_matrix(w0, w, antialias)
    out = np.einsum("yi,cij,xj->cyx", ry, flow.astype(np.float32), rx, optimize=True)
    return (out * np.array([w / w0, h / h0], np.float32)[:, None, None]).astype(np.float32)


@lru_cache(maxsize=32)
def _resize_matrix(n_in: int, n_out: int, antialias: bool) -> np.ndarray:
    """[n_out, n_in] weights of torch's bilinear interpolate (align_corners=False) along one axis;
    antialiased: ATen's _compute_indices_weights_aa, a triangle filter widened by the scale when shrinking."""
    scale = n_in / n_out
    support, invscale = (scale, 1.0 / scale) if scale >= 1.0 else (1.0, 1.0)
    m = np.zeros((n_out, n_in), np.float64)
    if not antialias:    # plain bilinear, the source index clamped at 0 and n_in - 1
        for i in range(n_out):
            x = max((i + 0.5) * scale - 0.5, 0.0)
            x0 = min(int(x), n_in - 1)
            x1, f = min(x0 + 1, n_in - 1), x - x0
            m[i, x0] += 1.0 - f
            m[i, x1] += f
        return m.astype(np.float32)
    for i in range(n_out):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        taps = np.maximum(0.0, 1.0 - np.abs((np.arange(lo, hi) - center + 0.5) * invscale))
        m[i, lo:hi] = taps / taps.sum() if taps.sum() > 0 else 0.0
    return m.astype(np.float32)


def sampling_grid(flow: np.ndarray) -> np.ndarray:
    """[2,h,w] backward flow in pixels -> [h,w,2] grid_sample coordinates (align_corners=True), float32,
    as cmn_vfx.model.backwarp.backwarp builds them."""
    _, h, w = flow.shape
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    gx = (xs + flow[0]) * np.float32(2.0 / max(w - 1, 1)) - np.float32(1.0)
    gy = (ys + flow[1]) * np.float32(2.0 / max(h - 1, 1)) - np.float32(1.0)
    return np.stack([gx, gy], -1).astype(np.float32)


def onnx_beside(checkpoint_path: str) -> str | None:
    """The .onnx exported next to a checkpoint (same stem), if there is one."""
    path = os.path.splitext(checkpoint_path)[0] + ".onnx"
    return path if os.path.isfile(path) else None
