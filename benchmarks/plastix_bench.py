"""The benchmark workloads (benchmarks/WORKLOADS.md) in plastix, timed and checked.

Run one workload in a fresh process and print one JSON line, the same shape as the peer
scripts in ``benchmarks/peers/``::

    python -m benchmarks.plastix_bench --workload w1 --duration 10

``build_s`` is network construction plus the first chunk (compilation and one chunk of
simulation); ``run_s`` times the rest of the run, ``sim_s`` simulated seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import time
from typing import Any

import jax
import numpy as np

import plastix as px
from plastix import connectivity, initializers


def _song_neuron() -> px.LIFCond:
    return px.LIFCond(
        tau_m=10.0, e_leak=-74.0, v_th=-54.0, v_reset=-60.0, e_exc=0.0, tau_exc=5.0, t_ref=0.0
    )


def _song_rule(g_max: float) -> px.PairSTDP:
    a_pre = 0.01 * g_max
    return px.PairSTDP(
        tau_plus=20.0, tau_minus=20.0, a_plus=a_pre, a_minus=1.05 * a_pre, w_min=0.0, w_max=g_max
    )


def feed_forward(
    n_in: int,
    n_out: int,
    *,
    seed: int,
    delay: str = "none",
    format: str = "dense",
    capacity: int | tuple | None = None,
) -> tuple[px.Network, dict[str, Any]]:
    """W1 (n_in = 1000, n_out = 1) and W2: Poisson inputs → conductance LIF, pair STDP."""
    g_max = 0.01 * 1000.0 / n_in
    net = px.Network(dt=0.1, seed=seed)
    inputs = net.add(px.Population(px.PoissonInput(15.0), n_in, name="inputs"))
    out = net.add(px.Population(_song_neuron(), n_out, name="out"))
    if delay == "none":
        delays = None
    elif delay == "2ms":
        delays = 2.0
    elif delay == "random":
        rng = np.random.default_rng(seed + 7)
        delays = rng.integers(1, 51, size=n_in * n_out) * 0.1  # steps of [0.1, 5] ms
    else:
        raise ValueError(f"delay must be 'none', '2ms' or 'random', got {delay!r}")
    syn = net.add(
        px.Projection(
            inputs,
            out,
            connectivity.all_to_all(n_in, n_out, format=format),
            _song_rule(g_max),
            weights=initializers.uniform(0.0, g_max),
            delay=delays,
            capacity=capacity,
            on_overflow="error" if isinstance(capacity, tuple) else "dense",
            name="stdp",
        )
    )
    monitors = {"out": net.add(px.Monitor(out))}
    return net, {"monitors": monitors, "projection": syn, "g_max": g_max}


W3_E, W3_I, W3_P = 8000, 2000, 0.1
W3_WE, W3_WI = 0.162, -0.9


def balanced(
    *,
    seed: int,
    plastic: bool = True,
    format: str = "csr",
    capacity: int = 16,
    scale: float = 1.0,
    on_overflow: str = "error",
) -> tuple[px.Network, dict[str, Any]]:
    """W3: CUBA network (8000 E, 2000 I, p = 0.1, delay 1.5 ms), E→E multiplicative STDP."""
    n_e, n_i = round(W3_E * scale), round(W3_I * scale)
    p = W3_P / scale  # keep 800 E and 200 I inputs per neuron when scaled down
    rng = np.random.default_rng(seed)

    def population(n: int, name: str) -> px.Population:
        neuron = px.LIF(
            tau_m=20.0,
            c_m=20.0,  # = tau_m: currents are in mV, as CUBA's ge, gi
            v_rest=-49.0,
            v_th=-50.0,
            v_reset=-60.0,
            tau_syn_exc=5.0,
            tau_syn_inh=10.0,
            t_ref=5.0,
            v_init=rng.uniform(-60.0, -50.0, n),
        )
        return px.Population(neuron, n, name=name)

    net = px.Network(dt=0.1, seed=seed)
    exc = net.add(population(n_e, "E"))
    inh = net.add(population(n_i, "I"))
    w_max = 2 * W3_WE
    a_plus = 0.01 * w_max
    stdp = px.PairSTDP(
        tau_plus=20.0,
        tau_minus=20.0,
        a_plus=a_plus,
        a_minus=1.05 * a_plus,
        w_min=0.0,
        w_max=w_max,
        mu_plus=1.0,
        mu_minus=1.0,
    )
    projections = {}
    for k, (pre, post, w, receptor, name) in enumerate(
        (
            (exc, exc, W3_WE, "exc", "EE"),
            (exc, inh, W3_WE, "exc", "EI"),
            (inh, exc, W3_WI, "inh", "IE"),
            (inh, inh, W3_WI, "inh", "II"),
        )
    ):
        conn = connectivity.pairwise_bernoulli(pre.n, post.n, p, seed=seed * 10 + k, format=format)
        projections[name] = net.add(
            px.Projection(
                pre,
                post,
                conn,
                stdp if (plastic and name == "EE") else None,
                weights=w,
                delay=1.5,
                receptor=receptor,
                capacity=capacity,
                on_overflow=on_overflow,
                name=name,
            )
        )
    monitors = {"E": net.add(px.Monitor(exc)), "I": net.add(px.Monitor(inh))}
    return net, {"monitors": monitors, "projections": projections, "n_e": n_e, "n_i": n_i}


def equal_chunks(n_steps: int, target: int) -> int:
    """The largest chunk length <= target dividing ``n_steps`` into >= 2 equal chunks.

    Equal chunks compile once: a shorter last chunk would compile again inside the
    timed part.
    """
    count = max(2, -(-n_steps // target))
    while n_steps % count:
        count += 1
    return n_steps // count


def _timed_run(net: px.Network, duration_s: float, chunk_steps: int) -> tuple[float, float, float]:
    """(build_s, run_s, timed simulated seconds): first chunk apart from the rest."""
    chunk_steps = equal_chunks(round(duration_s * 1000.0 / net.dt), chunk_steps)
    t0 = time.perf_counter()
    net.build()
    first = min(chunk_steps * net.dt, duration_s * 1000.0)
    net.run(first, chunk_size=chunk_steps, progress=False)
    jax.block_until_ready(net.state)
    t1 = time.perf_counter()
    rest = duration_s * 1000.0 - first
    if rest > 0:
        net.run(rest, chunk_size=chunk_steps, progress=False)
        jax.block_until_ready(net.state)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, rest / 1000.0


def _capacity(text: str) -> int | tuple[int | None, int | None]:
    parts = [None if p.strip().lower() == "none" else int(p) for p in text.split(",")]
    return parts[0] if len(parts) == 1 else (parts[0], parts[1])


def use_cores(n: int) -> int:
    """Restrict this process to ``n`` of the CPU cores it may use (0: all of them) and
    return how many it uses. Call it before JAX starts its CPU client: the client sizes
    its thread pool, and XLA decides which kernels to split across threads, by the cores
    the process may use then."""
    if not hasattr(os, "sched_setaffinity"):  # not on this OS: all cores
        return os.cpu_count() or 1
    allowed = sorted(os.sched_getaffinity(0))
    if 0 < n < len(allowed):
        os.sched_setaffinity(0, allowed[:n])
    return len(os.sched_getaffinity(0))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workload", required=True, choices=["w1", "w2", "w3", "w3_control"])
    parser.add_argument("--duration", type=float, default=10.0, help="simulated seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--synapses", type=float, default=1e5, help="W2: number of synapses")
    parser.add_argument("--delay", default="none", choices=["none", "2ms", "random"])
    parser.add_argument("--format", default=None, choices=["dense", "csr", "coo"])
    parser.add_argument(
        "--capacity",
        type=_capacity,
        default=None,
        help="event buffer size: N, or PRE,POST with 'none' for the all-synapse path",
    )
    parser.add_argument("--chunk", type=int, default=None, help="steps per chunk")
    parser.add_argument("--scale", type=float, default=1.0, help="W3: fraction of neurons")
    parser.add_argument(
        "--on-overflow", default="error", choices=["error", "dense"], help="W3 event buffers"
    )
    parser.add_argument(
        "--cores",
        type=int,
        default=1,
        help="CPU cores the process may use (default 1, as the peers' one thread; 0: all)",
    )
    args = parser.parse_args(argv)
    cores = use_cores(args.cores)

    t_start = time.perf_counter()
    checks: dict[str, Any] = {}
    if args.workload in ("w1", "w2"):
        if args.workload == "w1":
            n_in, n_out = 1000, 1
        else:
            n_in = round(math.sqrt(1000.0 * args.synapses))
            n_out = max(1, round(n_in / 1000))
        net, parts = feed_forward(
            n_in,
            n_out,
            seed=args.seed,
            delay=args.delay if args.workload == "w2" else "none",
            format=args.format or "dense",
            # W2: events on both sides: ~15·N_in/10⁴ input spikes per step; an output
            # buffer as large as the output population (it cannot overflow; the walk
            # stops at its last spike): at 10⁶ synapses ~27 % faster than visiting all
            # synapses in a step with an output spike, equal at 10⁴–10⁵. W1: all synapses.
            capacity=args.capacity or ((128, n_out) if args.workload == "w2" else None),
        )
        chunk = args.chunk or max(500, min(10_000, 20_000_000 // n_in))
        params = {"n_in": n_in, "n_out": n_out, "delay": args.delay}
        n_syn = n_in * n_out
    else:
        net, parts = balanced(
            seed=args.seed,
            plastic=args.workload == "w3",
            format=args.format or "csr",
            capacity=args.capacity or 16,
            scale=args.scale,
            on_overflow=args.on_overflow,
        )
        chunk = args.chunk or 2000
        params = {"n_e": parts["n_e"], "n_i": parts["n_i"], "scale": args.scale}
        n_syn = sum(p.connectivity.n_synapses for p in parts["projections"].values())
    construct_s = time.perf_counter() - t_start
    build_s, run_s, timed_s = _timed_run(net, args.duration, chunk)
    build_s += construct_s

    if args.workload in ("w1", "w2"):
        mon = parts["monitors"]["out"]
        checks["rate_hz"] = mon.t.size / parts_n(net, "out") / args.duration
        syn = parts["projection"]
        w = np.asarray(
            syn.connectivity.to_canonical(net.state.projections[net.projections.index(syn)].w)
        )
        g_max = parts["g_max"]
        checks["weights_in_bounds"] = bool(np.all((w >= 0) & (w <= g_max)))
        checks["extreme_bins_fraction"] = float(np.mean((w < 0.1 * g_max) | (w > 0.9 * g_max)))
        if args.workload == "w2" and args.delay == "random":  # which path served the delays
            spec = net.spec.projections[net.projections.index(syn)]
            params["delay_path"] = "events" if spec.delayed is not None else "all-synapse"
    else:
        for name, n in (("E", parts["n_e"]), ("I", parts["n_i"])):
            mon = parts["monitors"][name]
            checks[f"rate_{name}_hz"] = mon.t.size / n / args.duration
        ee = parts["projections"]["EE"]
        w_ee = ee.connectivity.to_canonical(net.state.projections[net.projections.index(ee)].w)
        checks["mean_w_ee"] = float(np.mean(np.asarray(w_ee)))
    result = {
        "system": "plastix",
        "version": px.__version__,
        "backend": jax.default_backend(),
        "device": str(jax.devices()[0].device_kind),
        "workload": args.workload,
        "params": params
        | {"format": args.format, "capacity": args.capacity, "chunk": chunk, "cores": cores},
        "n_synapses": int(n_syn),
        "build_s": build_s,
        "run_s": run_s,
        "sim_s": timed_s,
        "checks": checks,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }
    print(json.dumps(result))
    return result


def parts_n(net: px.Network, name: str) -> int:
    return next(p.n for p in net.populations if p.name == name)


if __name__ == "__main__":
    main()
