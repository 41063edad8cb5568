#!/usr/bin/env bash
# The one prepared run for a session lent a GPU machine (the device tool): train the v5 heads there for
# GPU_MINUTES with that machine's own python3 and torch (no .venv), from the carried pack, and bring back
# the inference checkpoint. docs/training.md ("Training v5 on a lent GPU") has the exact tool call:
#   here, first:  .venv/bin/python -m cmn_vfx_training.gpu_pack --config configs/train/v5.yaml --out runs/gpu_pack [--init CKPT]
#   the call:     run(command="bash bench/gpu_v5.sh", carry=["runs/gpu_pack"], timeout_s=600)
# Into $OUT (each file under the 16 MiB a call brings back): device.txt (commit, GPU, torch), train.txt (the
# console), log.jsonl, v5_gpu.pt (the inference checkpoint, ~15 MB, rewritten at every checkpoint: load_model,
# cmn-matte export-onnx, and --init of the next run). The full training checkpoint (19 MB) stays in RUN_DIR.
# Settings: GPU_MINUTES (8: a 600 s call keeps ~1.5 min for start-up, imports and the last save), BATCH (16),
# INIT (a carried checkpoint to start from; default: the pack's init_heads.pt if it has one, else the prior).
set -u
OUT=${OUT:-runs/gpu_v5_out}
PACK=${PACK:-runs/gpu_pack}
RUN_DIR=${RUN_DIR:-/tmp/gpu_v5}
GPU_MINUTES=${GPU_MINUTES:-8}
DEVICE=${DEVICE:-cuda}         # DEVICE=cpu GPU_MINUTES=1 PY=.venv/bin/python: a dry run on this CPU
PY=${PY:-python3}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
# training/ imports itself by its installed name (setup.py package_dir); nothing is installed there
mkdir -p /tmp/cmn_pkgs && ln -sfn "$PWD/training" /tmp/cmn_pkgs/cmn_vfx_training
export PYTHONPATH="/tmp/cmn_pkgs:$PWD${PYTHONPATH:+:$PYTHONPATH}"
{
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  $PY -c "import sys, torch, numpy; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda,
torch.cuda.is_available(), 'numpy', numpy.__version__)" 2>&1
} | tee "$OUT/device.txt"
if [ ! -f "$PACK/manifest.json" ]; then
  echo "no pack at $PACK: build it here with python -m cmn_vfx_training.gpu_pack and name it in carry" | tee -a "$OUT/device.txt"
  exit 2
fi
$PY -m cmn_vfx_training.gpu_train --pack "$PACK" --out "$RUN_DIR" --minutes "$GPU_MINUTES" --device "$DEVICE" \
    --stripped "$OUT/v5_gpu.pt" ${BATCH:+--batch "$BATCH"} ${INIT:+--init "$INIT"} 2>&1 | tee "$OUT/train.txt"
rc=${PIPESTATUS[0]}
cp "$RUN_DIR/log.jsonl" "$OUT/log.jsonl" 2>/dev/null
exit "$rc"
