#!/usr/bin/env bash
# GPU checks, for a session lent a GPU machine (the device tool): one prepared run, figures into $OUT.
#   bash bench/gpu_check.sh            # on the GPU machine, from the repo root, with .venv carried
# 1. the tests that touch the device (tests/engine/test_devices.py: CUDA vs CPU, fp32/fp16/bf16 autocast)
#    and the half-precision warps (tests/model/test_backwarp.py);
# 2. bench/engine_throughput.py at 1920x1080 and 3840x2160 in fp32, fp16 and bf16 (20 frames each,
#    EXR read and both writes included), and peak RSS at 4K over 20 and 60 frames.
# Copy the printed tables into docs/benchmarks.md with the device name and the commit.
set -u
OUT=${OUT:-runs/gpu_check}
mkdir -p "$OUT"
PY=${PY:-.venv/bin/python}
{
  git rev-parse --short HEAD 2>/dev/null
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"
} | tee "$OUT/device.txt"
QT_QPA_PLATFORM=offscreen $PY -m pytest -q -rs tests/engine/test_devices.py tests/model/test_backwarp.py 2>&1 | tee "$OUT/tests.txt"
for precision in fp32 fp16 bf16; do
  $PY bench/engine_throughput.py --device cuda --precision "$precision" --sizes 1920x1080,3840x2160 --frames 20 \
      --rss-size 3840x2160 --rss-frames 20,60 2>&1 | tee "$OUT/throughput_$precision.txt"
done
