"""How fast a chunk's output converges to a sequential pass as warm-up grows (sets DEFAULT_WARMUP).

    .venv/bin/python bench/warmup_decay.py [--model PATH] [--start 16] [--size 128x72]

Runs frames 0..start sequentially, then for W = 0..16 a fresh state from frame start-W,
and prints max|alpha_chunk(start) - alpha_seq(start)|. Without --model it uses a tiny
random-weight CMN with the operator's convolutions x10 and the alpha head x100 (as in
tests/engine) so the recurrent effect is measurable; rerun with the trained default model.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch


def clip(frames: int, width: int, height: int) -> list[torch.Tensor]:
    """A soft disc moving right over a gradient, [1,3,H,W] 0..1 sRGB per frame."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    out = []
    for t in range(frames):
        disc = np.clip(1 - (np.hypot(xs - width * 0.2 - 2 * t, ys - height / 2) - height / 4) / 3, 0, 1)[..., None]
        rgb = disc * np.float32([0.9, 0.6, 0.4]) + (1 - disc) * (0.2 + 0.5 * xs[..., None] / width)
        out.append(torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1)[None])
    return out


def tiny_model():
    from cmn_vfx.model import ModelConfig, build_model
    torch.manual_seed(0)
    model = build_model(ModelConfig(encoder="mobilenetv2", flow="dis", dis_preset="ultrafast", width=4, context=8),
                        load_weights=False).eval()
    with torch.no_grad():
        for p in model.operator.parameters():
            if p.ndim == 4:
                p *= 10.0
        model.decoder_pha.last[1].weight *= 100.0
    return model


def run(model, frames: list[torch.Tensor]) -> torch.Tensor:
    state, prev, pha = None, None, None
    with torch.inference_mode():
        for src in frames:
            pha, _, state = model(src, prev_src=prev, state=state)
            prev = src
    return pha


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--start", type=int, default=16)
    parser.add_argument("--size", default="128x72")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.model:
        from cmn_vfx.model import load_model
        model = load_model(args.model)[0]
    else:
        model = tiny_model()
    w, h = (int(v) for v in args.size.split("x"))
    frames = clip(args.start + 1, w, h)
    sequential = run(model, frames)
    print(f"model: {args.model or 'tiny random CMN (gains as tests/engine)'}; frame {args.start}")
    print(f"{'warmup':>6} {'max|diff|':>10} {'mean|diff|':>10}")
    for warm in range(0, min(16, args.start) + 1):
        diff = (run(model, frames[args.start - warm:]) - sequential).abs()
        print(f"{warm:>6} {diff.max().item():>10.2e} {diff.mean().item():>10.2e}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
