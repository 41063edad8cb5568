"""Teach the shot: a few keyframes of alpha make the shot's own model (`cmn-matte teach`, docs/teach.md).

keys.py reads and checks the keys, shot.py reads the plate at the engine's working size and caches the
frozen trunk's features and the flow once per frame, fit.py fine-tunes the heads, save.py writes the
checkpoint with its ONNX export, suggest.py lists the frames an automatic run is least sure of.
"""
