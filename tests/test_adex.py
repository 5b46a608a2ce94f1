"""AdEx neuron: against a NumPy float64 loop of its documented scheme, against a tight
ODE solution, its firing patterns, and parameter errors."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import plastix as px

DT = 0.1
# Brette & Gerstner (2005): NEST's defaults except the reset (NEST: -60 mV).
BG = {"c_m": 281.0, "v_reset": -70.6}


def numpy_adex(p, i_e, jumps_exc, jumps_inh):
    """RK4 on (V, w) with exact synaptic currents at the stage times; clamp, reset, decay.

    ``p`` holds scalar parameters, ``i_e`` is per neuron; returns spikes, V and w per step.
    """
    n_steps, n = jumps_exc.shape
    spike_at = p["v_peak"] if p["delta_t"] > 0 else p["v_th"]
    n_ref = int(round(p["t_ref"] / DT))

    def rhs(v, w, current):
        v = np.minimum(v, p["v_peak"])
        x = np.minimum((v - p["v_th"]) / p["delta_t"], 50.0) if p["delta_t"] > 0 else None
        spike = p["g_l"] * p["delta_t"] * np.exp(x) if p["delta_t"] > 0 else 0.0
        dv = (-p["g_l"] * (v - p["e_l"]) + spike - w + current) / p["c_m"]
        return dv, (p["a"] * (v - p["e_l"]) - w) / p["tau_w"]

    v, w = np.full(n, p["e_l"]), np.zeros(n)
    i_exc, i_inh, ref = np.zeros(n), np.zeros(n), np.zeros(n, int)
    spikes, vs, ws = np.zeros((n_steps, n), bool), np.zeros((n_steps, n)), np.zeros((n_steps, n))
    for k in range(n_steps):
        i_exc, i_inh = i_exc + jumps_exc[k], i_inh + jumps_inh[k]

        def current(s, i_exc=i_exc, i_inh=i_inh):
            decay_e, decay_i = np.exp(-s / p["tau_syn_exc"]), np.exp(-s / p["tau_syn_inh"])
            return i_exc * decay_e + i_inh * decay_i + i_e

        k1 = rhs(v, w, current(0.0))
        k2 = rhs(v + DT / 2 * k1[0], w + DT / 2 * k1[1], current(DT / 2))
        k3 = rhs(v + DT / 2 * k2[0], w + DT / 2 * k2[1], current(DT / 2))
        k4 = rhs(v + DT * k3[0], w + DT * k3[1], current(DT))
        v_new = v + DT / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        w_new = w + DT / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        w_rest = p["a"] * (p["v_reset"] - p["e_l"])
        w_clamped = w_rest + (w - w_rest) * np.exp(-DT / p["tau_w"])
        free = ref == 0
        v = np.where(free, v_new, p["v_reset"])
        w = np.where(free, w_new, w_clamped)
        fired = free & (v >= spike_at)
        v = np.where(fired, p["v_reset"], v)
        w = np.where(fired, w + p["b"], w)
        ref = np.where(fired, n_ref, np.maximum(ref - 1, 0))
        i_exc = i_exc * np.exp(-DT / p["tau_syn_exc"])
        i_inh = i_inh * np.exp(-DT / p["tau_syn_inh"])
        spikes[k], vs[k], ws[k] = fired, v, w
    return spikes, vs, ws


def _params(**changes):
    p = {
        "c_m": 281.0,
        "g_l": 30.0,
        "e_l": -70.6,
        "v_th": -50.4,
        "delta_t": 2.0,
        "v_peak": 0.0,
        "v_reset": -60.0,
        "t_ref": 0.0,
        "a": 4.0,
        "b": 80.5,
        "tau_w": 144.0,
        "tau_syn_exc": 0.2,
        "tau_syn_inh": 2.0,
    }
    return {**p, **changes}


@pytest.mark.parametrize(
    "changes",
    [{}, {"t_ref": 2.0, "tau_syn_exc": 1.5, "v_peak": 20.0}, {"delta_t": 0.0, "t_ref": 1.0}],
    ids=["nest-defaults", "refractory", "delta_t-0"],
)
def test_adex_network_equals_numpy_reference(changes):
    rng = np.random.default_rng(7)
    n_in, n, n_steps = 20, 6, 3000
    i_e = np.linspace(600.0, 1100.0, n)  # per-neuron parameter: a vector leaf
    weights, pairs = {}, {}
    for receptor, (low, high) in (("exc", (0.0, 4000.0)), ("inh", (-600.0, 0.0))):
        pairs[receptor] = np.nonzero(rng.random((n_in, n)) < 0.4)
        weights[receptor] = rng.uniform(low, high, pairs[receptor][0].size)
    times = rng.uniform(0.0, n_steps * DT - 1.0, 400)
    units = rng.integers(0, n_in, 400)

    p = _params(**changes)
    net = px.Network(dt=DT)
    src = net.add(px.Population(px.SpikeTimesInput(times, units), n_in))
    out = net.add(px.Population(px.AdEx(**p, i_e=i_e), n))
    for receptor, (pre, post) in pairs.items():
        conn = px.from_indices(pre, post, n_in, n)
        net.add(px.Projection(src, out, conn, weights=weights[receptor], receptor=receptor))
    spikes_mon, src_mon = net.add(px.Monitor(out)), net.add(px.Monitor(src))
    v_mon, w_mon = net.add(px.Monitor(out, "v")), net.add(px.Monitor(out, "w_adapt"))
    net.run(n_steps * DT, chunk_size=700, progress=False)

    # Input spikes arrive one step after they are emitted (the minimum delay).
    emitted = np.zeros((n_steps, n_in))
    emitted[np.round(src_mon.t / DT).astype(int), src_mon.i] = 1.0
    jumps = {}
    for receptor, (pre, post) in pairs.items():
        w = np.zeros((n_in, n))
        w[pre, post] = weights[receptor]
        jumps[receptor] = np.zeros((n_steps, n))
        jumps[receptor][1:] = emitted[:-1] @ w
    spikes, vs, ws = numpy_adex(p, i_e, jumps["exc"], jumps["inh"])
    got = np.zeros((n_steps, n), bool)
    got[np.round(spikes_mon.t / DT).astype(int), spikes_mon.i] = True
    assert spikes.sum() > 40
    np.testing.assert_array_equal(got, spikes)
    # Above V_T the exponential upswing amplifies last-bit differences (exp vs np.exp) by
    # up to exp((V - V_T)/delta_t): there V agrees to a relative 1e-9 (~1e-10 seen).
    below = vs < p["v_th"]
    np.testing.assert_allclose(v_mon.values[below], vs[below], rtol=0, atol=1e-10)
    np.testing.assert_allclose(v_mon.values[~below], vs[~below], rtol=1e-9, atol=0)
    np.testing.assert_allclose(w_mon.values, ws, rtol=0, atol=1e-10)


def _exact(p, i_e, t_end, arrivals=(), events=False):
    """solve_ivp (DOP853, rtol 1e-10) of V, w and the excitatory current, with jumps of the
    current at the arrival times; with ``events``, V_peak resets (V, w) and the solve restarts.
    """

    def rhs(t, y):
        v, w, i_exc = y
        spike = p["g_l"] * p["delta_t"] * np.exp((min(v, p["v_peak"]) - p["v_th"]) / p["delta_t"])
        dv = (-p["g_l"] * (v - p["e_l"]) + spike - w + i_exc + i_e) / p["c_m"]
        return [dv, (p["a"] * (v - p["e_l"]) - w) / p["tau_w"], -i_exc / p["tau_syn_exc"]]

    def peak(t, y):
        return y[0] - p["v_peak"]

    peak.terminal = True
    ts, ys, spike_times = [], [], []
    y, t0 = np.array([p["e_l"], 0.0, 0.0]), 0.0
    stops = sorted({*(t for t, _ in arrivals), t_end})
    while t0 < t_end:
        t1 = next(s for s in stops if s > t0)
        k = np.arange(np.ceil(t0 / DT - 1e-6), np.floor(t1 / DT + 1e-6) + 1)
        sol = solve_ivp(
            rhs, (t0, t1), y, method="DOP853", rtol=1e-10, atol=1e-10,
            t_eval=np.clip(k * DT, t0, t1), events=peak if events else None,
        )  # fmt: skip
        ts.append(sol.t)
        ys.append(sol.y.T)
        if events and sol.t_events[0].size:
            t0 = sol.t_events[0][0]
            spike_times.append(t0)
            y = sol.y_events[0][0] + [p["v_reset"] - p["v_peak"], p["b"], 0.0]
        else:
            t0, y = t1, sol.y[:, -1].copy()
            y[2] += sum(weight for t, weight in arrivals if t == t1)
    return np.concatenate(ts), np.concatenate(ys), np.array(spike_times)


def _run_single(p, i_e, t_end, arrival=None, weight=0.0):
    net = px.Network(dt=DT)
    out = net.add(px.Population(px.AdEx(**p, i_e=i_e), 1))
    if arrival is not None:  # emitted one step before it arrives
        src = net.add(px.Population(px.SpikeTimesInput([arrival - DT], [0]), 1))
        net.add(px.Projection(src, out, px.all_to_all(1, 1), weights=weight))
    spikes, v, w = (net.add(px.Monitor(out, what)) for what in ("spikes", "v", "w_adapt"))
    net.run(t_end, progress=False)
    return spikes.t, v.values[:, 0], w.values[:, 0]


def test_subthreshold_step_and_epsc_match_an_accurate_ode_solution():
    # A 300 pA step (below the ~600 pA rheobase) from rest, and at 100 ms a 1 nA fast
    # EPSC (tau 0.2 ms, decays within two steps) that RK4 only gets right because the
    # current is exact at the stage times. State after step k is the state at (k+1)*dt.
    p, t_end, arrival = _params(), 300.0, 100.0
    spikes, v, w = _run_single(p, 300.0, t_end, arrival, 1000.0)
    t, y, _ = _exact(p, 300.0, t_end, arrivals=[(arrival, 1000.0)])
    y = y[np.searchsorted(t, np.arange(1, v.size + 1) * DT - 1e-9)]
    assert spikes.size == 0
    assert np.ptp(v[990:1200]) > 0.3  # the EPSP is visible
    # RK4 at dt = 0.1 ms: ~1e-8 mV and pA before the EPSC, ~1e-5 mV during it (Simpson's
    # rule on exp(-s/0.2 ms) over 0.1 ms); a current held over the step: ~0.2 mV off.
    np.testing.assert_allclose(v[:990], y[:990, 0], rtol=0, atol=1e-7)
    np.testing.assert_allclose(v, y[:, 0], rtol=0, atol=1e-4)
    np.testing.assert_allclose(w, y[:, 1], rtol=0, atol=1e-4)


def test_spike_times_lag_an_accurate_ode_solution_by_under_a_step_per_spike():
    # The grid puts each spike, and so its reset, at the end of the step in which V
    # crossed V_peak: spike k (from 0) lags the exact one by less than k + 1 steps.
    # V_peak = V_T + 10 delta_t, from where V diverges within 1e-3 ms: with V_peak = 0
    # the upswing is too stiff for the reference solver.
    p = _params(**BG, v_peak=-30.4)
    spikes, _, _ = _run_single(p, 800.0, 300.0)
    _, _, exact = _exact(p, 800.0, 300.0, events=True)
    assert spikes.size == exact.size >= 5
    late = spikes + DT - exact  # a spike in step k happens by the end of the step
    assert np.all(late >= 0.0) and np.all(late < DT * np.arange(1, late.size + 1))
    assert late[0] < DT


def _bg_isis(**changes):
    spikes, v, _ = _run_single(_params(**{**BG, **changes}), 800.0, 500.0)
    assert np.all(np.isfinite(v))
    return np.diff(spikes)


def test_brette_gerstner_cell_adapts_to_a_current_step():
    isi = _bg_isis()
    assert 6 <= isi.size + 1 <= 15  # 9 spikes in 500 ms
    assert np.all(np.diff(isi) > -DT / 2) and isi[-1] > 2.5 * isi[0]  # ISIs lengthen
    assert isi[-1] == pytest.approx(isi[-2], abs=0.5)  # settles to a tonic rate


def test_delta_t_zero_is_a_hard_threshold_without_nan():
    isi = _bg_isis(delta_t=0.0)
    assert isi.size >= 4 and isi[-1] > 2 * isi[0]
    spikes, v, _ = _run_single(_params(**BG, delta_t=0.0), 800.0, 100.0)
    # V never passes v_th: it spikes in the step where it reaches it, and is reset.
    assert v.max() < -50.4 and spikes.size > 0


def _preset_isis(name):
    net = px.Network(dt=DT)
    pop = net.add(px.Population(px.AdEx.from_preset(name), 1))
    mon = net.add(px.Monitor(pop))
    net.run(500.0, progress=False)
    return np.diff(mon.t)


def test_naud_presets_show_their_firing_patterns():
    tonic, adapting = _preset_isis("tonic"), _preset_isis("adapting")
    burst, bursting = _preset_isis("initial_burst"), _preset_isis("bursting")
    assert tonic.size > 20 and tonic.max() - tonic.min() < 0.15 * tonic.mean()
    assert adapting.size > 4 and adapting[-1] > 4 * adapting[0]
    assert burst[:2].max() < 10.0 and burst[2:].min() > 40.0  # a burst, then regular
    short, long_ = bursting < 10.0, bursting > 100.0  # intra- and inter-burst intervals
    assert np.all(short | long_) and short.sum() >= 3 and long_.sum() >= 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"c_m": 0.0}, "c_m must be a finite number > 0"),
        ({"g_l": -1.0}, "g_l must be a finite number > 0"),
        ({"tau_w": 0.0}, "tau_w must be a finite number > 0"),
        ({"tau_syn_exc": -2.0}, "tau_syn_exc must be a finite number > 0"),
        ({"tau_syn_inh": float("nan")}, "tau_syn_inh must be a finite number > 0"),
        ({"delta_t": -1.0}, "delta_t must be a finite number >= 0"),
        ({"t_ref": -0.1}, "t_ref must be a finite number >= 0"),
        ({"v_reset": 0.0}, "v_reset must be below v_peak"),
        ({"v_th": 5.0}, "v_th must be at most v_peak"),
        ({"v_init": 1.0}, "v_init must be below v_peak"),
        ({"delta_t": 0.0, "v_reset": -50.0}, "v_reset must be below v_th when delta_t = 0"),
        ({"delta_t": 0.0, "v_init": -45.0}, "v_init must be below v_th when delta_t = 0"),
    ],
)
def test_adex_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        px.AdEx(**kwargs)


def test_adex_unknown_preset():
    with pytest.raises(ValueError, match="preset must be one of"):
        px.AdEx.from_preset("chaotic")
