"""The two executors of an exported step on the CPU, ONNX Runtime and OpenVINO, and how they are imported.

    session = EXECUTORS["openvino"](path, threads, "fp32")     # or "onnx"
    session.prepare({"x": (1, 4, 288, 512), ...}); outputs = session.run(feeds); session.settle()

Both read the same .onnx file (cmn_vfx.model.onnx_export writes it) and take the same feeds; the numpy step
around them is cmn_vfx.engine.onnx_backend.OnnxNetwork. OpenVINO's compiled graphs are kept in the process
(a farm server's tasks share them). Both libraries are imported with their telemetry kept off. No torch.
"""
from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict

from cmn_vfx.errors import BadInputError
from cmn_vfx.interrupts import wait_through
from cmn_vfx.io.onnx_weights import UnreadableExport
from cmn_vfx.model.onnx_format import META_KEY, info_from


def read_info(path: str) -> dict:
    """The source checkpoint's identity stored in an exported .onnx (name, sha256, model_config, metrics)."""
    return info_from(OrtSession(path, None, "fp32").metadata, path)


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


# Compiled graphs kept in the process (and the model they came from): the farm's resident server (farm/worker/session.py) opens a new engine for each
# task, and a shot's tasks share the file, the size and the settings, so only the first task compiles (0.14 s,
# 0.2-0.3 CPU-s). Keyed by the file's identity (path, mtime, size: a new export compiles again).
COMPILED_KEPT = 4         # a shot has one working size (its step, and its correction where it has one); a few
#                           more would pin their memory in a resident server
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
