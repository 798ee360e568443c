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
# fresh ids, so at the corpus's lengths), BENCH_ROWS (min(ROWS, 32768)), BATCH_TOKENS (65536 on
# cuda; a comma list sweeps), WORKERS (2), CHECKPOINT (default: make one with make-albert-base.py),
# CHECK_ROWS (2000), OUT ($OUT, else out/gpu-run).
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
mkdir -p "$OUT"
exec node dist/bench/gpu/gpu-run.js
