"""ANNarchy peer for the plastix benchmark workloads W1, W2, W3.

Run with the ANNarchy venv's interpreter, e.g.
    ~/.cache/plastix-peers/annarchy/bin/python benchmarks/peers/annarchy_bench.py \
        --workload w1 --duration 10
Prints one JSON line (the last line of stdout); ANNarchy/compiler output goes to stderr.

Timing: build_s = Python network construction + code generation + compilation +
instantiation (connectivity is created when the network is compiled); run_s = wall time
of the single Network.simulate() call (one call into the compiled C++ kernel).
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

C.prepend_venv_to_path()


def _step_delay_dist(ann, rng):
    """Delays uniform on the dt-steps of [0.1, 5] ms (ANNarchy's DiscreteUniform yields
    integers in ms, so draw integer step counts and scale them)."""
    lo, hi = C.RANDOM_DELAY_STEPS

    from ANNarchy.core.Random import RandomDistribution

    class StepUniform(RandomDistribution):
        def __init__(self):
            self.rng = rng
            self.min = lo * C.DT_MS
            self.max = hi * C.DT_MS

        def get_values(self, shape):
            return self.rng.integers(lo, hi + 1, shape) * C.DT_MS

        def latex(self):
            return f"U_steps({self.min}, {self.max})"

    return StepUniform()


def build_feedforward(ann, net, args):
    """W1 / W2: Poisson inputs -> conductance LIF outputs with additive pair STDP."""
    p = C.ff_params(args)
    lif = ann.Neuron(
        parameters=dict(
            tau_m=p["tau_m"],
            E_e=p["E_e"],
            E_l=p["E_l"],
            v_t=p["v_t"],
            v_r=p["v_r"],
            tau_e=p["tau_e"],
        ),
        # ODEs updated together with forward Euler (ANNarchy's default 'explicit')
        equations=[
            ann.Variable("tau_m * dv/dt = g_exc * (E_e - v) + E_l - v", init=p["E_l"]),
            ann.Variable("tau_e * dg_exc/dt = -g_exc"),
        ],
        spike="v > v_t",
        reset="v = v_r",
    )
    stdp = ann.Synapse(
        parameters=dict(
            tau_pre=p["tau_pre"],
            tau_post=p["tau_post"],
            g_max=p["g_max"],
            dA_pre=p["dA_pre"],
            dA_post=p["dA_post"],
        ),
        equations=[
            ann.Variable("tau_pre * dA_pre_tr/dt = -A_pre_tr", method="event-driven"),
            ann.Variable("tau_post * dA_post_tr/dt = -A_post_tr", method="event-driven"),
        ],
        pre_spike="""
            g_target += w
            A_pre_tr += dA_pre
            w = clip(w + A_post_tr, 0.0, g_max)
        """,
        post_spike="""
            A_post_tr += dA_post
            w = clip(w + A_pre_tr, 0.0, g_max)
        """,
    )
    inp = net.create(ann.PoissonPopulation(p["n_in"], rates=p["rate_hz"], name="inputs"))
    out = net.create(p["n_out"], lif, name="out")
    proj = net.connect(inp, out, target="exc", synapse=stdp, name="stdp")
    rng = net.default_rng
    if p["delay"] == "none":
        delays = 0.0  # ANNarchy's no-delay transmission: acts in the next step
    elif p["delay"] == "2ms":
        delays = 2.0
    else:
        delays = _step_delay_dist(ann, rng)
    proj.all_to_all(weights=ann.Uniform(0.0, p["g_max"], rng=rng), delays=delays)
    mon = net.monitor(out, "spike")

    def checks():
        spikes = mon.get("spike")
        t = [s * C.DT_MS / 1000.0 for lst in spikes.values() for s in lst]
        c = C.rate_checks(t, p["n_out"], args.duration)
        w = _flat_weights(proj)
        c.update(C.weight_checks(w, p["g_max"], args.duration, args.workload))
        return c

    params = {k: p[k] for k in ("n_in", "n_out", "g_max", "delay", "rate_hz")}
    if args.workload == "w2":
        params["S"] = args.synapses
    return params, (lambda: proj.nb_synapses), checks


def _flat_weights(proj):
    import numpy as np

    w = proj.w
    if isinstance(w, (int, float)):
        return np.full(proj.nb_synapses, float(w))
    return np.concatenate([np.asarray(row, dtype=np.float64) for row in w])


def build_cuba(ann, net, args, plastic):
    """W3: 8000 E + 2000 I CUBA LIF, p = 0.1, delay 1.5 ms, E->E soft-bound STDP."""
    q = C.W3
    h, tm, te, ti = C.DT_MS, q["tau_m"], q["tau_e"], q["tau_i"]
    # Exact propagator of the linear (v, ge, gi) system over one step h:
    # v' = E_l + (v - E_l) e^{-h/tm} + ge K_e + gi K_i,  ge' = ge e^{-h/te}, ...
    pm, pe, pi = math.exp(-h / tm), math.exp(-h / te), math.exp(-h / ti)
    k_e = te / (te - tm) * (pe - pm)
    k_i = ti / (ti - tm) * (pi - pm)
    lif = ann.Neuron(
        parameters=dict(
            E_l=q["E_l"], v_t=q["v_t"], v_r=q["v_r"], P_m=pm, P_e=pe, P_i=pi, K_e=k_e, K_i=k_i
        ),
        # Assignments run in order: v uses the pre-decay currents. Variables named g_*
        # keep being updated during refractoriness; v is frozen (held at v_r).
        equations=[
            "v = E_l + (v - E_l) * P_m + K_e * g_exc + K_i * g_inh",
            "g_exc = P_e * g_exc",
            "g_inh = P_i * g_inh",
        ],
        spike="v > v_t",
        reset="v = v_r",
        refractory=q["t_ref"],
    )
    rng = net.default_rng
    exc = net.create(q["n_e"], lif, name="E")
    inh = net.create(q["n_i"], lif, name="I")
    exc.v = rng.uniform(q["v_r"], q["v_t"], q["n_e"])
    inh.v = rng.uniform(q["v_r"], q["v_t"], q["n_i"])
    d = q["delay_ms"]
    if plastic:
        stdp = ann.Synapse(
            parameters=dict(
                tau_pre=q["tau_pre"],
                tau_post=q["tau_post"],
                w_max=q["w_max"],
                a_plus=q["a_plus"],
                a_minus=q["a_minus"],
            ),
            equations=[
                ann.Variable("tau_pre * dx_pre/dt = -x_pre", method="event-driven"),
                ann.Variable("tau_post * dy_post/dt = -y_post", method="event-driven"),
            ],
            pre_spike="""
                g_target += w
                x_pre += 1.0
                w = clip(w - a_minus * (w / w_max) * y_post, 0.0, w_max)
            """,
            post_spike="""
                y_post += 1.0
                w = clip(w + a_plus * (1.0 - w / w_max) * x_pre, 0.0, w_max)
            """,
        )
        ee = net.connect(exc, exc, target="exc", synapse=stdp, name="EE")
        ee.fixed_probability(q["p"], weights=q["w_e"], delays=d, allow_self_connections=True)
    else:
        ee = net.connect(exc, exc, target="exc", name="EE")
        ee.fixed_probability(q["p"], weights=q["w_e"], delays=d, allow_self_connections=True)
    ei = net.connect(exc, inh, target="exc", name="EI")
    ei.fixed_probability(q["p"], weights=q["w_e"], delays=d)
    ie = net.connect(inh, exc, target="inh", name="IE")
    ie.fixed_probability(q["p"], weights=q["w_i"], delays=d)
    ii = net.connect(inh, inh, target="inh", name="II")
    ii.fixed_probability(q["p"], weights=q["w_i"], delays=d, allow_self_connections=True)
    projs = [ee, ei, ie, ii]
    m_e = net.monitor(exc, "spike")
    m_i = net.monitor(inh, "spike")

    def checks():
        def times(m):
            return [s * C.DT_MS / 1000.0 for lst in m.get("spike").values() for s in lst]

        c = C.w3_rate_checks(times(m_e), times(m_i), args.duration)
        if plastic:
            w = _flat_weights(ee)
            c.update(C.w3_weight_checks(w))
        else:
            c.update(w_ee_mean_mv=q["w_e"])
        return c

    params = dict(n_e=q["n_e"], n_i=q["n_i"], p=q["p"], delay_ms=d, plastic=plastic)
    return params, (lambda: sum(pr.nb_synapses for pr in projs)), checks


def main():
    args = C.parse_args("ANNarchy peer benchmark")
    workdir = tempfile.mkdtemp(prefix="plastix-annarchy-")
    try:
        with C.stdout_to_stderr():
            t0 = time.perf_counter()
            import ANNarchy as ann

            net = ann.Network(dt=C.DT_MS, seed=args.seed)
            net.config(suppress_warnings=True)
            if args.threads > 1:
                net.config(num_threads=args.threads)
            if args.workload in ("w1", "w2"):
                params, n_syn, checks = build_feedforward(ann, net, args)
            else:
                params, n_syn, checks = build_cuba(ann, net, args, args.workload == "w3")
            net.compile(directory=os.path.join(workdir, "annarchy"), silent=True)
            build_s = time.perf_counter() - t0

            t1 = time.perf_counter()
            net.simulate(args.duration * 1000.0)
            run_s = time.perf_counter() - t1
            res = checks()
            res["peak_rss_mb"] = C.peak_rss_mb()
            n = n_syn()
        params.update(dt_ms=C.DT_MS, seed=args.seed, threads=args.threads)
        version = getattr(ann, "__release__", ann.__version__)
        C.emit("annarchy", version, args, params, n, build_s, run_s, res)
    finally:
        if os.environ.get("PEER_KEEP_BUILD"):
            print(f"[peer] build directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
