"""The XLA option plastix sets on import (plastix/_xla_options.py)."""

import os
import subprocess
import sys

import pytest

from plastix._xla_options import (
    SMALL_LOOP_BYTES,
    SMALL_LOOP_OPTION,
    request_small_loops,
    small_loop_flag,
)


def test_the_flag_is_added_to_the_users_flags_and_never_replaces_their_extra_options():
    env = {"XLA_FLAGS": "--xla_cpu_enable_fast_math=false"}
    assert request_small_loops(env)
    assert env["XLA_FLAGS"] == (
        "--xla_cpu_enable_fast_math=false "
        f"--xla_backend_extra_options={SMALL_LOOP_OPTION}={SMALL_LOOP_BYTES}"
    )
    empty: dict[str, str] = {}
    assert request_small_loops(empty)
    assert empty["XLA_FLAGS"] == small_loop_flag()
    theirs = {"XLA_FLAGS": "--xla_backend_extra_options=xla_cpu_fold_all_constants"}
    assert not request_small_loops(theirs)
    assert theirs["XLA_FLAGS"] == "--xla_backend_extra_options=xla_cpu_fold_all_constants"
    opted_out = {"PLASTIX_XLA_OPTIONS": "0"}
    assert not request_small_loops(opted_out)
    assert "XLA_FLAGS" not in opted_out
    with pytest.raises(ValueError, match="bytes_per_iteration must be >= 0, got -1"):
        small_loop_flag(-1)


_CHUNK_HLO = r"""
import jax, plastix as px
from plastix import connectivity, initializers
from plastix._core.simulate import run, specialized
net = px.Network(dt=0.1, seed=0)
inp = net.add(px.Population(px.PoissonInput(15.0), 1000, name="in"))
out = net.add(px.Population(px.LIFCond(), 1, name="out"))
rule = px.PairSTDP(a_plus=1e-3, a_minus=1e-3, w_max=0.1)
net.add(px.Projection(inp, out, connectivity.all_to_all(1000, 1), rule,
                      weights=initializers.uniform(0.0, 0.1)))
net.build()
spec = specialized(net.spec)
key = jax.random.key(0)
weights = jax.jit(lambda s: run(spec, s, key, 20)[0].projections[0].w)
text = weights.lower(net.state).compile().as_text()
entry = text[text.index("\nENTRY") :]
entry = entry[: entry.index("\n}")]
# the step loop carries the weights, f32[1000,1]: a while of kernels, or one small call
loops = [line for line in entry.splitlines() if "f32[1000,1]" in line.split("=", 1)[-1]]
print("while:", any(" while(" in line for line in loops))
print("small call:", any('xla_cpu_small_call="true"' in line for line in loops))
"""


@pytest.mark.parametrize("opt_out", [False, True])
def test_a_small_networks_step_loop_compiles_whole_on_a_cpu_unless_opted_out(opt_out):
    """In a fresh process (XLA reads XLA_FLAGS once), a Song2000-like chunk's step loop
    becomes one XLA "small call" (no kernel dispatch per step), and stays a loop of
    kernels with PLASTIX_XLA_OPTIONS=0."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "PLASTIX_XLA_OPTIONS")}
    env["JAX_PLATFORMS"] = "cpu"
    if opt_out:
        env["PLASTIX_XLA_OPTIONS"] = "0"
    done = subprocess.run(
        [sys.executable, "-c", _CHUNK_HLO], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"while: {opt_out}" in done.stdout
    assert f"small call: {not opt_out}" in done.stdout
