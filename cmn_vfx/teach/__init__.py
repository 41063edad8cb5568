"""Teach the shot: a few keyframes of alpha make the shot's own model (`cmn-matte teach`, docs/teach.md).

keys.py reads and checks the keys; save.py writes the checkpoint with its ONNX export; suggest.py lists the
frames an automatic run is least sure of. --method correct (the default): capture.py takes the base's refined
working-size alpha on the keys from the engine's own pass, correct.py trains the correction net (cmn_vfx.model.correction).
--method heads: shot.py reads the plate at the engine's working size and caches the frozen trunk's features
and the flow once per frame, fit.py fine-tunes the heads.
"""
