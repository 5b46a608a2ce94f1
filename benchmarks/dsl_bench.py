"""DSL models against the built-in ones they re-express: the time ratio of each pair.

Two workloads, each run with the built-in model and with its ``plastix.dsl`` form on the
same seed, after one warm-up run (compilation excluded; best of ``--repeats`` runs of
``--duration`` each, the two models alternating):

* ``stdp``: 1000 Poisson inputs at 15 Hz → 10 LIF neurons, all-to-all (CSR), pair STDP
  (``PairSTDP`` against a ``dsl.Rule``), ``--duration`` simulated seconds;
* ``lif``: 1000 Poisson inputs at 15 Hz → ``--neurons`` LIF neurons (a constant current
  and 20 static synapses each; ``LIF`` against a ``dsl.Neuron``).

The two models of a pair must give the same result after the warm-up run, checked and
reported: in float32 (JAX's default) they round differently, and a long plastic run
amplifies a one-ulp difference into different spikes, so the check is statistical (spike
counts within 0.1 %, mean weights within 1e-3 of w_max); in float64 the tests find the
two equal to 1e-12. Prints one JSON line::

    python -m benchmarks.dsl_bench --duration 10
"""

from __future__ import annotations

import argparse
import json
import time

import plastix as px
from plastix import dsl

STDP = dict(tau_plus=20.0, tau_minus=20.0, a_plus=4.0, a_minus=4.2, w_min=0.0, w_max=400.0)
LIF = dict(tau_m=10.0, c_m=250.0, v_rest=-70.0, v_th=-55.0, v_reset=-70.0, tau_syn_exc=2.0,
           tau_syn_inh=2.5, t_ref=2.0, i_e=150.0)  # fmt: skip


def pair_rule() -> dsl.DSLRule:
    """Pair STDP in the DSL (Brian2's syntax)."""
    return dsl.Rule(
        equations="""
            dx/dt = -x / tau_plus : 1 (event-driven)
            dy/dt = -y / tau_minus : 1 (event-driven)
        """,
        on_pre="w = clip(w - a_minus * y, w_min, w_max); x += 1",
        on_post="y += 1; w = clip(w + a_plus * x, w_min, w_max)",
        parameters=STDP,
    )


def lif_neuron() -> dsl.DSLNeuron:
    """The current-based LIF in the DSL."""
    return dsl.Neuron(
        equations="""
            dv/dt = (v_rest - v)/tau_m + (I_exc + I_inh + i_e)/c_m : mV (unless refractory)
            dI_exc/dt = -I_exc/tau_syn_exc : pA
            dI_inh/dt = -I_inh/tau_syn_inh : pA
        """,
        threshold="v >= v_th",
        reset="v = v_reset",
        refractory="t_ref",
        receptors={"exc": "I_exc", "inh": "I_inh"},
        initial={"v": "v_rest"},
        parameters=LIF,
    )


def stdp_network(rule: px.rules.AbstractRule) -> tuple[px.Network, px.Projection, px.Monitor]:
    net = px.Network(dt=0.1, seed=1)
    inputs = net.add(px.Population(px.PoissonInput(15.0), 1000))
    out = net.add(px.Population(px.LIF(**LIF), 10))
    syn = net.add(
        px.Projection(
            inputs,
            out,
            px.all_to_all(1000, 10, format="csr"),
            rule,
            weights=px.initializers.uniform(0.0, 400.0),
        )  # fmt: skip
    )
    return net, syn, net.add(px.Monitor(out))


def lif_network(neuron, n: int) -> tuple[px.Network, None, px.Monitor]:
    net = px.Network(dt=0.1, seed=1)
    inputs = net.add(px.Population(px.PoissonInput(15.0), 1000))
    out = net.add(px.Population(neuron, n))
    conn = px.fixed_indegree(1000, n, 20, seed=2, format="csr")
    net.add(px.Projection(inputs, out, conn, None, weights=300.0))
    return net, None, net.add(px.Monitor(out))


def timed_pair(builtin, dsl_version, duration_ms: float, repeats: int) -> dict:
    """Best wall time [s] of each model over ``repeats`` runs of ``duration_ms``, after a
    warm-up run (compilation) whose results are compared; the two are run alternately,
    so that a change in the machine's load hits both alike."""
    made = [builtin(), dsl_version()]
    for net, _, _ in made:
        net.run(duration_ms, progress=False)
    (net_b, syn_b, spikes_b), (net_d, syn_d, spikes_d) = made
    n_b, n_d = spikes_b.t.size, spikes_d.t.size
    gap = 0.0
    if syn_b is not None:
        w_b, w_d = net_b.weights(syn_b), net_d.weights(syn_d)
        gap = float(abs(w_b.mean() - w_d.mean()) / STDP["w_max"])
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for k, (net, _, _) in enumerate(made):
            t0 = time.perf_counter()
            net.run(duration_ms, progress=False)
            best[k] = min(best[k], time.perf_counter() - t0)
    return {
        "builtin_s": round(best[0], 3),
        "dsl_s": round(best[1], 3),
        "ratio": round(best[1] / best[0], 3),
        "spikes": [n_b, n_d],
        "mean_weight_gap": gap,
        "same_result": bool(abs(n_b - n_d) <= 1e-3 * n_b and gap <= 1e-3),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="simulated seconds")
    parser.add_argument("--neurons", type=int, default=2000, help="LIF neurons (lif)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    ms = args.duration * 1000.0
    result: dict = {"duration_s": args.duration}
    pairs = {
        "stdp": (lambda: stdp_network(px.PairSTDP(**STDP)), lambda: stdp_network(pair_rule())),
        "lif": (
            lambda: lif_network(px.LIF(**LIF), args.neurons),
            lambda: lif_network(lif_neuron(), args.neurons),
        ),
    }
    for name, (builtin, dsl_version) in pairs.items():
        result[name] = timed_pair(builtin, dsl_version, ms, args.repeats)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
