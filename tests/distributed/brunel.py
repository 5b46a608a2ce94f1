"""A small plastic Brunel-type network for the sharded-run tests, run in a subprocess
(``python -m tests.distributed.brunel OUT.npz ...``) so that fake CPU devices can be set
before jax is imported."""

from __future__ import annotations

import argparse
import json
import os
import sys

COMBINATIONS = [(f, d) for f in ("dense", "csr", "coo") for d in ("homogeneous", "random")]


def build(fmt: str, delays: str, n_e: int = 1600, n_i: int = 400, seed: int = 3):
    """E (LIF) and I (LIF) driven by Poisson sources; E→E multiplicative pair STDP in
    ``fmt`` with a homogeneous 1.5 ms delay or random per-synapse delays (0.5–3 ms);
    all other projections static, 1.5 ms. ``fmt="all"``: six E→E projections instead,
    one per format and delay kind (``COMBINATIONS``), 4 synapses per neuron each.

    Returns the network, its plastic projections and three monitors (E and I spikes,
    some weights of the first plastic projection every 5 ms).
    """
    import numpy as np

    import plastix as px

    rng = np.random.default_rng(seed)
    net = px.Network(dt=0.1, seed=seed)
    ext = net.add(px.Population(px.PoissonInput(20.0), 800, name="ext"))
    e = net.add(px.Population(px.LIF(v_init=rng.uniform(-70, -52, n_e)), n_e, name="E"))
    i = net.add(px.Population(px.LIF(v_init=rng.uniform(-70, -52, n_i)), n_i, name="I"))
    conn = px.fixed_indegree
    net.add(px.Projection(ext, e, conn(800, n_e, 40, seed=1), weights=190.0, delay=1.5))
    net.add(px.Projection(ext, i, conn(800, n_i, 40, seed=2), weights=190.0, delay=1.5))
    combinations = COMBINATIONS if fmt == "all" else [(fmt, delays)]
    indegree = 4 if fmt == "all" else 20
    plastic = []
    for k, (f, d) in enumerate(combinations):
        plastic.append(
            net.add(
                px.Projection(
                    e,
                    e,
                    conn(n_e, n_e, indegree, seed=4 + 10 * k, allow_autapses=False, format=f),
                    px.PairSTDP(a_plus=0.1, a_minus=0.12, w_max=120.0, mu_plus=1.0, mu_minus=1.0),
                    weights=px.initializers.uniform(20.0, 60.0),
                    delay=1.5 if d == "homogeneous" else px.initializers.uniform(0.5, 3.0),
                    name=f"EE_{f}_{d}",
                )
            )
        )
    net.add(px.Projection(e, i, conn(n_e, n_i, 20, seed=5), weights=40.0, delay=1.5))
    net.add(
        px.Projection(i, e, conn(n_i, n_e, 10, seed=6), weights=-300.0, delay=1.5, receptor="inh")
    )
    net.add(
        px.Projection(i, i, conn(n_i, n_i, 10, seed=7), weights=-300.0, delay=1.5, receptor="inh")
    )
    monitors = [
        net.add(px.Monitor(e)),
        net.add(px.Monitor(i)),
        net.add(px.Monitor(plastic[0], "w", every=5.0, indices=list(range(0, 4000, 97)))),
    ]
    return net, plastic, monitors


def canonical_weights(net, plastic) -> "np.ndarray":  # noqa: F821 (numpy imported lazily)
    """Every plastic synapse's weight, projection after projection, in canonical order."""
    import numpy as np

    parts = []
    for proj in plastic:
        pre, post = proj.connectivity.canonical_indices()
        parts.append(net.weights(proj)[pre, post])
    return np.concatenate(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--format", default="csr")
    parser.add_argument("--delays", default="homogeneous")
    parser.add_argument("--devices", default="0", help="comma-separated counts; 0: plain run")
    parser.add_argument("--ms", type=float, default=30.0)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=1, help="join a multi-process run")
    parser.add_argument("--process-id", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--restore", default="", help="checkpoint to start from")
    parser.add_argument("--store", default="", help="checkpoint to write at the end")
    parser.add_argument("--exchange-capacity", type=int, default=None)
    args = parser.parse_args(argv)
    import jax
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    if args.processes > 1:
        import plastix as px

        px.distributed.initialize(
            coordinator_address=f"127.0.0.1:{args.port}",
            num_processes=args.processes,
            process_id=args.process_id,
            cpu_collectives="gloo",
        )
    results = {}
    for count in [int(c) for c in args.devices.split(",")]:
        net, plastic, (mon_e, mon_i, mon_w) = build(args.format, args.delays)
        net.build()
        results[f"{count}/w0"] = canonical_weights(net, plastic)
        if args.restore:
            net.restore(args.restore)
        devices = None if count == 0 else count
        capacity = None if devices is None else args.exchange_capacity
        net.run(
            args.ms,
            chunk_size=args.chunk,
            progress=False,
            devices=devices,
            exchange_capacity=capacity,
        )
        if args.store:
            net.store(args.store)
        results[f"{count}/e_t"] = mon_e.t
        results[f"{count}/e_i"] = mon_e.i
        results[f"{count}/i_t"] = mon_i.t
        results[f"{count}/i_i"] = mon_i.i
        results[f"{count}/w"] = canonical_weights(net, plastic)
        results[f"{count}/w_rec"] = mon_w.values
        results[f"{count}/v"] = net.get_state(net.populations[1])["v"]
    if args.process_id == 0:
        np.savez(args.out, **results)
    info = {"devices": len(jax.devices()), "processes": jax.process_count(), "pid": os.getpid()}
    print(json.dumps(info), file=sys.stderr)


if __name__ == "__main__":
    main()
