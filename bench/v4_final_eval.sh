#!/bin/bash
# The default model v4 measurements (cmn_vfx/models/default.md): bench/v4_final_eval.sh CHECKPOINT.
# The v4 measurements, in order; each writes runs/final/<name>.txt
set -x
cd /work/main
M=${1:-/tmp/v4_final.pt}
mkdir -p runs/final
export OMP_NUM_THREADS=2
.venv/bin/python bench/validate.py --methods model:$M@people --json runs/validate_v4.json --work runs/validate_v4 \
   --sheet runs/final/validation_worst.jpg --sheet-method model:$M@people > runs/final/validate.txt 2>&1
.venv/bin/python bench/v4_bars.py --model model:$M@people runs/validate_final.json runs/validate_v4.json > runs/final/bars.txt 2>&1
.venv/bin/python bench/recurrence_check.py --model $M > runs/final/recurrence.txt 2>&1
.venv/bin/python bench/subject_eval.py --model $M --work runs/subject_eval_v4 --json runs/subject_eval_v4.json > runs/final/subject.txt 2>&1
for W in 0 8; do .venv/bin/python bench/farm_seams.py --checkpoint $M --warmup $W > runs/final/seams_w$W.txt 2>&1; done
.venv/bin/python bench/end_to_end.py --model $M --json runs/final/end_to_end_v4.json > runs/final/end_to_end_v4.txt 2>&1
.venv/bin/python bench/engine_stages.py --model $M --size 512x288 > runs/final/stages_512.txt 2>&1
.venv/bin/python bench/engine_stages.py --model $M --size 1920x1080 > runs/final/stages_1080.txt 2>&1
echo done > runs/final/DONE
