"""Export a CMN checkpoint's per-frame step to ONNX, for the torch-free runtime (cmn_vfx.engine.onnx_backend).

    cmn-matte export-onnx --model default            # -> cmn_vfx/models/default.onnx

The graph is one network step with the recurrent state as inputs and outputs. What the graph
cannot hold runs outside it, in numpy and OpenCV (cmn_vfx.engine.onnx_backend): the edge padding to a
multiple of 16, the DIS flow, its resize to the feature grid and the sampling grid of g_backwarp
(built from the flow in float32, exactly as cmn_vfx.model.backwarp builds it). Inputs, all float32:
    x         [1,3+P,H,W]   0..1 sRGB (+ the person prior), H, W multiples of 16
    h         [1,C,h,w]     the GRU state (zeros at a fresh start)              (convgru, full)
    fea_prev  [1,C,h,w]     the previous frame's Fea_t (anything at a fresh start)   (full)
    flow      [1,2,h,w]     backward flow t->t-1 in feature-grid pixels (zeros at a fresh start)  (full)
    grid      [1,h,w,2]     g_backwarp's normalised sampling grid for that flow      (full)
    first     [1]           1 at a fresh start (Fea_{t-1} := Fea_t), else 0          (full)
    pha_prev  [1,1,H,W]     the previous frame's pha output (anything at a fresh start)  (prev_alpha)
    grid_full [1,H,W,2]     the sampling grid of the full-size flow, which warps pha_prev  (prev_alpha)
Outputs: pha [1,1,H,W] 0..1, then h_out (convgru, full) and fea (full); fgr [1,3,H,W] after pha only with
with_fgr (format version 1 always had it). The engine estimates the fg colour from the frame and alpha
(cmn_vfx.engine.foreground), so the default export leaves the fg decoder out: a third less work a step.

A model with a shot's correction net (ModelConfig.correction, `cmn-matte teach`) gets a second file, written with
the step and atomically with it: MODEL.correction.onnx beside MODEL.onnx (onnx_format.correction_path), the
correction alone, which the engine runs after refinement (cmn_vfx.engine.matte.MatteEngine.finish):
    inputs src [1,3,H,W] 0..1 sRGB, pha [1,1,H,W] 0..1 (H, W multiples of its metadata's `multiple`);
    output corrected [1,1,H,W] 0..1 (an ONNX output cannot share its input's name).
The step itself is the same with and without a correction.

The ONNX file's metadata carries the source checkpoint's name, sha256, model config and metrics, so
the engine writes the same model identity into its EXRs whichever runtime ran the step (the two
agree to float32 rounding: tests/model/test_onnx_export.py; cmn_vfx.engine.onnx_backend.compare_runtimes), and
a taught model's taught_with (the run settings its correction net learnt under, cmn_vfx.engine.taught), so every
runtime warns alike of a run under others.
"""
from __future__ import annotations

import contextlib
import json
import os
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from cmn_vfx.model.onnx_format import CORRECTION_FORMAT, FORMAT, META_KEY, correction_path
from cmn_vfx.model.onnx_format import default_onnx_path  # noqa: F401 - re-exported
from cmn_vfx.errors import BadInputError
from cmn_vfx.io.atomic import atomic_path
from cmn_vfx.io.onnx_weights import weights_digest
from cmn_vfx.model.cmn import CMN, STRIDE
from cmn_vfx.model.correction import corrected
from cmn_vfx.model.fold import fold_batchnorms

OPSET = 17            # GridSample needs 16
VERSION = 2           # 2: the fg decoder is left out unless asked for


class StepGraph(nn.Module):
    """CMN.forward for one frame, with the state and the flow's sampling grid as explicit tensors."""

    def __init__(self, model: CMN, with_fgr: bool = False) -> None:
        super().__init__()
        self.model, self.with_fgr = model, with_fgr
        self.variant = model.config.variant
        self.prev_alpha = model.config.prev_alpha

    def forward(self, x, h=None, fea_prev=None, flow=None, grid=None, first=None, pha_prev=None, grid_full=None):
        m = self.model
        if self.prev_alpha:     # CMN._previous_alpha: the prior at a fresh start, else pha_prev warped
            start = x[:, 3:4] if x.shape[1] > 3 else torch.zeros_like(x[:, :1])
            x = torch.cat([x, first * start + (1 - first) * _warp(pha_prev, grid_full)], 1)
        fea, skips = m.encoder(x)
        states: tuple = ()
        if self.variant == "full":
            fea_prev = first * fea + (1 - first) * fea_prev
            hidden = _operator(m.operator, h, fea, fea_prev, flow, grid)
            states = (hidden, fea)
        elif self.variant == "convgru":
            hidden = m.operator(h, fea)
            states = (hidden,)
        else:
            hidden = fea
        pha = m.decode_alpha(hidden, skips, x)
        if self.with_fgr:
            return (pha, m.decoder_fgr(hidden, skips)) + states
        return (pha,) + states


class CorrectionGraph(nn.Module):
    """The shot's correction net on a frame whose sides are multiples of net.multiple (the runtime pads)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, src, pha):
        return corrected(self.net, src, pha)


def _warp(x, grid):
    """g_backwarp with its grid given (cmn_vfx.model.backwarp, same maths): zero where the footprint leaves the frame."""
    out = F.grid_sample(torch.cat([x, torch.ones_like(x[:, :1])], 1), grid, mode="bilinear",
                        padding_mode="zeros", align_corners=True)
    return out[:, :-1] * (out[:, -1:] > 0.999).float()


def _operator(op, h, fea, fea_prev, flow, grid):
    """ContextMotionOperator.forward with g_backwarp's grid given."""
    warped = _warp(fea_prev, grid)
    motion = op.motion(fea, warped, flow)
    return op.gru(h, torch.cat([fea, motion, flow], 1))


def input_names(variant: str, prev_alpha: bool = False) -> list[str]:
    names = {"full": ["x", "h", "fea_prev", "flow", "grid", "first"], "convgru": ["x", "h"]}.get(variant, ["x"])
    return names + (["pha_prev", "grid_full"] if prev_alpha else [])


def output_names(variant: str, with_fgr: bool = False) -> list[str]:
    return ["pha"] + (["fgr"] if with_fgr else []) + {"full": ["h_out", "fea"], "convgru": ["h_out"]}.get(variant, [])


def export_onnx(model: CMN, meta: dict, path: str, size: tuple[int, int] = (288, 512), with_fgr: bool = False) -> dict:
    """Write `model`'s step to `path` (batch norm folded; H, W dynamic), and its correction to
    correction_path(path) when it has one (a stale one of another export there is removed). Returns the step's
    metadata. Both files appear together or neither: the sidecar is renamed into place just before the step.

    meta: load_model's info (name, sha256, model_config, metrics, taught_with). size (h, w): the trace size.
    with_fgr: keep the fg decoder (an fgr output); the engine does not use it.
    """
    config = model.config
    if config.variant == "full" and config.flow != "dis":
        raise BadInputError(f"model {meta.get('name')!r}: flow {config.flow!r} runs inside the network; only DIS "
                            "flow models export to ONNX (run this one with --runtime torch)")
    model = model.cpu().eval()
    fold_batchnorms(model)
    h, w = (-(-s // STRIDE) * STRIDE for s in size)
    c = config.context
    feats = (1, c, h // STRIDE, w // STRIDE)
    example = {"x": torch.rand(1, config.in_channels - config.prev_alpha, h, w), "h": torch.zeros(feats),
               "fea_prev": torch.rand(feats), "flow": torch.zeros(1, 2, *feats[2:]), "grid": torch.zeros(1, *feats[2:], 2),
               "first": torch.ones(1), "pha_prev": torch.rand(1, 1, h, w), "grid_full": torch.zeros(1, h, w, 2)}
    names = input_names(config.variant, config.prev_alpha)
    axes = {k: {2: "H", 3: "W"} for k in ("x", "pha", "fgr")}       # the frame's size, padded
    axes.update({k: {2: "h16", 3: "w16"} for k in ("h", "fea_prev", "flow", "h_out", "fea")})
    axes.update(grid={1: "h16", 2: "w16"}, pha_prev={2: "H", 3: "W"}, grid_full={1: "H", 2: "W"})
    outputs = output_names(config.variant, with_fgr)
    info = {"format": FORMAT, "version": VERSION, "name": meta.get("name"), "sha256": meta.get("sha256"),
            "model_config": config.to_dict(), "metrics": meta.get("metrics", {}),
            "taught_with": meta.get("taught_with")}
    _freeze_same_padding(model, (h, w), config.in_channels)
    graph = StepGraph(model, with_fgr).eval()
    sidecar = correction_path(path)
    # the step's rename is the inner block's end, after the sidecar's: an interrupt leaves neither new file
    # (or a sidecar alone, which no step of another checkpoint runs: its sha256 differs)
    with atomic_path(path) as tmp, _quiet_export():
        # the trace fixes python-side branches (channel count, variant): right for this model at any size
        torch.onnx.export(graph, tuple(example[k] for k in names), tmp, dynamo=False, opset_version=OPSET,
                          input_names=names, output_names=outputs,
                          dynamic_axes={k: v for k, v in axes.items() if k in names + outputs})
        _finish(tmp, info, meta)
        if model.correction is not None:
            with atomic_path(sidecar) as tmp_c:
                export_correction(model.correction, info, tmp_c, (h, w))
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(sidecar)
    return info


def export_correction(net: nn.Module, step_info: dict, path: str, size: tuple[int, int]) -> dict:
    """Write the correction net `net` alone to `path` (H, W dynamic, multiples of net.multiple; traced at size
    (h, w), multiples of it), its metadata the step's identity (step_info: name, sha256, model_config). Returns it."""
    info = {"format": CORRECTION_FORMAT, "version": 1, "multiple": net.multiple,
            **{k: step_info.get(k) for k in ("name", "sha256", "model_config")}}
    graph = CorrectionGraph(net.cpu().eval()).eval()
    example = (torch.rand(1, 3, *size), torch.rand(1, 1, *size))
    axes = {k: {2: "H", 3: "W"} for k in ("src", "pha", "corrected")}
    with _quiet_export():
        torch.onnx.export(graph, example, path, dynamo=False, opset_version=OPSET, input_names=["src", "pha"],
                          output_names=["corrected"], dynamic_axes=axes)
    _finish(path, info, {"name": step_info.get("name")})
    return info


@contextlib.contextmanager
def _quiet_export():
    """No gradients, and the exporter's warnings that are expected here kept quiet."""
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Constant folding")      # strided slices stay in the graph
        warnings.simplefilter("ignore", DeprecationWarning)   # the TorchScript exporter, on purpose (docs/engine.md)
        yield


def _finish(path: str, info: dict, meta: dict) -> None:
    """Record the exported file's weights digest in `info` (checked before every run, engine.runtime), refuse
    non-finite weights, and write `info` as its metadata."""
    info["weights_sha256"], nonfinite = weights_digest(path)
    if nonfinite:
        raise BadInputError(f"model {meta.get('name')!r}: {nonfinite} weights are NaN or Inf after folding batch "
                            "norm; export an earlier checkpoint")
    _set_metadata(path, {META_KEY: json.dumps(info, sort_keys=True)})


def _freeze_same_padding(model: CMN, size: tuple[int, int], channels: int) -> None:
    """Give every TensorFlow-'same' conv (EfficientNet-Lite) constant pads, the same for any input whose
    sides are multiples of 16 (each stride-2 conv then sees even sides); checked at two sizes."""
    from cmn_vfx.model.efficientnet_lite import SameConv

    convs = [m for m in model.modules() if isinstance(m, SameConv)]
    if not convs:
        return
    seen: dict[int, set] = {id(c): set() for c in convs}
    hooks = [c.register_forward_pre_hook(lambda mod, args: seen[id(mod)].add(tuple(mod.same_pads(args[0].shape[-2:]))))
             for c in convs]
    try:
        with torch.inference_mode():
            for hw in (size, (size[0] + 2 * STRIDE, size[1] + 3 * STRIDE)):
                model.encoder(torch.zeros(1, channels, *hw))
    finally:
        for hook in hooks:
            hook.remove()
    for conv in convs:
        if len(seen[id(conv)]) != 1:
            raise BadInputError(f"model: a 'same' convolution pads differently by input size ({sorted(seen[id(conv)])}); "
                                "it cannot export to ONNX with dynamic sizes")
        conv.fixed_pads = list(next(iter(seen[id(conv)])))


def _set_metadata(path: str, props: dict[str, str]) -> None:
    import onnx

    proto = onnx.load(path)
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, path)

