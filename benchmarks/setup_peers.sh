#!/usr/bin/env bash
# Create one virtualenv per peer simulator (outside the repo) and install it from PyPI.
#
#   benchmarks/setup_peers.sh [brian2] [annarchy] [nest] [brainpy]    (default: all)
#
# Venvs go to ${PEER_VENVS:-$HOME/.cache/plastix-peers}/<peer>. Each install is
# independent: one failing does not stop the others. A venv whose import check already
# passes is left alone (idempotent). Set PEER_PYTHON to pick the base interpreter
# (default python3) and PEER_FORCE=1 to rebuild existing venvs.
set -u

ROOT="${PEER_VENVS:-$HOME/.cache/plastix-peers}"
PY="${PEER_PYTHON:-python3}"
mkdir -p "$ROOT"

ALL_PEERS=(brian2 annarchy nest brainpy)
if [ "$#" -gt 0 ]; then PEERS=("$@"); else PEERS=("${ALL_PEERS[@]}"); fi

# pip requirements and the import check for each peer
reqs() {
  case "$1" in
    brian2)   echo "brian2 numpy<2.4 setuptools" ;;
    annarchy) echo "annarchy setuptools" ;;
    nest)     echo "nest-simulator" ;;
    brainpy)  echo "brainpy brainevent jax[cpu] numba" ;;
    *) return 1 ;;
  esac
}
check() {
  case "$1" in
    brian2)   echo "import brian2; print(brian2.__version__)" ;;
    annarchy) echo "import ANNarchy; print(getattr(ANNarchy, '__release__', ANNarchy.__version__))" ;;
    nest)     echo "import nest; print(nest.__version__)" ;;
    brainpy)  echo "import brainpy, brainevent, jax, numba; print(brainpy.__version__, brainevent.__version__, jax.__version__)" ;;
  esac
}

ok=(); failed=()
for peer in "${PEERS[@]}"; do
  if ! r=$(reqs "$peer"); then
    echo "[setup_peers] unknown peer '$peer' (known: ${ALL_PEERS[*]})" >&2
    failed+=("$peer(unknown)"); continue
  fi
  venv="$ROOT/$peer"
  code=$(check "$peer")
  if [ "${PEER_FORCE:-0}" != 1 ] && [ -x "$venv/bin/python" ] \
     && v=$(cd / && PYNEST_QUIET=1 "$venv/bin/python" -c "$code" 2>/dev/null | tail -n1) \
     && [ -n "$v" ]; then
    echo "[setup_peers] $peer: already installed in $venv ($v), skipping"
    ok+=("$peer=$v"); continue
  fi
  echo "[setup_peers] $peer: creating $venv and installing: $r"
  rm -rf "$venv"
  if ! "$PY" -m venv "$venv"; then
    echo "[setup_peers] $peer: could not create venv" >&2; failed+=("$peer(venv)"); continue
  fi
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install -q $r 2>&1 | grep -v "is ignored: it is neither a file"
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    if [ "$peer" = nest ]; then
      echo "[setup_peers] NOTE: 'pip install nest-simulator' failed: PyPI has no usable" \
           "NEST wheel for this platform/Python. Install NEST another way (conda-forge," \
           "source build) and point PEER_VENVS/nest at it, or skip the NEST peer." >&2
    fi
    echo "[setup_peers] $peer: pip install failed" >&2
    failed+=("$peer(pip)"); continue
  fi
  if v=$(cd / && PYNEST_QUIET=1 "$venv/bin/python" -c "$code" 2>&1); then
    echo "[setup_peers] $peer: OK ($v)"
    ok+=("$peer=$(echo "$v" | tail -n1)")
  else
    echo "[setup_peers] $peer: installed but import fails:" >&2
    echo "$v" | tail -n5 >&2
    failed+=("$peer(import)")
  fi
done

echo "[setup_peers] venv root: $ROOT"
echo "[setup_peers] succeeded: ${ok[*]:-none}"
echo "[setup_peers] failed:    ${failed[*]:-none}"
[ "${#failed[@]}" -eq 0 ]
