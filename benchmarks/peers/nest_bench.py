"""NEST peer for the plastix benchmark workloads W1, W2, W3.

Run with the NEST venv's interpreter, e.g.
    ~/.cache/plastix-peers/nest/bin/python benchmarks/peers/nest_bench.py \
        --workload w1 --duration 10
Prints one JSON line (the last line of stdout); NEST's output goes to stderr.

Mapping onto NEST's built-in models (no NESTML / code generation):
- W1/W2: poisson_generator -> parrot_neuron (one independent train per input) ->
  stdp_synapse (mu_plus = mu_minus = 0: additive, all-to-all traces) -> iaf_cond_exp.
  The dimensionless W1 conductance ge is ge_nest / g_L, so weights are scaled by g_L.
  iaf_cond_exp is integrated by GSL's adaptive RKF45 (not forward Euler).
- W3: iaf_psc_exp (exact integration) with stdp_synapse (mu_plus = mu_minus = 1:
  soft bounds) on E->E. The W3 currents ge, gi (mV) are I_syn * tau_m / C_m.

Timing: build_s = kernel set-up + Create + Connect + nest.Prepare() (which builds the
spike-delivery infrastructure); run_s = wall time of nest.Run(T).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

C.prepend_venv_to_path()
os.environ.setdefault("PYNEST_QUIET", "1")

C_M = 250.0  # pF, arbitrary: only tau_m = C_m / g_L enters the model
# Reading weights back: SynapseCollection.get() builds a full status dict per connection
# (~1.6 kB each), so read in chunks of targets; for W3 read a random sample of targets.
W3_WEIGHT_SAMPLE_TARGETS = 400


def conn_weights(nest, src, tgt, chunk):
    import numpy as np

    out = []
    for i in range(0, len(tgt), chunk):
        c = nest.GetConnections(src, tgt[i : min(i + chunk, len(tgt))])
        out.append(np.atleast_1d(np.asarray(c.get("weight"), dtype=np.float64)))
    return np.concatenate(out)


def build_feedforward(nest, args):
    p = C.ff_params(args)
    g_l = C_M / p["tau_m"]  # nS
    wmax = p["g_max"] * g_l  # nS
    out = nest.Create(
        "iaf_cond_exp",
        p["n_out"],
        params=dict(
            C_m=C_M,
            g_L=g_l,
            E_L=p["E_l"],
            V_th=p["v_t"],
            V_reset=p["v_r"],
            t_ref=0.0,
            E_ex=p["E_e"],
            E_in=-80.0,
            tau_syn_ex=p["tau_e"],
            tau_syn_in=5.0,
            I_e=0.0,
            V_m=p["E_l"],
            tau_minus=p["tau_post"],
        ),
    )
    gen = nest.Create("poisson_generator", params=dict(rate=p["rate_hz"]))
    parrots = nest.Create("parrot_neuron", p["n_in"])
    nest.Connect(gen, parrots, "all_to_all", dict(delay=C.DT_MS))
    if p["delay"] == "none":
        delay = C.DT_MS  # NEST's minimum delay is one step
    elif p["delay"] == "2ms":
        delay = 2.0
    else:
        lo, hi = C.RANDOM_DELAY_STEPS
        delay = (nest.random.uniform_int(hi - lo + 1) + lo) * C.DT_MS
    nest.CopyModel(
        "stdp_synapse",
        "w1_stdp",
        dict(
            tau_plus=p["tau_pre"],
            Wmax=wmax,
            mu_plus=0.0,
            mu_minus=0.0,
            **{"lambda": 0.01, "alpha": 1.05},
        ),
    )  # dA_pre = 0.01 g_max, dA_post = -1.05 dA_pre
    nest.Connect(
        parrots,
        out,
        "all_to_all",
        dict(synapse_model="w1_stdp", weight=nest.random.uniform(0.0, wmax), delay=delay),
    )
    rec = nest.Create("spike_recorder")
    nest.Connect(out, rec)

    def checks():
        t = rec.get("events")["times"] / 1000.0
        c = C.rate_checks(t, p["n_out"], args.duration)
        w = conn_weights(nest, parrots, out, max(1, 100_000 // p["n_in"]))
        c.update(C.weight_checks(w / g_l, p["g_max"], args.duration, args.workload))
        return c

    params = {k: p[k] for k in ("n_in", "n_out", "g_max", "delay", "rate_hz")}
    if args.workload == "w2":
        params["S"] = args.synapses
    params["nest_delay_none_ms"] = C.DT_MS
    return params, p["n_synapses"], checks


def build_cuba(nest, args, plastic):
    q = C.W3
    scale = C_M / q["tau_m"]  # pA per mV of the W3 'current' variables
    neuron = dict(
        C_m=C_M,
        tau_m=q["tau_m"],
        E_L=q["E_l"],
        V_th=q["v_t"],
        V_reset=q["v_r"],
        t_ref=q["t_ref"],
        tau_syn_ex=q["tau_e"],
        tau_syn_in=q["tau_i"],
        I_e=0.0,
        tau_minus=q["tau_post"],
    )
    exc = nest.Create("iaf_psc_exp", q["n_e"], params=neuron)
    inh = nest.Create("iaf_psc_exp", q["n_i"], params=neuron)
    for pop in (exc, inh):
        pop.V_m = nest.random.uniform(q["v_r"], q["v_t"])
    conn = dict(rule="pairwise_bernoulli", p=q["p"], allow_autapses=True)
    d = q["delay_ms"]
    w_e, w_i = q["w_e"] * scale, q["w_i"] * scale
    if plastic:
        nest.CopyModel(
            "stdp_synapse",
            "w3_stdp",
            dict(
                tau_plus=q["tau_pre"],
                Wmax=q["w_max"] * scale,
                mu_plus=1.0,
                mu_minus=1.0,
                **{"lambda": q["a_plus"] / q["w_max"], "alpha": q["a_minus"] / q["a_plus"]},
            ),
        )
        nest.Connect(exc, exc, conn, dict(synapse_model="w3_stdp", weight=w_e, delay=d))
    else:
        nest.Connect(exc, exc, conn, dict(synapse_model="static_synapse", weight=w_e, delay=d))
    nest.Connect(exc, inh, conn, dict(synapse_model="static_synapse", weight=w_e, delay=d))
    nest.Connect(inh, exc, conn, dict(synapse_model="static_synapse", weight=w_i, delay=d))
    nest.Connect(inh, inh, conn, dict(synapse_model="static_synapse", weight=w_i, delay=d))
    rec_e = nest.Create("spike_recorder")
    rec_i = nest.Create("spike_recorder")
    nest.Connect(exc, rec_e)
    nest.Connect(inh, rec_i)

    def checks():
        import numpy as np

        c = C.w3_rate_checks(
            rec_e.get("events")["times"] / 1000.0,
            rec_i.get("events")["times"] / 1000.0,
            args.duration,
        )
        if plastic:
            ids = np.sort(
                np.random.default_rng(args.seed).choice(
                    q["n_e"], W3_WEIGHT_SAMPLE_TARGETS, replace=False
                )
            )
            sample = nest.NodeCollection([exc[int(k)].global_id for k in ids])
            w = conn_weights(nest, exc, sample, 100) / scale
            c.update(C.w3_weight_checks(w, "n_ee_sampled"))
            c["w_ee_sampled_targets"] = W3_WEIGHT_SAMPLE_TARGETS
        else:
            c.update(w_ee_mean_mv=q["w_e"])
        return c

    params = dict(n_e=q["n_e"], n_i=q["n_i"], p=q["p"], delay_ms=d, plastic=plastic)

    def n_syn() -> int:  # minus the recorder connections
        return int(nest.GetKernelStatus("num_connections")) - (q["n_e"] + q["n_i"])

    return params, n_syn, checks


def main():
    args = C.parse_args("NEST peer benchmark")
    with C.stdout_to_stderr():
        t0 = time.perf_counter()
        import nest

        if hasattr(nest, "VerbosityLevel"):
            nest.verbosity = nest.VerbosityLevel.ERROR
        else:
            nest.set_verbosity("M_ERROR")
        nest.ResetKernel()
        nest.SetKernelStatus(
            dict(
                resolution=C.DT_MS,
                rng_seed=args.seed + 1,
                local_num_threads=args.threads,
                print_time=False,
            )
        )
        if args.workload in ("w1", "w2"):
            params, n_syn, checks = build_feedforward(nest, args)
        else:
            params, n_syn, checks = build_cuba(nest, args, args.workload == "w3")
        nest.Prepare()
        build_s = time.perf_counter() - t0

        t1 = time.perf_counter()
        nest.Run(args.duration * 1000.0)
        run_s = time.perf_counter() - t1
        nest.Cleanup()
        res = checks()
        res["peak_rss_mb"] = C.peak_rss_mb()
        n = n_syn() if callable(n_syn) else n_syn
        ks = nest.GetKernelStatus()
        extra = {
            k: ks[k]
            for k in (
                "time_construction_create",
                "time_construction_connect",
                "time_simulate",
                "time_communicate_prepare",
            )
            if k in ks
        }
    params.update(dt_ms=C.DT_MS, seed=args.seed, threads=args.threads)
    C.emit("nest", nest.__version__, args, params, n, build_s, run_s, res, extra=extra)


if __name__ == "__main__":
    main()
