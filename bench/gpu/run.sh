#!/bin/bash
# The prepared GPU run of issue 12 (≤ 8 minutes on an H100/H200): fp32, fp16 and fp16+fused
# ALBERT base through the real CLI (doctor, convert, optimize, embed CSV → Arrow, bench with
# the bare-session ceiling). Prints one table; details under $OUT. See bench/gpu/README.md.
#
# On the lent machine (after ../shared/gpu/make-bundle.sh here, and `npm run build`):
#   call 1, carry [".gpu/a"]:          bash .gpu/a/on-device.sh unpack-a
#   call 2, carry [".gpu/b", "dist"]:  bash .gpu/a/on-device.sh unpack-b && source .gpu/a/on-device.sh env && bash bench/gpu/run.sh
# Here, on the CPU (what the tests run, small N, a checkpoint instead of python+torch):
#   DEVICE=cpu ROWS=256 CHECKPOINT=test/fixtures/hf-albert-tiny/albert-tiny OUT=out/gpu-cpu bash bench/gpu/run.sh
#
# Settings (environment): DEVICE (cuda), ROWS (65536: embed rows, data/sample.csv repeated with
# fresh ids, so at the corpus's lengths), ROWS_LONG (3× ROWS on cuda, 2× on cpu; 0: none: the
# second embed run the steady-state rate comes from), BENCH_ROWS (min(ROWS, 32768)),
# BATCH_TOKENS (65536 on cuda; a comma list sweeps), WORKERS (2), CHECKPOINT (default: make one
# with make-albert-base.py), CHECK_ROWS (2000), OUT ($OUT, else out/gpu-run), WORK (models,
# inputs, Arrow parts; default a fresh temp folder, removed at the end; never under OUT, which
# the device hands back only a few small files of), BUDGET_S (450 on cuda, 1800 on cpu: every
# step's time limit is cut to what is left of it).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v node >/dev/null; then
  echo "run.sh: no node on PATH (on the lent machine: source .gpu/a/on-device.sh env first)" >&2
  exit 2
fi
if [ ! -f dist/bench/gpu/gpu-run.js ]; then
  echo "run.sh: dist/ is missing: run npm run build here (and carry dist to the device)" >&2
  exit 2
fi
export OUT="${OUT:-$PWD/out/gpu-run}"
if [ "${DEVICE:-cuda}" = cpu ]; then export BUDGET_S="${BUDGET_S:-1800}"; else export BUDGET_S="${BUDGET_S:-450}"; fi
mkdir -p "$OUT"
# The run keeps to BUDGET_S by itself (each step's limit is cut to what is left, and
# gpu-run.json is rewritten after every step); this is the net under it, should node itself
# hang: SIGTERM (the run stops its step and writes its record), SIGKILL 10 s later.
exec timeout --kill-after=10 "$((BUDGET_S + 20))" node dist/bench/gpu/gpu-run.js
