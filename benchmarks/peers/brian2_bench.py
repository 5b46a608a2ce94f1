"""Brian2 (C++ standalone) peer for the plastix benchmark workloads W1, W2, W3.

Run with the Brian2 venv's interpreter, e.g.
    ~/.cache/plastix-peers/brian2/bin/python benchmarks/peers/brian2_bench.py \
        --workload w1 --duration 10
Prints one JSON line (the last line of stdout); compiler/Brian output goes to stderr.

Timing: build_s = Python network construction + code generation + C++ compilation;
run_s = the standalone binary's own measurement of the network run
(device._last_run_time), which excludes loading arrays and creating synapses.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

C.prepend_venv_to_path()

# Wraps the standalone binary to measure its peak RSS (compilers excluded).
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def build_feedforward(b2, args):
    """W1 / W2: Poisson inputs -> conductance LIF outputs with additive pair STDP."""
    ms, mV, Hz = b2.ms, b2.mV, b2.Hz
    p = C.ff_params(args)
    ns = dict(
        tau_m=p["tau_m"] * ms,
        E_e=p["E_e"] * mV,
        E_l=p["E_l"] * mV,
        v_t=p["v_t"] * mV,
        v_r=p["v_r"] * mV,
        tau_e=p["tau_e"] * ms,
        tau_pre=p["tau_pre"] * ms,
        tau_post=p["tau_post"] * ms,
        g_max=p["g_max"],
        dA_pre=p["dA_pre"],
        dA_post=p["dA_post"],
    )
    inputs = b2.PoissonGroup(p["n_in"], rates=p["rate_hz"] * Hz, name="inputs")
    # Nonlinear (ge * v) system: forward Euler at dt = 0.1 ms.
    out = b2.NeuronGroup(
        p["n_out"],
        """dv/dt = (ge * (E_e - v) + E_l - v) / tau_m : volt
           dge/dt = -ge / tau_e : 1""",
        threshold="v > v_t",
        reset="v = v_r",
        method="euler",
        namespace=ns,
        name="out",
    )
    out.v = p["E_l"] * mV
    syn = b2.Synapses(
        inputs,
        out,
        """w : 1
           dA_pre_tr/dt = -A_pre_tr / tau_pre : 1 (event-driven)
           dA_post_tr/dt = -A_post_tr / tau_post : 1 (event-driven)""",
        on_pre="""ge_post += w
                  A_pre_tr += dA_pre
                  w = clip(w + A_post_tr, 0, g_max)""",
        on_post="""A_post_tr += dA_post
                   w = clip(w + A_pre_tr, 0, g_max)""",
        namespace=ns,
        name="stdp",
    )
    syn.connect()  # all-to-all
    syn.w = "rand() * g_max"
    if p["delay"] == "2ms":
        syn.delay = 2.0 * ms
    elif p["delay"] == "random":
        lo, hi = C.RANDOM_DELAY_STEPS
        syn.delay = f"({lo} + floor(rand() * {hi - lo + 1})) * {C.DT_MS} * ms"
    # delay "none": Brian2 allows 0 (spike is delivered in the same step)
    mon = b2.SpikeMonitor(out, name="out_spikes")
    objs = [inputs, out, syn, mon]

    def checks():
        t = mon.t[:] / b2.second
        c = C.rate_checks(t, p["n_out"], args.duration)
        c.update(C.weight_checks(syn.w[:], p["g_max"], args.duration, args.workload))
        return c

    params = {k: p[k] for k in ("n_in", "n_out", "g_max", "delay", "rate_hz")}
    if args.workload == "w2":
        params["S"] = args.synapses
    return objs, params, p["n_synapses"], checks


def build_cuba(b2, args, plastic):
    """W3: 8000 E + 2000 I CUBA LIF, p = 0.1, delay 1.5 ms, E->E soft-bound STDP."""
    ms, mV = b2.ms, b2.mV
    q = C.W3
    n = q["n_e"] + q["n_i"]
    ns = dict(
        tau_m=q["tau_m"] * ms,
        tau_e=q["tau_e"] * ms,
        tau_i=q["tau_i"] * ms,
        E_l=q["E_l"] * mV,
        v_t=q["v_t"] * mV,
        v_r=q["v_r"] * mV,
        w_e=q["w_e"] * mV,
        w_i=q["w_i"] * mV,
        w_max=q["w_max"] * mV,
        a_plus=q["a_plus"] * mV,
        a_minus=q["a_minus"] * mV,
        tau_pre=q["tau_pre"] * ms,
        tau_post=q["tau_post"] * ms,
    )
    grp = b2.NeuronGroup(
        n,
        """dv/dt = (E_l - v + ge + gi) / tau_m : volt (unless refractory)
           dge/dt = -ge / tau_e : volt
           dgi/dt = -gi / tau_i : volt""",
        threshold="v > v_t",
        reset="v = v_r",
        refractory=q["t_ref"] * ms,
        method="exact",
        namespace=ns,
        name="cuba",
    )
    grp.v = "v_r + rand() * (v_t - v_r)"
    exc, inh = grp[: q["n_e"]], grp[q["n_e"] :]
    delay = q["delay_ms"] * ms
    objs = [grp]
    if plastic:
        ee = b2.Synapses(
            exc,
            exc,
            """w : volt
               dxtr/dt = -xtr / tau_pre : 1 (event-driven)
               dytr/dt = -ytr / tau_post : 1 (event-driven)""",
            on_pre="""ge_post += w
                      xtr += 1
                      w = clip(w - a_minus * (w / w_max) * ytr, 0 * mV, w_max)""",
            on_post="""ytr += 1
                       w = clip(w + a_plus * (1 - w / w_max) * xtr, 0 * mV, w_max)""",
            delay=delay,
            namespace=ns,
            name="ee",
        )
        ee.connect(p=q["p"])  # includes i == j (autapses allowed)
        ee.w = "w_e"
        ei = b2.Synapses(exc, inh, on_pre="ge_post += w_e", delay=delay, namespace=ns, name="ei")
        ei.connect(p=q["p"])
        objs += [ee, ei]
    else:
        # control: all E synapses static, so one E -> all pathway
        ee = None
        ex = b2.Synapses(exc, grp, on_pre="ge_post += w_e", delay=delay, namespace=ns, name="e_all")
        ex.connect(p=q["p"])
        objs += [ex]
    ii = b2.Synapses(inh, grp, on_pre="gi_post += w_i", delay=delay, namespace=ns, name="i_all")
    ii.connect(p=q["p"])
    objs.append(ii)
    mon = b2.SpikeMonitor(grp, name="cuba_spikes")
    objs.append(mon)

    def checks():
        i, t = mon.i[:], mon.t[:] / b2.second
        c = C.w3_rate_checks(t[i < q["n_e"]], t[i >= q["n_e"]], args.duration)
        if ee is not None:
            w = ee.w[:] / mV
            c.update(C.w3_weight_checks(w))
        else:
            c.update(w_ee_mean_mv=q["w_e"])
        return c

    def n_synapses():
        return sum(len(s) for s in objs if isinstance(s, b2.Synapses))

    params = dict(n_e=q["n_e"], n_i=q["n_i"], p=q["p"], delay_ms=q["delay_ms"], plastic=plastic)
    return objs, params, n_synapses, checks


def main():
    args = C.parse_args("Brian2 C++ standalone peer benchmark")
    workdir = tempfile.mkdtemp(prefix="plastix-brian2-")
    try:
        with C.stdout_to_stderr():
            t0 = time.perf_counter()
            import brian2 as b2

            b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
            b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j", str(os.cpu_count() or 1)]
            if args.threads > 1:
                b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
            rss_file = os.path.join(workdir, "peak_rss_kib")
            b2.prefs.devices.cpp_standalone.run_cmd_unix = [
                sys.executable,
                "-c",
                _RSS_WRAPPER,
                rss_file,
                "./main",
            ]
            b2.defaultclock.dt = C.DT_MS * b2.ms
            b2.seed(args.seed)

            if args.workload in ("w1", "w2"):
                objs, params, n_syn, checks = build_feedforward(b2, args)
            else:
                objs, params, n_syn, checks = build_cuba(b2, args, args.workload == "w3")
            net = b2.Network(*objs)
            net.run(args.duration * b2.second)
            b2.device.build(directory=workdir, compile=True, run=False, with_output=False)
            build_s = time.perf_counter() - t0

            t1 = time.perf_counter()
            b2.device.run(with_output=False)
            exec_wall_s = time.perf_counter() - t1
            run_s = float(b2.device._last_run_time)
            res = checks()
            n_syn = n_syn() if callable(n_syn) else n_syn
            with open(rss_file) as f:
                rss_mb = int(f.read()) / 1024.0
            res["peak_rss_mb"] = rss_mb
        params.update(dt_ms=C.DT_MS, seed=args.seed, threads=args.threads, device="cpp_standalone")
        C.emit(
            "brian2",
            b2.__version__,
            args,
            params,
            n_syn,
            build_s,
            run_s,
            res,
            extra=dict(exec_wall_s=exec_wall_s),
        )
    finally:
        if os.environ.get("PEER_KEEP_BUILD"):
            print(f"[peer] build directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
