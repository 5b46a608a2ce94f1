#!/usr/bin/env bash
# The GPU half of the benchmark suite: plastix on W1, W2, W3 (+ control) and the
# ensemble, each run in its own process, one JSON line each into ${OUT:-.}/gpu.jsonl.
# Usage (on a machine with JAX's CUDA backend): bash benchmarks/gpu_suite.sh [quick]
set -uo pipefail
out=${OUT:-.}/gpu.jsonl
: > "$out"
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$(pwd) PYTHONUNBUFFERED=1
dur=${1:-full}
d1=10; d2=1; d3=1
if [ "$dur" = quick ]; then d1=1; d2=0.2; d3=0.2; fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import jax; print('jax', jax.__version__, jax.devices())"
run() {  # run <timeout> <module> args...
  local t=$1; shift
  timeout "$t" python3 -m "$@" 2>"${OUT:-.}/last_err.txt" | tail -n 1 | tee -a "$out" \
    || echo "{\"failed\": \"$*\"}" | tee -a "$out"
}
run 120 benchmarks.plastix_bench --workload w1 --duration "$d1"
run 120 benchmarks.plastix_bench --workload w1 --duration "$d1" --capacity 8
for s in 1e4 1e5 1e6; do
  for delay in none 2ms random; do
    run 150 benchmarks.plastix_bench --workload w2 --synapses $s --delay $delay --duration "$d2"
  done
  run 150 benchmarks.plastix_bench --workload w2 --synapses $s --duration "$d2" --capacity 256
done
for fmt in csr dense; do
  for w in w3 w3_control; do
    run 200 benchmarks.plastix_bench --workload $w --format $fmt --duration "$d3" --capacity 16
  done
done
run 200 benchmarks.ensemble_bench --instances 64 --duration 1 --sequential 4
