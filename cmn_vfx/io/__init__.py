"""Plate I/O: sequences (sequence.py), images (image.py), atomic writes (atomic.py).

Import the submodules directly. This package file imports nothing, so
`cmn_vfx.io.sequence` stays free of numpy and torch for Nuke and the farm.
"""
