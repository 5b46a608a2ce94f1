#!/usr/bin/env bash
# Short verification of every installed peer (a few simulated seconds in all).
#   benchmarks/peers/verify_peers.sh [brian2 annarchy nest brainpy] > results.jsonl
# Prints one JSON line per run on stdout (peer stderr goes to $PEER_LOG, default
# /tmp/plastix-peer-verify.log). A run that fails prints {"system":..,"failed":..}.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${PEER_VENVS:-$HOME/.cache/plastix-peers}"
LOG="${PEER_LOG:-/tmp/plastix-peer-verify.log}"
if [ "$#" -gt 0 ]; then PEERS=("$@"); else PEERS=(brian2 annarchy nest brainpy); fi

run() {  # peer, args...
  local peer=$1; shift
  local py="$ROOT/$peer/bin/python"
  [ -x "$py" ] || { echo "{\"system\": \"$peer\", \"failed\": \"no venv at $ROOT/$peer\"}"; return; }
  echo "== $peer $*" >>"$LOG"
  local out
  out=$("$py" "$HERE/${peer}_bench.py" "$@" 2>>"$LOG" | tail -n1)
  if [ -n "$out" ]; then echo "$out"; else echo "{\"system\": \"$peer\", \"failed\": \"$*\"}"; fi
}

for peer in "${PEERS[@]}"; do
  run "$peer" --workload w1 --duration 10
  for S in 1e4 1e5; do
    for d in none 2ms random; do
      run "$peer" --workload w2 --synapses "$S" --delay "$d" --duration 1
    done
  done
  run "$peer" --workload w3 --duration 0.5
  run "$peer" --workload w3_control --duration 0.5
done
