"""AdExClopath and the Clopath rule: against NumPy float64 loops written from NEST's
equations and update order, against an accurate ODE solution, NEST's timing of a forced
spike, and parameter errors. (NEST's spike-pairing curves: tests/validation.)"""

from typing import Any, ClassVar, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array
from scipy.integrate import solve_ivp

import plastix as px
from plastix.neurons._base import AbstractPopulationModel

DT = 0.1
NAMES = ("v", "w_adapt", "z", "v_th", "u_bar_plus", "u_bar_minus", "u_bar_bar")
NEST = {
    "c_m": 281.0, "g_l": 30.0, "e_l": -70.6, "delta_t": 2.0, "v_th_rest": -50.4,
    "v_th_max": 30.4, "tau_v_th": 50.0, "v_peak": 33.0, "v_reset": -60.0, "t_ref": 0.0,
    "a": 4.0, "b": 80.5, "tau_w": 144.0, "i_sp": 400.0, "tau_z": 40.0, "v_clamp": 33.0,
    "t_clamp": 2.0, "tau_u_bar_plus": 7.0, "tau_u_bar_minus": 10.0, "tau_u_bar_bar": 500.0,
}  # fmt: skip
"""NEST's defaults of aeif_psc_delta_clopath."""


# -- NumPy reference of the neuron ------------------------------------------------------


def numpy_neuron(p, i_e, jumps, substeps=1):
    """NEST's update, step by step: RK4 substeps of the right-hand side (held V while
    clamped or refractory), the spike test after each substep, the step's inputs at its
    end when the neuron was free all step, the spike test, the reset after the clamp.

    ``jumps[k]`` is the input [mV] arriving in step k; returns spikes and the seven state
    variables per step, each ``[steps, n]``.
    """
    n_steps, n = jumps.shape
    h = DT / substeps
    n_clamp, n_ref = round(p["t_clamp"] / DT), round(p["t_ref"] / DT)
    y = np.array(
        [[p["e_l"]] * n, [0.0] * n, [0.0] * n, [p["v_th_rest"]] * n] + [[p["e_l"]] * n] * 3
    )
    clamp, ref = np.zeros(n, int), np.zeros(n, int)
    spikes, out = np.zeros((n_steps, n), bool), np.zeros((n_steps, 7, n))

    def rhs(y, clamped, refractory):
        v, w, z, v_th, u_plus, u_minus, u_bar = y
        v = np.where(
            clamped, p["v_clamp"], np.where(refractory, p["v_reset"], np.minimum(v, p["v_peak"]))
        )
        if p["delta_t"] > 0:
            spike = p["g_l"] * p["delta_t"] * np.exp(np.minimum((v - v_th) / p["delta_t"], 50.0))
        else:
            spike = 0.0
        dv = (-p["g_l"] * (v - p["e_l"]) + spike - w + z + i_e) / p["c_m"]
        dw = (p["a"] * (v - p["e_l"]) - w) / p["tau_w"]
        return np.array([
            np.where(clamped | refractory, 0.0, dv), np.where(clamped, 0.0, dw),
            -z / p["tau_z"], -(v_th - p["v_th_rest"]) / p["tau_v_th"],
            (v - u_plus) / p["tau_u_bar_plus"], (v - u_minus) / p["tau_u_bar_minus"],
            (u_minus - u_bar) / p["tau_u_bar_bar"],
        ])  # fmt: skip

    def threshold(y):
        return p["v_peak"] if p["delta_t"] > 0 else y[3]

    def fire(y, where):
        y = y.copy()
        y[0] = np.where(where, p["v_clamp"], y[0])
        y[1] = np.where(where, y[1] + p["b"], y[1])
        y[2] = np.where(where, p["i_sp"], y[2])
        y[3] = np.where(where, p["v_th_max"], y[3])
        return y

    for k in range(n_steps):
        was_clamped = clamp > 0
        refractory = (ref > 0) & ~was_clamped
        free = ~was_clamped & ~refractory
        fired = np.zeros(n, bool)
        for _ in range(substeps):
            clamped = was_clamped | fired
            k1 = rhs(y, clamped, refractory)
            k2 = rhs(y + h / 2 * k1, clamped, refractory)
            k3 = rhs(y + h / 2 * k2, clamped, refractory)
            k4 = rhs(y + h * k3, clamped, refractory)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            now = free & ~fired & (y[0] >= threshold(y))
            y, fired = fire(y, now), fired | now
        accept = free & ~fired
        y[0] = np.where(accept, y[0] + jumps[k], y[0])
        now = accept & (y[0] >= threshold(y))
        y, fired = fire(y, now), fired | now
        ending = was_clamped & (clamp == 1)
        y[0] = np.where(ending, p["v_reset"], y[0])
        ref = np.where(ending, n_ref, np.maximum(ref - 1, 0))
        clamp = np.where(fired, n_clamp, np.maximum(clamp - 1, 0))
        spikes[k], out[k] = fired, y
    return spikes, out


def _drive(seed, n_in, n, n_steps):
    """Random input spikes (emitted), their synapses and weights [mV]: small EPSPs and
    IPSPs and a few kicks big enough to force spikes (some while clamped: ignored)."""
    rng = np.random.default_rng(seed)
    pre, post = np.nonzero(rng.random((n_in, n)) < 0.5)
    weights = rng.uniform(-3.0, 6.0, pre.size)
    weights[pre == 0] = 85.0  # input 0: the kicks
    emitted = rng.random((n_steps, n_in)) < 0.012
    emitted[:, 0] = False
    emitted[50::93, 0] = True
    emitted[-10:] = False
    steps, units = np.nonzero(emitted)
    return pre, post, weights, steps * DT, units


def _run_neuron(p, i_e, n_steps, seed=3, substeps=1):
    n_in, n = 8, 5
    pre, post, weights, times, units = _drive(seed, n_in, n, n_steps)
    net = px.Network(dt=DT)
    src = net.add(px.Population(px.SpikeTimesInput(times, units), n_in))
    out = net.add(px.Population(px.AdExClopath(**p, i_e=i_e, substeps=substeps), n))
    exc, inh = weights >= 0, weights < 0
    for receptor, sel in (("exc", exc), ("inh", inh)):
        conn = px.from_indices(pre[sel], post[sel], n_in, n)
        net.add(px.Projection(src, out, conn, weights=weights[sel], receptor=receptor))
    spikes = net.add(px.Monitor(out))
    monitors = [net.add(px.Monitor(out, name)) for name in NAMES]
    net.run(n_steps * DT, chunk_size=777, progress=False)
    got = np.zeros((n_steps, n), bool)
    got[np.round(spikes.t / DT).astype(int), spikes.i] = True
    # Input spikes emitted in step e arrive (one-step delay) and move V at the end of e + 1.
    w = np.zeros((n_in, n))
    w[pre, post] = weights
    emitted = np.zeros((n_steps, n_in))
    emitted[np.round(times / DT).astype(int), units] = 1.0
    jumps = np.zeros((n_steps, n))
    jumps[1:] = emitted[:-1] @ w
    return got, np.stack([m.values for m in monitors], axis=1), jumps


@pytest.mark.parametrize(
    "changes, substeps",
    [
        ({}, 1),
        ({"v_reset": -49.6, "b": 0.0805, "t_ref": 0.5, "v_clamp": 40.0}, 3),
        ({"delta_t": 0.0, "t_clamp": 1.0, "v_reset": -65.0}, 1),
    ],
    ids=["nest-defaults", "refractory-substeps", "delta_t-0"],
)
def test_neuron_equals_numpy_reference(changes, substeps):
    p, n_steps = {**NEST, **changes}, 3000
    i_e = np.array([0.0, 200.0, 400.0, 650.0, 900.0])  # per-neuron parameter: a vector leaf
    got, values, jumps = _run_neuron(p, i_e, n_steps, substeps=substeps)
    spikes, expected = numpy_neuron(p, i_e, jumps, substeps)
    kicked = jumps > 50.0
    kicked[1:] |= kicked[:-1].copy()  # a kick spikes at once or in the next step
    assert (spikes & kicked).sum() >= 50 and (spikes & ~kicked).sum() >= 4  # both kinds
    np.testing.assert_array_equal(got, spikes)
    scale = np.array([1.0, 1.0, 10.0, 1.0, 1.0, 1.0, 1.0])[:, None]  # z is ~100 pA
    np.testing.assert_allclose(values / scale, expected / scale, rtol=0, atol=1e-11)


def _single(p, kicks, duration, weight=80.0, **extra):
    """One neuron kicked by ``weight`` [mV] at the emission times ``kicks`` (arriving one
    step later); returns spike times and the state variables per step."""
    net = px.Network(dt=DT)
    src = net.add(px.Population(px.SpikeTimesInput(kicks, np.zeros(len(kicks), int)), 1))
    out = net.add(px.Population(px.AdExClopath(**p, **extra), 1))
    net.add(px.Projection(src, out, px.all_to_all(1, 1), weights=weight))
    spikes = net.add(px.Monitor(out))
    monitors = {name: net.add(px.Monitor(out, name)) for name in NAMES}
    net.run(duration, progress=False)
    return spikes.t, {name: m.values[:, 0] for name, m in monitors.items()}


def test_forced_spike_has_nests_timing_and_clamp():
    # NEST: a kick emitted in step 99 (a spike generator at 10.0 ms) moves V at the end of
    # step 100; V (9.4 mV) diverges, the neuron spikes in step 101 and V is recorded at
    # V_clamp for 20 steps (t_clamp = 2 ms), then at V_reset; b, I_sp and V_th_max apply.
    p = {**NEST, "v_reset": -49.6}
    t, s = _single(p, [9.9], 20.0)
    assert np.allclose(t, [10.1])
    v = s["v"]
    assert v[99] == pytest.approx(-70.6, abs=1e-4)  # (the exponential term: not exactly E_L)
    assert v[100] - v[99] == pytest.approx(80.0, abs=1e-5)
    np.testing.assert_array_equal(v[101:121], 33.0)
    assert v[121] == -49.6 and v[122] < -49.6
    assert s["w_adapt"][101] == pytest.approx(80.5 + s["w_adapt"][100], abs=0.5)
    np.testing.assert_array_equal(s["w_adapt"][101:121], s["w_adapt"][101])  # frozen
    assert s["z"][101] == 400.0 and s["v_th"][101] == 30.4
    # while clamped, u_bar_plus relaxes towards V_clamp (RK4: (dt/tau)^5/120 ~ 5e-12 off)
    gap = 33.0 - s["u_bar_plus"][101:121]
    np.testing.assert_allclose(gap[1:] / gap[:-1], np.exp(-DT / 7.0), rtol=1e-11)


def test_small_input_jumps_v_by_its_weight():
    # NEST's test_SynapseFunctionWithAeifModel: a 2 mV weight moves V by 2 mV.
    _, s = _single(NEST, [10.0], 12.0, weight=2.0)
    assert s["v"][101] - s["v"][100] == pytest.approx(2.0, rel=1e-5)


def test_free_dynamics_after_a_spike_match_an_accurate_ode_solution():
    # After the reset: V, w, z, V_th and the filtered potentials relax together; RK4 at
    # 0.1 ms against DOP853 (rtol 1e-11) over 60 ms from the state after the reset.
    p = {**NEST, "v_reset": -49.6, "b": 0.0805}
    _, s = _single(p, [9.9], 80.0)
    start = 121  # the first free step's initial state is the state after step 121

    def rhs(_, y):
        v, w, z, v_th, u_plus, u_minus, u_bar = y
        vv = min(v, p["v_peak"])
        spike = p["g_l"] * p["delta_t"] * np.exp((vv - v_th) / p["delta_t"])
        return [
            (-p["g_l"] * (vv - p["e_l"]) + spike - w + z) / p["c_m"],
            (p["a"] * (vv - p["e_l"]) - w) / p["tau_w"], -z / p["tau_z"],
            -(v_th - p["v_th_rest"]) / p["tau_v_th"], (vv - u_plus) / p["tau_u_bar_plus"],
            (vv - u_minus) / p["tau_u_bar_minus"], (u_minus - u_bar) / p["tau_u_bar_bar"],
        ]  # fmt: skip

    y0 = [s[name][start] for name in NAMES]
    steps = np.arange(1, 601)
    sol = solve_ivp(rhs, (0, 60.0), y0, method="DOP853", rtol=1e-11, atol=1e-11, t_eval=steps * DT)
    for i, name in enumerate(NAMES):
        np.testing.assert_allclose(
            s[name][start + steps], sol.y[i], rtol=0, atol=1e-8, err_msg=name
        )
    assert s["v"][start:].max() < -40.0  # no spike: the threshold is still high


# -- the rule against a NumPy reference ------------------------------------------------


class ReplayState(NamedTuple):
    v: Array
    u_bar_plus: Array
    u_bar_minus: Array
    u_bar_bar: Array


class Replay(AbstractPopulationModel):
    """Postsynaptic 'neurons' whose state replays given traces (``[steps, 4, n]``)."""

    receptors: ClassVar[tuple[str, ...]] = ("exc",)
    traces: Array

    def init(self, n: int, dt: float) -> ReplayState:
        return ReplayState(*jnp.zeros((4, n)))

    def drive(self, key: Array, steps: Array, n: int, dt: float) -> Array:
        return self.traces[steps]

    def step(self, state: ReplayState, inputs: dict, drive: Any, dt: float):
        return ReplayState(*drive), jnp.zeros(drive.shape[1], bool)


def numpy_rule(r, traces, arrived, pre, post, w0, dt):
    """Clopath's rule per synapse and step: decay x̄; depression for an arrival with
    ū₋ of ``lag + delay`` steps ago; x̄ += 1/τ_x; potentiation with x̄ before the arrival,
    u of ``lag`` steps ago, ū₊ of ``lag + delay`` steps ago; steps before the first
    count as the first. ``arrived[k, s]``: synapse s's spike arrives in step k."""
    lag, delay = round(r["dendritic_delay"] / dt), round(r["delay_u_bars"] / dt)
    w, x = w0.copy(), np.zeros(w0.size)
    out = np.zeros((len(traces), w0.size))
    for k in range(len(traces)):
        x *= np.exp(-dt / r["tau_x"])
        u, _, _, u_bar = traces[max(k - lag, 0)]
        _, u_plus, u_minus, _ = traces[max(k - lag - delay, 0)]
        ltd = r["a_ltd"] * np.maximum(u_minus - r["theta_minus"], 0.0)
        if not r["a_ltd_const"]:
            ltd = ltd * u_bar**2 / r["u_ref_squared"]
        ltp = (
            r["a_ltp"]
            * np.maximum(u - r["theta_plus"], 0)
            * np.maximum(u_plus - r["theta_minus"], 0)
        )
        w = np.where(arrived[k], np.clip(w - ltd[post], r["w_min"], r["w_max"]), w)
        before = x.copy()
        x += arrived[k] / r["tau_x"]
        w = np.clip(w + ltp[post] * before * dt, r["w_min"], r["w_max"])
        out[k] = w
    return out


RULE = {
    "a_ltd": 14e-5, "a_ltp": 8e-5, "theta_minus": -70.6, "theta_plus": -45.3, "tau_x": 15.0,
    "w_min": 0.0, "w_max": 100.0, "u_ref_squared": 60.0, "a_ltd_const": True,
    "delay_u_bars": 4.0, "dendritic_delay": 0.0,
}  # fmt: skip


@pytest.fixture(scope="module")
def post_traces():
    """u, ū₊, ū₋, ū̄ of four kicked neurons from the NumPy neuron reference (1400 steps;
    from step 100 on, so that the first values, which the rule takes as the history before
    the first step, are away from rest)."""
    rng = np.random.default_rng(11)
    n, n_steps = 4, 1500
    jumps = np.where(rng.random((n_steps, n)) < 0.02, rng.uniform(-2.0, 6.0, (n_steps, n)), 0.0)
    jumps[rng.random((n_steps, n)) < 0.004] = 85.0  # forced spikes
    spikes, values = numpy_neuron({**NEST, "v_reset": -49.6, "b": 0.0805}, 0.0, jumps)
    assert spikes.sum() >= 12
    first = values[100, 5]
    assert np.ptp(first) > 1.0 and np.all(first > RULE["theta_minus"])
    return values[100:, [0, 4, 5, 6], :]


@pytest.mark.parametrize("fmt", ["dense", "csr", "coo"])
@pytest.mark.parametrize(
    "changes, per_synapse_delay",
    [
        ({}, False),
        ({"dendritic_delay": 0.3, "a_ltd_const": False, "w_max": 0.55, "w_min": 0.46}, False),
        ({"dendritic_delay": 0.2, "delay_u_bars": 0.0}, True),
    ],
    ids=["nest-defaults", "homeostatic-bounds-lag", "per-synapse-delays"],
)
def test_rule_equals_numpy_reference(post_traces, fmt, changes, per_synapse_delay):
    r = {**RULE, **changes}
    n_steps, n_post = post_traces.shape[0], post_traces.shape[2]
    n_pre = 6
    rng = np.random.default_rng(5)
    emitted = rng.random((n_steps, n_pre)) < 0.03
    emitted[-3:] = False
    pairs = [(i, j) for i in range(n_pre) for j in range(n_post) if rng.random() < 0.6]
    pre, post = (np.array(v) for v in zip(*pairs, strict=True))
    w0 = rng.uniform(0.47, 0.53, pre.size)
    delays = rng.integers(1, 3, pre.size) if per_synapse_delay else np.ones(pre.size, int)

    net = px.Network(dt=DT)
    steps, units = np.nonzero(emitted)
    src = net.add(px.Population(px.SpikeTimesInput(steps * DT, units), n_pre))
    sink = net.add(px.Population(Replay(jnp.asarray(post_traces)), n_post))
    conn = px.from_indices(pre, post, n_pre, n_post, format=fmt)
    canonical = conn.canonical_indices()
    order = np.lexsort((post, pre))  # canonical (pre, post) order of our synapse list
    assert np.array_equal(canonical[0], pre[order]) and np.array_equal(canonical[1], post[order])
    delay = delays[order] * DT if per_synapse_delay else None
    proj = net.add(px.Projection(src, sink, conn, px.Clopath(**r), weights=w0[order], delay=delay))
    got = []
    for _ in range(5):  # (a weight Monitor fails on a masked Dense: read the weights)
        net.run(n_steps // 5 * DT, chunk_size=211, progress=False)
        got.append(net.weights(proj)[pre[order], post[order]])

    arrived = np.zeros((n_steps, pre.size), bool)
    for s in range(pre.size):
        hits = np.nonzero(emitted[:, pre[s]])[0] + delays[s]
        arrived[hits[hits < n_steps], s] = True
    expected = numpy_rule(r, post_traces, arrived, pre, post, w0, DT)[:, order]
    assert np.ptp(expected[-1]) > 1e-3  # the weights moved apart
    checked = expected[n_steps // 5 - 1 :: n_steps // 5]
    np.testing.assert_allclose(np.array(got), checked, rtol=0, atol=1e-12)
    if "w_max" in changes:
        assert np.isclose(expected, r["w_max"]).any() and np.isclose(expected, r["w_min"]).any()


def test_grad_through_rule_and_neuron_parameters():
    """Parameters are leaves: jax.grad of the weight after post-pre and pre-post pairs with
    respect to A_LTP, θ₋ and the neuron's τ_ū₋ matches a finite difference."""
    net = px.Network(dt=DT)
    pre = net.add(px.Population(px.SpikeTimesInput([20.0, 40.0], [0, 0]), 1))
    kicks = net.add(px.Population(px.SpikeTimesInput([9.9, 29.9, 49.9], [0, 0, 0]), 1))
    post = net.add(px.Population(px.AdExClopath(v_reset=-49.6, b=0.0805), 1))
    net.add(px.Projection(kicks, post, px.all_to_all(1, 1), weights=80.0))
    net.add(px.Projection(pre, post, px.all_to_all(1, 1), px.Clopath(), weights=0.5))
    net.build()
    key = jax.random.PRNGKey(0)

    @jax.jit
    def final_weight(a_ltp, theta_minus, tau):
        spec = eqx.tree_at(lambda s: s.projections[1].rule.a_ltp, net.spec, a_ltp)
        spec = eqx.tree_at(lambda s: s.projections[1].rule.theta_minus, spec, theta_minus)
        spec = eqx.tree_at(lambda s: s.populations[2].model.tau_u_bar_minus, spec, tau)
        final, _, _ = px.core.run(spec, net.state, key, 600)
        return final.projections[1].w.sum()

    args = [jnp.asarray(8e-5), jnp.asarray(-70.6), jnp.asarray(10.0)]
    grads = jax.grad(final_weight, argnums=(0, 1, 2))(*args)
    for i, (g, eps) in enumerate(zip(grads, (1e-9, 1e-5, 1e-5), strict=True)):
        up, down = list(args), list(args)
        up[i], down[i] = args[i] + eps, args[i] - eps
        numeric = (final_weight(*up) - final_weight(*down)) / (2 * eps)
        assert abs(float(g)) > 1e-6
        assert float(g) == pytest.approx(float(numeric), rel=1e-5)


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"c_m": 0.0}, "AdExClopath: c_m must be a finite number > 0, got 0.0"),
        ({"tau_z": -1.0}, "tau_z must be a finite number > 0"),
        ({"tau_v_th": float("nan")}, "tau_v_th must be a finite number > 0"),
        ({"tau_u_bar_bar": 0.0}, "tau_u_bar_bar must be a finite number > 0"),
        ({"delta_t": -1.0}, "delta_t must be a finite number >= 0"),
        ({"t_clamp": -2.0}, "t_clamp must be a finite number >= 0"),
        ({"t_ref": -0.1}, "t_ref must be a finite number >= 0"),
        ({"v_reset": 40.0}, "v_reset must be below v_peak, got v_reset=40.0, v_peak=33.0"),
        ({"v_init": 33.0}, "v_init must be below v_peak"),
        ({"v_th_max": -60.0}, "v_th_rest must be at most v_th_max"),
        ({"v_th_rest": 40.0, "v_th_max": 50.0}, "v_th_rest must be at most v_peak"),
        ({"substeps": 0}, "substeps must be an integer >= 1, got 0"),
    ],
)
def test_neuron_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        px.AdExClopath(**kwargs)


def test_neuron_clamp_shorter_than_a_step():
    net = px.Network(dt=DT)
    net.add(px.Population(px.AdExClopath(t_clamp=0.04), 1))
    with pytest.raises(ValueError, match="t_clamp must last at least one step"):
        net.run(1.0, progress=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"a_ltd": -1.0}, "Clopath: a_ltd must be a finite number >= 0, got -1.0"),
        ({"a_ltp": float("inf")}, "a_ltp must be a finite number >= 0"),
        ({"tau_x": 0.0}, "tau_x must be a finite number > 0"),
        ({"u_ref_squared": -60.0}, "u_ref_squared must be a finite number > 0"),
        ({"w_min": 1.0, "w_max": 1.0}, "w_max must be > w_min, got w_min=1.0, w_max=1.0"),
        ({"delay_u_bars": 4.05}, "delay_u_bars must be a whole multiple of dt = 0.1 ms"),
        ({"dendritic_delay": -0.1}, "dendritic_delay must be a finite number >= 0"),
        ({"a_ltd_const": 1}, "a_ltd_const must be True or False, got 1"),
    ],
)
def test_rule_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        px.Clopath(**kwargs)


def _clopath_net(post_model, rule):
    net = px.Network(dt=DT)
    src = net.add(px.Population(px.SpikeTimesInput([1.0], [0]), 1))
    dst = net.add(px.Population(post_model, 1))
    net.add(px.Projection(src, dst, px.all_to_all(1, 1), rule, weights=0.5))
    return net


def test_rule_needs_a_postsynaptic_state_with_filtered_potentials():
    net = _clopath_net(px.AdEx(), px.Clopath())
    with pytest.raises(ValueError, match=r"lacks \['u_bar_plus', 'u_bar_minus'\]; use AdExClopath"):
        net.run(1.0, progress=False)
    net = _clopath_net(Replay(jnp.zeros((20, 4, 1))), px.Clopath(a_ltd_const=False))
    net.run(1.0, progress=False)  # u_bar_bar present: fine


def test_rule_dt_must_match_the_network():
    net = _clopath_net(px.AdExClopath(), px.Clopath(dt=0.05))
    with pytest.raises(ValueError, match=r"dt=0.05 ms sizes .* network runs at dt=0.1 ms"):
        net.run(1.0, progress=False)
