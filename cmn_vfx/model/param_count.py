"""Print parameter counts per variant: `python -m cmn_vfx.model.param_count [--markdown]`."""
from __future__ import annotations

import argparse

from torch import nn

from cmn_vfx.model.cmn import build_model
from cmn_vfx.model.config import ENCODERS, ModelConfig


def count(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def rows() -> list[tuple[str, str, str, int, int, int, int, int]]:
    """(variant, encoder, flow, encoder, flow, operator, decoders, total) for every combination."""
    out = []
    for variant, flows in (("baseline", ("-",)), ("convgru", ("-",)), ("full", ("pwcnet", "dis"))):
        for encoder in ENCODERS:
            for flow in flows:
                m = build_model(ModelConfig(variant=variant, encoder=encoder, flow="dis" if flow == "-" else flow))
                out.append((variant, encoder, flow, count(m.encoder), count(m.flow), count(m.operator),
                            count(m.decoder_pha) + count(m.decoder_fgr), count(m)))
    return out


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    print("| variant | encoder | flow | encoder+skips | flow net | operator | decoders | total |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for variant, encoder, flow, *numbers in rows():
        print(f"| {variant} | {encoder} | {flow} | " + " | ".join(f"{n / 1e6:.3f} M" for n in numbers) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
