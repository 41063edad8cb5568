"""What a shot's correction net learnt under (`cmn-matte teach --method correct`), and the line a run that differs gets.

    record = taught_with(resume_key)                      # teach: the checkpoint's teach["run"]
    line = mismatch(meta.get("taught_with"), taught_with(resume_key), "sh010")      # a run: None or one line

The net learns the alpha the engine's correction stage takes (MatteEngine._uncorrected: after the subject's region,
the temporal stabiliser and the refinement, at the working size), so the settings that shape that alpha are
recorded as the resume key resolves them (the prior 'auto' stands for, the canonical subject, the warm-up, the
working ratio): load_model's meta and the ONNX export's metadata carry them as taught_with. A run under others
feeds the net an alpha it never learnt from: said once, never refused (a compositor may mean it). Models taught
before the record, and untaught ones, have none and are never warned about. Plain data: no runtime import.
"""
from __future__ import annotations

from typing import Any, Mapping

# The ShotSpec fields that change what the correction stage takes; each is a `cmn-matte run` flag that
# `cmn-matte teach` takes too (cmn_vfx.commands.run.add_alpha_flags), and the farm's Teach step hashes them.
CORRECTION_INPUTS = ("refine", "temporal", "subject", "prior", "cuts", "auto_cuts", "warmup", "downsample")


def taught_with(key: Mapping[str, Any]) -> dict[str, Any]:
    """The CORRECTION_INPUTS of a resume key (cmn_vfx.engine.resume_key: resolved as the run resolves them)."""
    return {name: key[name] for name in CORRECTION_INPUTS}


def mismatch(taught: Mapping[str, Any] | None, run: Mapping[str, Any], name: str) -> str | None:
    """One line naming each recorded setting the run differs in (taught vs run) and what to do; None when it
    agrees or nothing was recorded."""
    differ = [k for k in CORRECTION_INPUTS if taught and k in taught and taught[k] != run[k]]
    if not differ:
        return None
    said = "; ".join(f"{k} taught {taught[k]!r}, run {run[k]!r}" for k in differ)
    return (f"{name}: the model's correction net was taught under other settings than this run's ({said}), so it "
            "corrects an alpha it never learnt from; teach again with this run's flags (cmn-matte teach PLATE --keys "
            "KEYS --out MODEL.pt plus the same --refine, --temporal, --subject, --prior, --cuts, --downsample...), or "
            "run with the taught ones")
