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
from functools import lru_cache

import numpy as np

from cmn_vfx.errors import BadInputError
from cmn_vfx.job.names import STRIDE
from cmn_vfx.model.dis_numpy import backward_flow
META_KEY = "cmn:source"     # the ONNX metadata entry cmn_vfx.model.onnx_export writes
FORMAT = "cmn-vfx-onnx-step"


def read_info(path: str) -> dict:
    """The source checkpoint's identity stored in an exported .onnx (name, sha256, model_config, metrics)."""
    import onnxruntime as ort

    try:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own Fail / InvalidProtobuf types
        raise BadInputError(f"{path}: not a readable ONNX model ({type(exc).__name__}); export it again with "
                            "cmn-matte export-onnx") from exc
    return _info(sess, path)


def _info(sess, path: str) -> dict:
    raw = sess.get_modelmeta().custom_metadata_map.get(META_KEY)
    info = json.loads(raw) if raw else {}
    if info.get("format") != FORMAT:
        raise BadInputError(f"{path}: an ONNX file without cmn-vfx's step metadata; export it with cmn-matte export-onnx")
    return info


class OnnxNetwork:
    """One exported CMN step in an ONNX Runtime session on the CPU. State: None (fresh) or a tuple of arrays."""

    def __init__(self, path: str, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0     # 0: ORT's default, one per physical core
        options.inter_op_num_threads = 1
        options.log_severity_level = 3                   # warnings about buffer reuse are not ours to act on
        # no spin-waiting: the reader and writer threads share the cores (2 threads under load: 142 -> 130 ms)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise BadInputError(f"{path}: not a readable ONNX model ({type(exc).__name__}); export it again with "
                                "cmn-matte export-onnx") from exc
        self.info = _info(self.session, path)
        self.config = dict(self.info["model_config"])
        self.variant = self.config["variant"]
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.outputs = [o.name for o in self.session.get_outputs()]
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
        out = dict(zip(self.outputs, self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})))
        new_state = tuple(out[k] for k in ("h_out", "fea") if k in out)
        if "pha_prev" in self.inputs:
            new_state += (out["pha"],)
        fgr = out["fgr"][0].transpose(1, 2, 0)[:h, :w] if "fgr" in out else None
        return out["pha"][0, 0, :h, :w], fgr, new_state

    def _flow(self, src: np.ndarray, prev_src: np.ndarray) -> np.ndarray:
        """Backward flow t->t-1 [2,H,W] in pixels, as cmn_vfx.model.dis_flow.DISFlow."""
        return np.ascontiguousarray(backward_flow(src, prev_src, self.preset).transpose(2, 0, 1))


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
