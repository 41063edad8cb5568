"""The names and defaults a shot's settings take: each defined once, here.

Standard library only (Nuke gets the job package copied whole: nuke_plugin/cmn_nuke/vendor/job/).
"""
from __future__ import annotations

DEFAULT_MODEL = "default"            # the bundled model (cmn_vfx/models/default.pt)
PRECISIONS = ("fp32", "fp16", "bf16")
# Who runs the network: torch (any device); the exported step on the CPU without importing torch, in
# openvino (OpenVINO) or onnx (ONNX Runtime); or auto (cmn_vfx.engine.runtime.choose_runtime). In fp32 all
# three agree to float32 rounding.
RUNTIMES = ("auto", "torch", "openvino", "onnx")
ONNX_RUNTIMES = ("openvino", "onnx")       # who runs the .onnx step, in the order 'auto' tries them
REFINES = ("guided", "none")         # edge refinement at the working size (cmn_vfx.engine.numpy_filters)
# Temporal stabilisation (cmn_vfx.engine.stabilise): the weight of the last alpha, motion-compensated, where
# the picture matches it; 0 = off. 0.7 was chosen on the validation suite (docs/validation.md).
DEFAULT_TEMPORAL = 0.7
# What a hole in the plate becomes (the spec's `missing`; cmn_vfx.io.sequence.resolve_frames).
MISSING = ("error", "hold", "black")
BACKENDS = ("local", "deadline-cloud", "deadline10", "opencue")
# Person priors: cmn_vfx.prior.NAMES is this tuple (that package imports numpy; the spec validates
# names without it). 'auto' stands for cmn_vfx.prior.AUTO.
PRIORS = ("auto", "selfie", "landscape", "selfie_stretch", "landscape_stretch", "pose",
          "max", "max_landscape", "gate", "gate_landscape", "consensus", "consensus_landscape",
          "union", "union_landscape", "people", "people_frame")

# Measured by warmup_decay.py (script removed in issue 30; figure kept; nearest now
# `python -m bench.memory_check --warmups`) (tiny random-weight CMN, frame 16 of a moving clip):
# max|alpha diff| to a sequential pass is 7.1e-4 cold, 3.3e-4 after 8 warm-up frames
# (mean 8.9e-5 -> 1.6e-5), i.e. below half-float resolution of alpha near 0.5 (4.9e-4).
# 8 keeps a 10-frame farm chunk's overhead below 2x; rerun the bench with the trained model.
DEFAULT_WARMUP = 8
DEFAULT_CHUNK_SIZE = 10              # frames per farm task
AUTO_LONG_SIDE = 512                 # downsample 'auto': the network's long side
MIN_SIZE = 32                        # the network's smallest working side (cmn_vfx.model.cmn)
STRIDE = 16                          # the network pads its input to a multiple of this (Fea_t at 1/16)
# Half the colour-histogram mass moved between two frames makes a cut (cmn_vfx.engine.cuts):
# far above camera motion, below a hard cut.
CUT_THRESHOLD = 0.5
