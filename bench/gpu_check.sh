#!/usr/bin/env bash
# GPU checks, for a session lent a GPU machine (the device tool): one prepared run, figures into $OUT.
#   bash bench/gpu_check.sh            # on the GPU machine, from the repo root, with .venv carried
# 1. the tests that touch the device (tests/engine/test_devices.py: CUDA vs CPU, fp32/fp16/bf16 autocast)
#    and the half-precision warps (tests/model/test_backwarp.py);
# 2. bench/engine_throughput.py at 1920x1080 and 3840x2160 in fp32, fp16 and bf16 (20 frames each,
#    EXR read and both writes included), and peak RSS at 4K over 20 and 60 frames.
# 3. with TRAIN_MINUTES=N (N > 0): N minutes of configs/train/v4_gpu.yaml (resumable: checkpoints every 100
#    iterations), its log and the stripped last checkpoint copied into $OUT (~15 MB) to bring back.
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
TRAIN_MINUTES=${TRAIN_MINUTES:-0}
if [ "$TRAIN_MINUTES" -gt 0 ]; then
  resume=""; [ -f runs/v4_gpu/last.pt ] && resume="--resume"
  timeout "${TRAIN_MINUTES}m" .venv/bin/cmn-train --config configs/train/v4_gpu.yaml $resume 2>&1 | tail -c 20000 > "$OUT/train.txt"
  cp runs/v4_gpu/log.jsonl "$OUT/" 2>/dev/null
  [ -f runs/v4_gpu/last.pt ] && $PY -m cmn_vfx.model.strip runs/v4_gpu/last.pt "$OUT/v4_gpu.pt" >> "$OUT/train.txt" 2>&1
fi
