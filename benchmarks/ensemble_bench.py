"""Ensembles: N vmapped W1 (Song 2000) instances against N sequential runs.

Every instance has its own input seed and its own potentiation amplitude (a_plus spread
by ±10 %), all on the same connectivity. The vmapped ensemble runs through the
functional core (``plastix.core.run`` under ``jax.vmap``); the sequential baseline runs
the same instances one after another with the same jitted function. The final weights
of the instances must agree between the two (checked, and reported). Prints one JSON
line::

    python -m benchmarks.ensemble_bench --instances 64 --duration 2
"""

from __future__ import annotations

import argparse
import json
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import plastix as px

from .plastix_bench import feed_forward


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=64)
    parser.add_argument("--duration", type=float, default=2.0, help="simulated seconds")
    parser.add_argument("--chunk", type=int, default=5000, help="steps per chunk")
    parser.add_argument("--sequential", type=int, default=None, help="instances run one by one")
    args = parser.parse_args(argv)

    net, _ = feed_forward(1000, 1, seed=1)
    net.build()
    spec, state0 = net.spec, net.state
    base = spec.projections[0].rule.a_plus
    a_plus = base * jnp.linspace(0.9, 1.1, args.instances)
    keys = jax.random.split(jax.random.PRNGKey(11), args.instances)
    n_steps = round(args.duration * 1000.0 / spec.dt)
    chunk = min(args.chunk, n_steps)
    if n_steps % chunk:
        raise SystemExit(f"--duration must be a whole number of chunks of {chunk} steps")

    def one_chunk(a, key, state):
        s = eqx.tree_at(lambda s: s.projections[0].rule.a_plus, spec, a)
        final, _, diagnostics = px.core.run(s, state, key, chunk)
        return final, diagnostics["finite_projections"][0]

    single = jax.jit(one_chunk)
    batched = jax.jit(jax.vmap(one_chunk, in_axes=(0, 0, None)))
    batched_next = jax.jit(jax.vmap(one_chunk, in_axes=(0, 0, 0)))

    def run_batched() -> tuple[object, float]:
        t0 = time.perf_counter()
        states, ok = batched(a_plus, keys, state0)
        for _ in range(n_steps // chunk - 1):
            states, ok = batched_next(a_plus, keys, states)
        jax.block_until_ready(states)
        if not bool(jnp.all(ok)):
            raise SystemExit("non-finite weights in the ensemble")
        return states, time.perf_counter() - t0

    def run_one(i: int):
        state = state0
        for _ in range(n_steps // chunk):
            state, _ = single(a_plus[i], keys[i], state)
        return jax.block_until_ready(state)

    # Compile both (and warm up) before timing.
    run_batched()
    run_one(0)
    states, batched_s = run_batched()
    n_seq = args.sequential or args.instances
    t0 = time.perf_counter()
    sequential = [run_one(i) for i in range(n_seq)]
    sequential_s = (time.perf_counter() - t0) * args.instances / n_seq
    max_diff = max(
        float(jnp.max(jnp.abs(states.projections[0].w[i] - s.projections[0].w)))
        for i, s in enumerate(sequential)
    )
    w = np.asarray(states.projections[0].w).reshape(args.instances, -1)
    result = {
        "system": "plastix",
        "backend": jax.default_backend(),
        "device": str(jax.devices()[0].device_kind),
        "workload": "ensemble_w1",
        "instances": args.instances,
        "sim_s": args.duration,
        "batched_s": batched_s,
        "sequential_s": sequential_s,
        "sequential_measured_instances": n_seq,
        "speedup": sequential_s / batched_s,
        "checks": {
            "max_abs_weight_difference_batched_vs_sequential": max_diff,
            "mean_weight_first_last": [float(w[0].mean()), float(w[-1].mean())],
        },
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
