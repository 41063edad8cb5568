#!/bin/bash
# Every figure of a default-model candidate (cmn_vfx/models/default.md), in order; each writes runs/NAME/<what>.txt:
#   bench/v4_final_eval.sh CHECKPOINT [NAME] [--quick]
# NAME defaults to 'final'. --quick: the quality figures only (validation suite, bars, memory, subject picks),
# ~25 min on 2 cores; without it also the farm seams, end to end speed and stage profiles (idle machine).
set -x
cd "$(dirname "$0")/.."
M=${1:?give the checkpoint}
NAME=${2:-final}
QUICK=${3:-}
OUTDIR=runs/$NAME
mkdir -p "$OUTDIR"
export OMP_NUM_THREADS=2
# its export first (beside the checkpoint), checked against torch in OpenVINO and ONNX Runtime: the CPU
# default runs it, and the speed issue's bars are measured with it
.venv/bin/cmn-matte export-onnx --model "$M" --check > "$OUTDIR/export_onnx.txt" 2>&1
.venv/bin/python bench/recurrence_check.py --model "$M" > "$OUTDIR/recurrence.txt" 2>&1
.venv/bin/python bench/validate.py --methods "model:$M@people" --json "runs/validate_$NAME.json" --work "runs/validate_$NAME" \
   --sheet "$OUTDIR/validation_worst.jpg" --sheet-method "model:$M@people" > "$OUTDIR/validate.txt" 2>&1
.venv/bin/python bench/v4_bars.py --model "model:$M@people" runs/validate_final.json "runs/validate_$NAME.json" > "$OUTDIR/bars.txt" 2>&1
.venv/bin/python bench/subject_eval.py --model "$M" --work "runs/subject_eval_$NAME" --json "runs/subject_eval_$NAME.json" \
   > "$OUTDIR/subject.txt" 2>&1
if [ "$QUICK" != "--quick" ]; then
  for W in 0 8; do .venv/bin/python bench/farm_seams.py --checkpoint "$M" --warmup $W > "$OUTDIR/seams_w$W.txt" 2>&1; done
  .venv/bin/python bench/end_to_end.py --model "$M" --runtimes "openvino,onnx,openvino+--precision=bf16" \
     --json "$OUTDIR/end_to_end.json" > "$OUTDIR/end_to_end.txt" 2>&1
  .venv/bin/python bench/engine_stages.py --model "$M" --runtime openvino --size 512x288 > "$OUTDIR/stages_512.txt" 2>&1
  .venv/bin/python bench/engine_stages.py --model "$M" --runtime openvino --size 1920x1080 > "$OUTDIR/stages_1080.txt" 2>&1
fi
echo done > "$OUTDIR/DONE"
