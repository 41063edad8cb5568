"""A portrait still moved over footage with exact alpha and foreground (numpy + OpenCV, no torch).

still.py (read a still, its foreground colour, its cut edges continued), motion.py (subject
and camera poses), render.py (warp, motion blur, composite), footage.py (video frames fitted
to a canvas). The sample shot builds on it; training adds exact flow in training/data/compose.py.
"""
