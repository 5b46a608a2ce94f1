"""BrainPy (2.x, on JAX + brainevent) peer for the plastix benchmark workloads.

Run with the BrainPy venv's interpreter, e.g.
    ~/.cache/plastix-peers/brainpy/bin/python benchmarks/peers/brainpy_bench.py \
        --workload w1 --duration 10
Prints one JSON line (the last line of stdout).

Idioms used: bp.dyn neuron groups (PoissonGroup, Lif, LifRef), AlignPost projections
with event-driven CSR transmission (bp.dnn.EventCSRLinear -> brainevent kernels),
bp.dyn.STDP_Song2000 for the additive W1/W2 rule, homogeneous projection delays.
W3's multiplicative soft-bound rule is not among BrainPy's built-in rules: it is written
here as an STDP_Song2000 subclass whose weight update gathers only the CSR rows
(pre spikes) / CSC columns (post spikes) of neurons that spiked.

Limitations: BrainPy projections take one homogeneous delay, so W2 --delay random is
reported as unsupported (JSON with "unsupported", exit status 3). JAX default float32.

Timing: the simulation runs as a jitted bm.for_loop over chunks of steps. build_s =
construction + tracing/compiling the chunk function (two warm-up chunks, after which
every state variable and the RNG key are restored); run_s = wall time of the real chunks.
PEER_BRAINEVENT_BACKEND=jax_raw switches brainevent's CPU kernels from numba to XLA.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

C.prepend_venv_to_path()

MAX_CHUNK_STEPS = 1000  # 100 ms per jitted for_loop call
MAX_SPIKES_PER_STEP = 16  # W3 plasticity: spiking neurons handled per gather batch


def _set_threads(n: int) -> None:
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ["NUMBA_NUM_THREADS"] = str(n)
    os.environ["OMP_NUM_THREADS"] = str(n)
    if n == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()


def _make_softbound_stdp(bp, bm, jnp, jax, np):
    """STDP_Song2000 with W3's multiplicative soft-bound update, event-driven over CSR."""

    class SoftBoundSTDP(bp.dyn.STDP_Song2000):
        def __init__(self, *a, a_plus, a_minus, w_max, **kw):
            super().__init__(
                *a, tau_s=C.W3["tau_pre"], tau_t=C.W3["tau_post"], W_max=w_max, W_min=0.0, **kw
            )
            self.a_plus, self.a_minus, self.w_max_ = a_plus, a_minus, w_max
            ind = np.asarray(self.comm.indices)
            ptr = np.asarray(self.comm.indptr)
            n_pre, n_post = self.comm.conn.pre_num, self.comm.conn.post_num
            n_syn = ind.size
            # CSR (by pre) and CSC (by post) views of the same weight vector
            row_of = np.repeat(np.arange(n_pre), np.diff(ptr))
            order = np.argsort(ind, kind="stable")
            cptr = np.concatenate([[0], np.cumsum(np.bincount(ind, minlength=n_post))])
            self._n_syn = n_syn
            self._ptr = jnp.asarray(np.concatenate([ptr, [n_syn]]))  # + sentinel row
            self._cptr = jnp.asarray(np.concatenate([cptr, [n_syn]]))
            self._post_of = jnp.asarray(ind)
            self._pre_of = jnp.asarray(row_of)
            self._csc_syn = jnp.asarray(np.concatenate([order, [n_syn]]))
            self._kr = int(np.diff(ptr).max())
            self._kc = int(np.diff(cptr).max())
            self._n_pre, self._n_post = n_pre, n_post

        def _gather_update(self, w, spikes, ptr, k, syn_map, fn, n, transmit=False):
            """Apply fn to the synapses of every spiking neuron (CSR rows or CSC columns),
            S spiking neurons at a time (exact for any number of spikes). With transmit,
            also sum the pre-update weights of those synapses onto their targets."""
            S = MAX_SPIKES_PER_STEP
            n_pad = -(-n // S) * S
            ids_all = jnp.nonzero(spikes, size=n_pad, fill_value=n)[0]
            count = spikes.sum()

            def body(state):
                b, w, cur = state
                ids = jax.lax.dynamic_slice(ids_all, (b * S,), (S,))
                start, end = ptr[ids], ptr[ids + 1]
                offs = start[:, None] + jnp.arange(k)[None, :]
                pos = jnp.where(offs < end[:, None], offs, self._n_syn)
                syn = pos if syn_map is None else syn_map[pos]
                wg = w.at[syn].get(mode="fill", fill_value=0.0)
                if transmit:
                    post = self._post_of.at[syn].get(mode="fill", fill_value=self._n_post)
                    cur = cur.at[post].add(wg, mode="drop")
                return b + 1, w.at[syn].set(fn(wg, syn), mode="drop"), cur

            cur0 = jnp.zeros(self._n_post, w.dtype)
            _, w, cur = jax.lax.while_loop(lambda st: st[0] * S < count, body, (0, w, cur0))
            return w, cur

        def _depress(self, wg, syn):
            y = self.refs["post_trace"].g.value
            post = self._post_of.at[syn].get(mode="fill", fill_value=0)
            return jnp.clip(wg - self.a_minus * (wg / self.w_max_) * y[post], 0.0, self.w_max_)

        def _potentiate(self, wg, syn):
            x = self.refs["pre_trace"].g.value
            pre = self._pre_of.at[syn].get(mode="fill", fill_value=0)
            return jnp.clip(wg + self.a_plus * (1.0 - wg / self.w_max_) * x[pre], 0.0, self.w_max_)

        def update(self):
            pre_spike = bm.as_jax(self.refs["delay"].at(self.name))
            post_spike = bm.as_jax(self.refs["post"].spike.value)
            # On a (delayed) pre spike: ge += w with the pre-update weight, then depress.
            # Transmission is fused into the same row gather (calling the CSR event
            # kernel on the weight that is updated in place makes XLA copy it each step).
            w = self.comm.weight.value
            w, current = self._gather_update(
                w, pre_spike, self._ptr, self._kr, None, self._depress, self._n_pre, transmit=True
            )
            self.refs["syn"].add_current(current)
            w, _ = self._gather_update(
                w, post_spike, self._cptr, self._kc, self._csc_syn, self._potentiate, self._n_post
            )
            self.comm.weight.value = w
            return current

    return SoftBoundSTDP


def build_feedforward(bp, bm, np, args):
    p = C.ff_params(args)
    if p["delay"] == "random":
        return None
    delay = None if p["delay"] == "none" else 2.0

    class FF(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            self.inp = bp.dyn.PoissonGroup(p["n_in"], freqs=p["rate_hz"])
            # W1 neuron: tau_m dv/dt = E_l - v + ge (E_e - v), forward Euler, no refractory
            self.out = bp.dyn.Lif(
                p["n_out"],
                V_rest=p["E_l"],
                V_reset=p["v_r"],
                V_th=p["v_t"],
                tau=p["tau_m"],
                R=1.0,
                method="euler",
                V_initializer=bp.init.Constant(p["E_l"]),
            )
            w0 = (
                np.random.default_rng(args.seed)
                .uniform(0.0, p["g_max"], p["n_in"] * p["n_out"])
                .astype(np.float32)
            )
            comm = bp.dnn.EventCSRLinear(
                bp.conn.All2All(pre=p["n_in"], post=p["n_out"]), weight=bm.asarray(w0)
            )
            comm.weight = bm.Variable(comm.weight)  # plastic: must be a state variable
            self.stdp = bp.dyn.STDP_Song2000(
                pre=self.inp,
                delay=delay,
                comm=comm,
                syn=bp.dyn.Expon.desc(p["n_out"], tau=p["tau_e"]),
                out=bp.dyn.COBA.desc(E=p["E_e"]),
                post=self.out,
                tau_s=p["tau_pre"],
                tau_t=p["tau_post"],
                A1=p["dA_pre"],
                A2=-p["dA_post"],
                W_min=0.0,
                W_max=p["g_max"],
            )

        def update(self):
            self.stdp()
            self.inp()
            self.out()
            return self.out.spike.value.sum()

    net = FF()

    def checks(counts_per_step):
        c = _rate_from_counts(counts_per_step, p["n_out"], args.duration)
        w = np.asarray(net.stdp.comm.weight.value, dtype=np.float64)
        c.update(C.weight_checks(w, p["g_max"], args.duration, args.workload))
        return c

    params = {k: p[k] for k in ("n_in", "n_out", "g_max", "delay", "rate_hz")}
    if args.workload == "w2":
        params["S"] = args.synapses
    return net, params, p["n_synapses"], checks


def _rate_from_counts(counts, n, duration):
    import numpy as np

    counts = np.asarray(counts, dtype=np.float64).reshape(-1)
    steps_per_s = int(round(1000.0 / C.DT_MS))
    win = min(len(counts), steps_per_s)
    win_s = win * C.DT_MS / 1000.0
    return dict(
        rate_hz=float(counts.sum() / (n * duration)),
        rate_first_s_hz=float(counts[:win].sum() / (n * win_s)),
        rate_last_s_hz=float(counts[-win:].sum() / (n * win_s)),
    )


def build_cuba(bp, bm, np, jnp, jax, args, plastic):
    q = C.W3
    d = q["delay_ms"]
    SoftBoundSTDP = _make_softbound_stdp(bp, bm, jnp, jax, np)
    rng = np.random.default_rng(args.seed)

    def conn(n_pre, n_post, _k):
        """Bernoulli(p) for every ordered pair, autapses allowed, as a CSR connector
        (bp.conn.FixedProb draws a fixed number of targets per neuron instead)."""
        idx, ptr = [], [np.zeros(1, np.int64)]
        for r0 in range(0, n_pre, 1000):
            m = rng.random((min(1000, n_pre - r0), n_post)) < q["p"]
            idx.append(np.nonzero(m)[1].astype(np.int32))
            ptr.append(ptr[-1][-1] + np.cumsum(m.sum(axis=1)))
        indptr = np.concatenate(ptr).astype(np.int32)
        return bp.conn.CSRConn(np.concatenate(idx), indptr)(n_pre, n_post)

    class EI(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            kw = dict(
                V_rest=q["E_l"],
                V_reset=q["v_r"],
                V_th=q["v_t"],
                tau=q["tau_m"],
                tau_ref=q["t_ref"],
                R=1.0,
                V_initializer=bp.init.Uniform(q["v_r"], q["v_t"]),
            )
            self.E = bp.dyn.LifRef(q["n_e"], **kw)
            self.I = bp.dyn.LifRef(q["n_i"], **kw)
            ee = conn(q["n_e"], q["n_e"], 0)
            if plastic:
                n_ee = ee.require("csr")[0].size
                comm = bp.dnn.EventCSRLinear(ee, weight=bm.ones(n_ee) * q["w_e"])
                comm.weight = bm.Variable(comm.weight)  # plastic: must be a state variable
                self.EE = SoftBoundSTDP(
                    pre=self.E,
                    delay=d,
                    comm=comm,
                    syn=bp.dyn.Expon.desc(q["n_e"], tau=q["tau_e"]),
                    out=bp.dyn.CUBA.desc(),
                    post=self.E,
                    a_plus=q["a_plus"],
                    a_minus=q["a_minus"],
                    w_max=q["w_max"],
                )
            else:
                self.EE = bp.dyn.FullProjAlignPostMg(
                    pre=self.E,
                    delay=d,
                    comm=bp.dnn.EventCSRLinear(ee, weight=q["w_e"]),
                    syn=bp.dyn.Expon.desc(q["n_e"], tau=q["tau_e"]),
                    out=bp.dyn.CUBA.desc(),
                    post=self.E,
                )
            self.EI = bp.dyn.FullProjAlignPostMg(
                pre=self.E,
                delay=d,
                comm=bp.dnn.EventCSRLinear(conn(q["n_e"], q["n_i"], 1), weight=q["w_e"]),
                syn=bp.dyn.Expon.desc(q["n_i"], tau=q["tau_e"]),
                out=bp.dyn.CUBA.desc(),
                post=self.I,
            )
            self.IE = bp.dyn.FullProjAlignPostMg(
                pre=self.I,
                delay=d,
                comm=bp.dnn.EventCSRLinear(conn(q["n_i"], q["n_e"], 2), weight=q["w_i"]),
                syn=bp.dyn.Expon.desc(q["n_e"], tau=q["tau_i"]),
                out=bp.dyn.CUBA.desc(),
                post=self.E,
            )
            self.II = bp.dyn.FullProjAlignPostMg(
                pre=self.I,
                delay=d,
                comm=bp.dnn.EventCSRLinear(conn(q["n_i"], q["n_i"], 3), weight=q["w_i"]),
                syn=bp.dyn.Expon.desc(q["n_i"], tau=q["tau_i"]),
                out=bp.dyn.CUBA.desc(),
                post=self.I,
            )
            self._conns = [self.EE, self.EI, self.IE, self.II]

        def update(self):
            for pr in self._conns:
                pr()
            self.E()
            self.I()
            return jnp.stack([self.E.spike.value.sum(), self.I.spike.value.sum()])

    net = EI()
    n_syn = sum(int(pr.comm.indices.size) for pr in net._conns)

    def checks(counts):
        counts = np.asarray(counts).reshape(-1, 2).astype(np.int64)
        t = np.arange(counts.shape[0]) * C.DT_MS / 1000.0  # step start times
        c = C.w3_rate_checks(np.repeat(t, counts[:, 0]), np.repeat(t, counts[:, 1]), args.duration)
        if plastic:
            w = np.asarray(net.EE.comm.weight.value, dtype=np.float64)
            c.update(C.w3_weight_checks(w))
        else:
            c.update(w_ee_mean_mv=q["w_e"])
        return c

    params = dict(n_e=q["n_e"], n_i=q["n_i"], p=q["p"], delay_ms=d, plastic=plastic)
    return net, params, n_syn, checks


def main():
    args = C.parse_args("BrainPy peer benchmark")
    _set_threads(args.threads)
    with C.stdout_to_stderr():
        t0 = time.perf_counter()
        import warnings

        warnings.filterwarnings("ignore")
        import brainpy as bp
        import brainpy.math as bm
        import jax
        import jax.numpy as jnp
        import numpy as np

        bm.set_platform("cpu")
        bm.set_dt(C.DT_MS)
        bm.random.seed(args.seed)
        backend = os.environ.get("PEER_BRAINEVENT_BACKEND")  # e.g. numba (default), jax_raw
        if backend:
            import brainevent

            brainevent.config.set_backend("cpu", backend)
        if args.workload in ("w1", "w2"):
            built = build_feedforward(bp, bm, np, args)
            if built is None:
                rec = dict(
                    system="brainpy",
                    version=bp.__version__,
                    workload=args.workload,
                    params=dict(S=args.synapses, delay=args.delay),
                    n_synapses=0,
                    build_s=None,
                    run_s=None,
                    sim_s=args.duration,
                    checks={},
                    unsupported="per-synapse (random) delays: BrainPy "
                    "projections support one homogeneous delay",
                )
        else:
            built = build_cuba(bp, bm, np, jnp, jax, args, args.workload == "w3")
    if built is None:
        sys.stdout.write(json.dumps(rec) + "\n")
        sys.exit(3)
    with C.stdout_to_stderr():
        net, params, n_syn, checks = built
        n_steps = int(round(args.duration * 1000.0 / C.DT_MS))
        chunk = math.gcd(n_steps, MAX_CHUNK_STEPS)

        loop = bm.jit(lambda idx: bm.for_loop(net.step_run, idx))

        def run_chunk(i0):
            return loop(jnp.arange(i0, i0 + chunk))

        # warm-up: two chunks (the first call traces/compiles, the second settles the
        # state-variable discovery), then restore every state variable and the RNG key
        state = net.vars().unique()
        saved = {k: v.value for k, v in state.items()}
        saved_key = bm.random.DEFAULT.value
        for _ in range(2):
            jax.block_until_ready(run_chunk(0))
        for k, v in state.items():
            v.value = saved[k]
        bm.random.DEFAULT.value = saved_key
        build_s = time.perf_counter() - t0

        outs = []
        t1 = time.perf_counter()
        for i0 in range(0, n_steps, chunk):
            outs.append(run_chunk(i0))
            if os.environ.get("PEER_DEBUG"):
                jax.block_until_ready(outs[-1])
                print(f"[brainpy] chunk {i0}: {time.perf_counter() - t1:.3f}s", file=sys.stderr)
        jax.block_until_ready(outs)
        run_s = time.perf_counter() - t1
        res = checks(np.concatenate([np.asarray(o) for o in outs]))
        res["peak_rss_mb"] = C.peak_rss_mb()
    params.update(
        dt_ms=C.DT_MS,
        seed=args.seed,
        threads=args.threads,
        chunk_steps=chunk,
        jax=jax.__version__,
        dtype=np.dtype(bm.float_).name,
        brainevent_backend=os.environ.get("PEER_BRAINEVENT_BACKEND", "default"),
    )
    C.emit("brainpy", bp.__version__, args, params, n_syn, build_s, run_s, res)


if __name__ == "__main__":
    main()
