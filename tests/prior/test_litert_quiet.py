"""TFLite's one-time 'INFO: Created TensorFlow Lite XNNPACK delegate' line never reaches the user."""
import subprocess
import sys

CODE = """
import sys
import numpy as np
from cmn_vfx.prior.litert import LiteRtRuntime
rt = LiteRtRuntime('selfie_segmentation.tflite')
rt.run(np.zeros(rt.input_shape, np.float32))
LiteRtRuntime('selfie_segmentation_landscape.tflite')
print('after', file=sys.stderr)
"""


def test_first_interpreter_prints_no_tflite_info():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "XNNPACK" not in proc.stderr and proc.stderr == "after\n"
