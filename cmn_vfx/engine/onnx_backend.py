"""The exported CMN step on the CPU, without torch (`--runtime openvino|onnx`): OnnxNetwork and OnnxBackend.

The .onnx file is written by cmn_vfx.model.onnx_export (`cmn-matte export-onnx`) from a checkpoint; the graph
holds the network, and OnnxNetwork does what the graph cannot, exactly as the torch model does it: the edge
padding to a multiple of 16, DIS flow on 8-bit grey frames, the flow's antialiased resize to the feature grid
and g_backwarp's sampling grid (float32; cmn_vfx.engine.flow_grid). Its executors, OpenVINO and ONNX Runtime,
are cmn_vfx.engine.onnx_sessions. OnnxBackend is the engine's Backend (cmn_vfx.engine.backend) around it.
A model with a shot's correction net has it in a sidecar, MODEL.correction.onnx (OnnxCorrection), opened with
the step, in the same executor, threads and precision.

    net = OnnxNetwork(path, threads=2)
    pha, fgr, state = net.step(src, prev_src, state, prior)     # [h,w], [h,w,3] or None, opaque state
    pha = net.correction(pha, src) if net.correction else pha   # after refinement (MatteEngine.finish)
"""
from __future__ import annotations

import os

import numpy as np

from cmn_vfx.engine.flow_grid import pad16, resize_flow, sampling_grid
from cmn_vfx.engine.numpy_filters import refine_alpha, upsample_alpha
from cmn_vfx.engine.onnx_sessions import EXECUTORS
from cmn_vfx.engine.stabilise import FLOW_PRESET
from cmn_vfx.errors import BadInputError
from cmn_vfx.job.names import STRIDE
from cmn_vfx.model.dis_numpy import backward_flow
from cmn_vfx.model.onnx_format import check_correction, correction_path, info_from


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
        self.info = info_from(self.session.metadata, path)
        self.config = dict(self.info["model_config"])
        self.variant = self.config["variant"]
        self.inputs = self.session.inputs
        self.outputs = self.session.outputs
        self.preset = self.config.get("dis_preset", "medium")
        self.path = path
        self.flow: np.ndarray | None = None      # the last step's backward flow [h,w,2] (None: none was computed)
        self.correction = OnnxCorrection(path, self.info, threads, executor, precision) \
            if self.config.get("correction") else None

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
        if self.correction is not None:
            self.correction.prepare(h, w)

    def settle(self) -> None:
        """Wait for work started in the background (OpenVINO's compile) to end; its failure is dropped (the
        next prepare or step compiles again). Call it on every way out of a run: a process that exits while
        OpenVINO compiles in a thread aborts (SIGABRT, 'terminate called without an active exception')."""
        self.session.settle()
        if self.correction is not None:
            self.correction.session.settle()

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


class OnnxCorrection:
    """A shot's correction net exported beside its step (cmn_vfx.model.onnx_export.export_correction), run as
    cmn_vfx.model.correction.corrected runs it: the frame edge-padded to the net's multiple, then cropped back.
    Refused (BadInputError) when the sidecar is missing or was exported with another checkpoint than the step
    (cmn_vfx.model.onnx_format.check_correction)."""

    def __init__(self, step_path: str, step_info: dict, threads: int | None, executor: str, precision: str) -> None:
        self.path = correction_path(step_path)
        self.info = check_correction(step_path, step_info.get("sha256"))
        self.session = EXECUTORS[executor](self.path, threads, precision)
        self.multiple = int(self.info["multiple"])

    def _padded(self, h: int, w: int) -> tuple[int, int]:
        return h + -h % self.multiple, w + -w % self.multiple

    def prepare(self, h: int, w: int) -> None:
        """Ready the session for h x w frames (OpenVINO compiles for the padded size in the background)."""
        hp, wp = self._padded(h, w)
        self.session.prepare({"src": (1, 3, hp, wp), "pha": (1, 1, hp, wp)})

    def __call__(self, pha: np.ndarray, src: np.ndarray) -> np.ndarray:
        """pha [h,w] 0..1 and src [h,w,3] 0..1 sRGB at the working size -> the corrected alpha [h,w] float32."""
        h, w = pha.shape
        hp, wp = self._padded(h, w)
        edge = lambda a: np.pad(np.asarray(a, np.float32), ((0, hp - h), (0, wp - w), (0, 0)), mode="edge")  # noqa: E731
        feeds = {"src": np.ascontiguousarray(edge(src).transpose(2, 0, 1)[None]),
                 "pha": np.ascontiguousarray(edge(pha[..., None]).transpose(2, 0, 1)[None])}
        return np.ascontiguousarray(self.session.run(feeds)[0][0, 0, :h, :w], np.float32)


class OnnxBackend:
    """An exported CMN step on the CPU, in OpenVINO or ONNX Runtime; frames stay numpy ([h,w] or [h,w,C] float32)."""

    def __init__(self, settings, net: OnnxNetwork) -> None:
        """`net`: the network choose_runtime opened (it checked the device and precision); `settings`:
        a cmn_vfx.engine.backend.BackendSettings (its refine is read)."""
        self.net, info = net, net.info
        self.name, self.precision = net.runtime, net.precision
        self.meta = {"name": info.get("name") or os.path.splitext(os.path.basename(net.path))[0],
                     "path": os.path.abspath(net.path), "sha256": info.get("sha256", ""),
                     "model_config": info["model_config"], "metrics": info.get("metrics", {}), "runtime": net.runtime,
                     "taught_with": info.get("taught_with")}
        self.refine_mode = settings.refine

    @staticmethod
    def frame(array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array, np.float32)

    def prepare(self, size: tuple[int, int]) -> None:
        """Ready the network for the working size (w, h) while the first frame is read (OpenVINO compiles)."""
        self.net.prepare(size[1], size[0])

    def settle(self) -> None:
        """Wait for what prepare started (OpenVINO's compile thread); on every way out of a run."""
        self.net.settle()

    def step(self, src: np.ndarray, prev_src: np.ndarray | None, state, prior: np.ndarray | None):
        return self.net.step(src, prev_src, state, prior)

    @property
    def flow(self) -> np.ndarray | None:
        """The last step's backward flow [h,w,2], when it is the one the stabiliser would compute (the same
        DIS preset on the same padded frames; cmn_vfx.engine.stabilise.stabiliser_flow), else None."""
        return self.net.flow if self.net.preset == FLOW_PRESET else None

    def refine(self, pha: np.ndarray, src: np.ndarray) -> np.ndarray:
        return refine_alpha(pha, src, self.refine_mode)

    def correct(self, pha: np.ndarray, src: np.ndarray) -> np.ndarray:
        """The sidecar's correction net (OnnxCorrection), or pha itself without one."""
        return pha if self.net.correction is None else self.net.correction(pha, src)

    @staticmethod
    def upsample(pha: np.ndarray, src: np.ndarray, guide_hr: np.ndarray) -> np.ndarray:
        return upsample_alpha(pha, src, guide_hr)

    @staticmethod
    def colour(fgr: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(fgr, np.float32)

    @staticmethod
    def plane(pha: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(pha, np.float32)


def compare_runtimes(model_name: str, onnx_path: str, size: tuple[int, int] = (150, 270), frames: int = 3,
                     executor: str = "onnx") -> float:
    """Largest |alpha difference| between the torch model and its ONNX export run by `executor` (onnx:
    ONNX Runtime, openvino: OpenVINO) over `frames` frames of a smooth random clip panning right (flow,
    state and the prior all in play). Imports torch: it is `cmn-matte export-onnx --check`'s and the tests'."""
    import cv2
    import torch

    from cmn_vfx.model import load_model

    model, _ = load_model(model_name)
    net = OnnxNetwork(onnx_path, threads=1, executor=executor)
    h, w = size
    rng = np.random.default_rng(0)
    plate = cv2.GaussianBlur(rng.random((h + 4 * frames, w + 4 * frames, 3)).astype(np.float32), (0, 0), 3)
    ys, xs = np.mgrid[0:h, 0:w]
    as_tensor = lambda a: torch.from_numpy(a[..., None] if a.ndim == 2 else a).permute(2, 0, 1)[None]  # noqa: E731
    state_t = state_o = prev = None
    worst = 0.0
    for t in range(frames):
        src = np.ascontiguousarray(plate[2 * t:2 * t + h, 3 * t:3 * t + w])
        prior = (np.hypot(ys - h / 2, xs - w / 2 - 3 * t) < min(h, w) / 3).astype(np.float32)
        if model.config.prior == "none":
            prior = None
        with torch.inference_mode():
            pha_t, _, state_t = model(as_tensor(src), None if prev is None else as_tensor(prev), state_t,
                                      None if prior is None else as_tensor(prior))
        pha_o, _, state_o = net.step(src, prev, state_o, prior)
        worst = max(worst, float(np.abs(pha_t[0, 0].numpy() - pha_o).max()))
        prev = src
    return worst
