"""The engine: streams a shot through the CMN and writes alpha + premultiplied fg EXRs.

    from cmn_vfx.engine import EngineConfig, MatteEngine, ShotJob
    engine = MatteEngine(EngineConfig(model="default", device="auto"))
    report = engine.run(ShotJob(seq, frames, out_dir, name))

    config.py        EngineConfig, ShotJob, RunReport (plain data; built from a ShotSpec)
    matte.py         MatteEngine: the network loop, state, warm-up, cuts, refinement, upsampling
    plan.py          Steps: which frames run, which are written, which are already finished
    reader.py        plate frame -> FrameIn (read-ahead thread)
    writer.py        FrameOut -> OUT/alpha, OUT/fg EXRs (write-behind thread)
    records.py       FrameIn, FrameOut: what the threads hand each other
    streaming.py     the read-ahead and write-behind threads
    outputs.py       output pixels: quantised alpha, premultiplied fg, half clamping
    cuts.py          automatic cut detection
    refine.py        edge refinement at the working size
    guided_filter.py guided upsampling to the plate's size
    subject.py       picked people resolved over the whole shot
"""
from cmn_vfx.engine.config import EngineConfig, RunReport, ShotJob
from cmn_vfx.engine.matte import MatteEngine

__all__ = ["EngineConfig", "MatteEngine", "RunReport", "ShotJob"]
