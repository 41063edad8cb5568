"""The Context Motion Network: wiring of encoder, flow, operator and decoders (paper fig. 2).

The module holds no recurrent state: the caller passes `state` in and gets it back.
State per variant (opaque to callers, a tuple of tensors at 1/16 of the padded frame):
    baseline: ()                      convgru: (H,)                  full: (H, Fea_t)
    full with prev_alpha: (H, Fea_t, alpha) with alpha [B,1,H',W'] at the padded frame's size
state=None is a fresh start: H = 0, and for `full` the previous features are taken to be
the current ones with zero flow (prev_src is ignored), i.e. "the frame before looked the
same". With a state but prev_src=None the flow is zero (no flow is computed).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cmn_vfx.errors import BadInputError
from cmn_vfx.model.backwarp import backwarp, resize_flow
from cmn_vfx.model.band_decoder import BandDecoder, clamp_straight
from cmn_vfx.model.cmu import ContextMotionOperator, ConvGRUOperator
from cmn_vfx.model.config import ModelConfig
from cmn_vfx.model.correction import CorrectionNet
from cmn_vfx.model.decoder import Decoder
from cmn_vfx.model.encoder import Encoder
from cmn_vfx.job.names import MIN_SIZE, STRIDE  # noqa: F401 - MIN_SIZE re-exported (cmn_vfx.model)
from cmn_vfx.model.flow import build_flow
from cmn_vfx.model.trunk import FrozenTrunkEncoder

State = tuple[torch.Tensor, ...]


def pad16(x: torch.Tensor) -> torch.Tensor:
    """Edge-replicate right/bottom to a multiple of 16: [B,C,H,W] -> [B,C,H',W']."""
    h, w = x.shape[-2:]
    return F.pad(x, (0, (-w) % STRIDE, 0, (-h) % STRIDE), mode="replicate")


def build_operator(config: ModelConfig) -> nn.Module | None:
    """The recurrent operator of the variant (None for the baseline)."""
    if config.variant == "full":
        return ContextMotionOperator(config.context)
    if config.variant == "convgru":
        return ConvGRUOperator(config.context)
    return None


class CMN(nn.Module):
    """Recurrent matting network. See forward() for the per-frame contract."""

    def __init__(self, config: ModelConfig, load_weights: bool = True) -> None:
        super().__init__()
        self.config = config
        pretrained = config.pretrained if load_weights else None
        if config.frozen_trunk:
            self.encoder = FrozenTrunkEncoder(config.width, config.context, pretrained)
        else:
            self.encoder = Encoder(config.encoder, config.in_channels, config.width, config.context, pretrained,
                                   config.context_norm)
        self.flow = build_flow(config, load_weights) if config.variant == "full" else None
        self.operator = build_operator(config)
        self.decoder_pha = BandDecoder(config.context, config.width) if config.band_refine else Decoder(
            config.context, config.width, 1)
        # v5 (band_refine) trains no fg decoder: the engine estimates the colour (cmn_vfx.engine.foreground)
        self.decoder_fgr = None if config.band_refine else Decoder(config.context, config.width, 3)
        if config.prior_residual and not config.band_refine:
            nn.init.zeros_(self.decoder_pha.last[-1].weight)
            nn.init.zeros_(self.decoder_pha.last[-1].bias)
        # the shot's correction (cmn-matte teach --method correct): kept here so that checkpoints hold it, but
        # not applied by forward: the engine runs it after refinement (Backend.correct, docs/teach.md)
        self.correction = CorrectionNet(**config.correction) if config.correction else None
        self._bn_frozen = False
        self.channels_last = False  # inputs made NHWC (cmn_vfx.model.fold.prepare_for_inference)

    def forward(self, src: torch.Tensor, prev_src: torch.Tensor | None = None, state: State | None = None,
                prior: torch.Tensor | None = None, with_fgr: bool = True, flow: torch.Tensor | None = None,
                late: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor | None, State]:
        """One frame.

        src, prev_src: [B,3,H,W] float 0..1 sRGB (prev_src = the frame before; None -> zero flow).
        prior: [B,1,H,W] person probability 0..1, required iff config.prior == 'person'.
        flow, late: training's precomputed inputs (H, W multiples of 16): flow [B,2,H,W] the backward flow
        t->t-1 in pixels (used with prev_src given and a state), late the frozen trunk's [f8, f16] of src.
        Returns pha [B,1,H,W] 0..1, fgr [B,3,H,W] sRGB-encoded (not clamped; None with with_fgr False: the fg
        decoder is skipped, as the engine does, which estimates the colour instead), and the new state. pha is
        never corrected here: the engine applies self.correction after refinement (Backend.correct).
        """
        h, w = self._check(src, prior)
        x = pad16(src if prior is None else torch.cat([src, prior], 1))
        if self.config.prev_alpha:
            flow, warped = self._previous_alpha(x, prev_src, state, flow)
            x = torch.cat([x, warped], 1)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        fea, skips = self.encoder(x) if late is None else self.encoder(x, late)
        hidden, state = self._update(fea, x[:, :3], prev_src, state, flow)
        pha = self.decode_alpha(hidden, skips, x)
        fgr = self.decoder_fgr(hidden, skips)[..., :h, :w] if with_fgr and self.decoder_fgr is not None else None
        if self.config.prev_alpha:
            state = state + (pha,)
        return pha[..., :h, :w], fgr, state

    def _previous_alpha(self, x: torch.Tensor, prev_src: torch.Tensor | None, state: State | None,
                        flow: torch.Tensor | None = None) -> tuple[torch.Tensor | None, torch.Tensor]:
        """(full-size backward flow or None, the previous alpha warped to this frame [B,1,H',W']).

        x: [B,3|4,H',W'] padded input. At a fresh start the previous alpha is the prior (zeros without
        one); with a state but no prev_src it is taken as is (zero flow).
        """
        if state is None:
            return None, x[:, 3:4] if x.shape[1] > 3 else torch.zeros_like(x[:, :1])
        if prev_src is None:
            return None, state[2]
        if flow is None:
            flow = self.flow(x[:, :3], pad16(prev_src))
        return flow, backwarp(state[2], flow)[0]

    def decode_alpha(self, hidden: torch.Tensor, skips: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """The alpha decoder on the operator's output: [B,1,H',W'] 0..1 (x: the padded input, prior at channel 3)."""
        if self.config.band_refine:
            return self.decoder_pha(hidden, skips, x[:, 3:4])
        return self._alpha(self.decoder_pha(hidden, skips), x[:, 3:4])

    def _alpha(self, out: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        """Decoder output -> alpha 0..1: sigmoid, or prior + correction clamped to 0..1.

        The residual's clamp passes gradients straight through (forward clamped, backward
        identity), so a pixel pushed past 1 where the truth is 0.8 still learns to come down.
        """
        if not self.config.prior_residual:
            return torch.sigmoid(out)
        return clamp_straight(prior + out)

    def _update(self, fea: torch.Tensor, src: torch.Tensor, prev_src: torch.Tensor | None,
                state: State | None, flow: torch.Tensor | None = None) -> tuple[torch.Tensor, State]:
        """The recurrent part: Fea_t (+ flow, previous state) -> (features for the decoders, new state).
        `flow`: the full-size flow when forward() already computed it (prev_alpha), else computed here."""
        if self.operator is None:
            return fea, ()
        h = torch.zeros_like(fea) if state is None else state[0]
        if self.flow is None:
            h = self.operator(h, fea)
            return h, (h,)
        fea_prev = fea if state is None else state[1]
        if state is None or prev_src is None:
            flow = torch.zeros_like(fea[:, :2])
        else:
            flow = resize_flow(self.flow(src, pad16(prev_src)) if flow is None else flow, fea.shape[-2:])
        h = self.operator(h, fea, fea_prev, flow)
        return h, (h, fea)

    def forward_clip(self, src: torch.Tensor, prior: torch.Tensor | None = None, state: State | None = None,
                     prev_src: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, State]:
        """Run a clip frame by frame through forward().

        src: [B,T,3,H,W] float 0..1 sRGB; prior: [B,T,1,H,W] 0..1 or None; state / prev_src: carried
        over from a previous clip (prev_src [B,3,H,W] = the frame before src[:, 0]).
        Returns pha [B,T,1,H,W], fgr [B,T,3,H,W] (None without a fg decoder) and the state after the last frame.
        """
        phas, fgrs = [], []
        for t in range(src.shape[1]):
            pha, fgr, state = self(src[:, t], prev_src, state, None if prior is None else prior[:, t])
            phas.append(pha)
            fgrs.append(fgr)
            prev_src = src[:, t]
        return torch.stack(phas, 1), None if fgrs[0] is None else torch.stack(fgrs, 1), state

    def _check(self, src: torch.Tensor, prior: torch.Tensor | None) -> tuple[int, int]:
        if src.dim() != 4 or src.shape[1] != 3:
            raise BadInputError(f"model input: src must be [B,3,H,W] sRGB, got {tuple(src.shape)}")
        h, w = src.shape[-2:]
        if h < MIN_SIZE or w < MIN_SIZE:
            raise BadInputError(f"model input: {w}x{h} is smaller than {MIN_SIZE}x{MIN_SIZE}; use a larger working resolution")
        if (prior is None) != (self.config.prior == "none"):
            raise BadInputError(f"model input: prior={self.config.prior!r} in the model config, "
                                f"but a prior was {'not ' if prior is None else ''}given; pass prior iff prior: person")
        return h, w

    def freeze_batchnorm(self) -> None:
        """Put every BatchNorm in eval mode with frozen affine parameters, also across train()."""
        self._bn_frozen = True
        for m in self.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()
                m.requires_grad_(False)

    def freeze_flow(self, frozen: bool = True) -> None:
        """Stop (or restart) training the flow net (the paper freezes it for the first half)."""
        if self.flow is not None:
            self.flow.requires_grad_(not frozen)

    def train(self, mode: bool = True) -> "CMN":
        super().train(mode)
        if self._bn_frozen:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self


def build_model(config: ModelConfig, load_weights: bool = True) -> CMN:
    """A CMN for `config`; loads config.pretrained / flow_weights files unless load_weights=False."""
    return CMN(config, load_weights)
