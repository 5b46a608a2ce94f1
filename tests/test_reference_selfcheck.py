"""Self-checks of the NumPy reference simulator against closed-form results.

Every expected value here is computed in the test itself from textbook formulas, never
by the reference, so these tests check the reference (``tests/reference/numpy_sim.py``)
independently of plastix.
"""

import math

import numpy as np
import pytest
from reference.numpy_sim import simulate

DT = 0.1  # ms


def _source(n_steps: int, steps: list[int], n: int = 1) -> dict:
    """A one-neuron (or n-neuron, neuron 0 firing) source firing at ``steps``."""
    spikes = np.zeros((n_steps, n), dtype=bool)
    spikes[steps, 0] = True
    return {"kind": "source", "spikes": spikes}


def _lif(**overrides) -> dict:
    """A single current-based LIF neuron with standard parameters."""
    spec = {
        "kind": "lif",
        "n": 1,
        "tau_m": 10.0,
        "c_m": 250.0,
        "v_rest": -65.0,
        "v_th": -50.0,
        "v_reset": -70.0,
        "tau_syn_exc": 2.0,
        "tau_syn_inh": 5.0,
        "t_ref": 2.0,
        "i_e": 0.0,
    }
    spec.update(overrides)
    return spec


def _stdp(**overrides) -> dict:
    spec = {
        "tau_plus": 17.0,
        "tau_minus": 34.0,
        "a_plus": 0.01,
        "a_minus": 0.012,
        "w_min": 0.0,
        "w_max": 1.0,
        "mu_plus": 0.0,
        "mu_minus": 0.0,
        "nearest": False,
    }
    spec.update(overrides)
    return spec


def _proj(
    pre: int, post: int, w, delay, stdp=None, receptor: str = "exc", pre_index=(0,), post_index=(0,)
) -> dict:
    return {
        "pre": pre,
        "post": post,
        "pre_index": np.array(pre_index),
        "post_index": np.array(post_index),
        "w": np.array(w, dtype=float),
        "delay": np.array(delay),
        "receptor": receptor,
        "stdp": stdp,
    }


def _psp_kernel(t: float, tau_m: float, tau_s: float, c_m: float) -> float:
    """Membrane response [mV per pA] at time t after a unit current jump decaying with tau_s."""
    return tau_m * tau_s / (c_m * (tau_s - tau_m)) * (math.exp(-t / tau_s) - math.exp(-t / tau_m))


# (a) pair STDP on an isolated pair ---------------------------------------------------


@pytest.mark.parametrize("nearest", [False, True])
@pytest.mark.parametrize("post_step", [3, 8, 12, 13, 14, 25, 59])
def test_isolated_pair(post_step, nearest):
    n_steps, emit, delay = 60, 10, 3
    arrival = emit + delay
    w0 = 0.5
    stdp = _stdp(nearest=nearest)
    out = simulate(
        DT,
        n_steps,
        [_source(n_steps, [emit]), _source(n_steps, [post_step])],
        [_proj(0, 1, [w0], [delay], stdp)],
    )
    lag = (post_step - arrival) * DT
    if lag >= 0:  # an arrival in the post spike's own step precedes it (Δt = 0⁺)
        expected = stdp["a_plus"] * math.exp(-lag / stdp["tau_plus"])
    else:
        expected = -stdp["a_minus"] * math.exp(lag / stdp["tau_minus"])
    assert abs(out["w"][0][0] - w0 - expected) <= 1e-12
    # The weight changes exactly in the step of the later event.
    trace = out["w_trace"][0][:, 0]
    change = max(post_step, arrival)
    assert np.all(trace[:change] == w0)
    assert np.all(trace[change:] == out["w"][0][0])
    # The source post population ignores its input and keeps its given spikes.
    assert out["spikes"][1][:, 0].tolist() == [k == post_step for k in range(n_steps)]
    assert out["v"][0] is None and out["v"][1] is None


def test_multiplicative_pair():
    n_steps, w0 = 40, 0.3
    stdp = _stdp(mu_plus=1.0, mu_minus=1.0)
    # Potentiation: arrival 6 (emitted 5, delay 1), post 20.
    out = simulate(
        DT, n_steps, [_source(n_steps, [5]), _source(n_steps, [20])], [_proj(0, 1, [w0], [1], stdp)]
    )
    expected = stdp["a_plus"] * (1.0 - w0) * math.exp(-14 * DT / stdp["tau_plus"])
    assert abs(out["w"][0][0] - w0 - expected) <= 1e-12
    # Depression: post 5, arrival 21.
    out = simulate(
        DT, n_steps, [_source(n_steps, [20]), _source(n_steps, [5])], [_proj(0, 1, [w0], [1], stdp)]
    )
    expected = -stdp["a_minus"] * w0 * math.exp(-16 * DT / stdp["tau_minus"])
    assert abs(out["w"][0][0] - w0 - expected) <= 1e-12


def test_multapse_with_per_synapse_delays():
    """Two synapses of the same pair, delays 2 and 9: each pairs with its own arrival."""
    n_steps, emit, post_step, w0 = 50, 10, 15, 0.5
    stdp = _stdp()
    out = simulate(
        DT,
        n_steps,
        [_source(n_steps, [emit]), _source(n_steps, [post_step])],
        [_proj(0, 1, [w0, w0], [2, 9], stdp, pre_index=(0, 0), post_index=(0, 0))],
    )
    dw_fast = stdp["a_plus"] * math.exp(-(post_step - emit - 2) * DT / stdp["tau_plus"])
    dw_slow = -stdp["a_minus"] * math.exp(-(emit + 9 - post_step) * DT / stdp["tau_minus"])
    np.testing.assert_allclose(out["w"][0] - w0, [dw_fast, dw_slow], rtol=0, atol=1e-12)


@pytest.mark.parametrize("nearest", [False, True])
def test_two_pre_one_post(nearest):
    """All-to-all sums both pairs; nearest-spike keeps only the latest pre spike."""
    n_steps, w0 = 60, 0.5
    stdp = _stdp(nearest=nearest)
    out = simulate(
        DT,
        n_steps,
        [_source(n_steps, [5, 20]), _source(n_steps, [40])],
        [_proj(0, 1, [w0], [1], stdp)],
    )
    late = math.exp(-(40 - 21) * DT / stdp["tau_plus"])
    early = math.exp(-(40 - 6) * DT / stdp["tau_plus"])
    expected = stdp["a_plus"] * (late if nearest else late + early)
    assert abs(out["w"][0][0] - w0 - expected) <= 1e-12


def test_on_pre_runs_before_on_post_with_clipping():
    """At w_max, a same-step pre arrival and post spike: depress first, then potentiate."""
    n_steps = 30
    stdp = _stdp(a_plus=0.1, a_minus=0.01)
    # Arrivals at 10 and 20 (emitted 9 and 19, delay 1); post spikes at 15 and 20.
    out = simulate(
        DT,
        n_steps,
        [_source(n_steps, [9, 19]), _source(n_steps, [15, 20])],
        [_proj(0, 1, [1.0], [1], stdp)],
    )
    y20 = math.exp(-5 * DT / stdp["tau_minus"])
    x20 = math.exp(-10 * DT / stdp["tau_plus"])
    assert stdp["a_plus"] * x20 > stdp["a_minus"] * y20
    # on_pre: 1 - a_minus*y20; on_post: + a_plus*x20, clipped back to w_max = 1.
    assert out["w"][0][0] == 1.0
    assert np.all(out["w_trace"][0][:, 0] == 1.0)


# (b) LIF with constant current ------------------------------------------------------


def test_lif_subthreshold_constant_current():
    tau_m, c_m, v_rest, i_e = 10.0, 250.0, -65.0, 300.0
    v_inf = v_rest + i_e * tau_m / c_m  # -53 mV, below threshold -50 mV
    n_steps = 2000
    out = simulate(DT, n_steps, [_lif(i_e=i_e)], [])
    v = out["v"][0][:, 0]
    t = (np.arange(n_steps) + 1) * DT
    np.testing.assert_allclose(v, v_inf + (v_rest - v_inf) * np.exp(-t / tau_m), rtol=0, atol=1e-10)
    assert abs(v[-1] - v_inf) < 1e-6
    assert not out["spikes"][0].any()


def test_lif_suprathreshold_interspike_interval():
    tau_m, c_m, v_rest, v_th, v_reset, t_ref, i_e = 10.0, 250.0, -65.0, -50.0, -70.0, 2.0, 500.0
    v_inf = v_rest + i_e * tau_m / c_m  # -45 mV
    out = simulate(DT, 2000, [_lif(i_e=i_e, t_ref=t_ref)], [])
    times = np.flatnonzero(out["spikes"][0][:, 0])
    assert times.size >= 5
    # First spike from rest (no refractoriness yet): after ceil(T0/dt) steps.
    t_first = tau_m * math.log((v_inf - v_rest) / (v_inf - v_th))
    assert abs((times[0] + 1) * DT - t_first) <= DT
    # Interspike interval: refractory period, then the charge from v_reset.
    isi = t_ref + tau_m * math.log((v_inf - v_reset) / (v_inf - v_th))
    isis = np.diff(times) * DT
    assert np.all(np.abs(isis - isi) <= DT)
    assert np.all(np.diff(times) == np.diff(times)[0])
    # Exactly: n_ref held steps plus ceil(T/dt) integration steps.
    n_ref = round(t_ref / DT)
    assert np.diff(times)[0] == n_ref + math.ceil((isi - t_ref) / DT)
    # During refractoriness v is held at v_reset.
    k = times[0]
    assert np.all(out["v"][0][k : k + n_ref + 1, 0] == v_reset)
    assert out["v"][0][k + n_ref + 1, 0] > v_reset


# (c) PSP of LIF (current-based) -----------------------------------------------------


@pytest.mark.parametrize("receptor,w", [("exc", 150.0), ("inh", -300.0)])
def test_lif_psp(receptor, w):
    n_steps, emit = 400, 5
    tau_m, c_m, v_rest = 10.0, 250.0, -65.0
    tau_s = 2.0 if receptor == "exc" else 5.0
    out = simulate(
        DT, n_steps, [_source(n_steps, [emit]), _lif()], [_proj(0, 1, [w], [1], receptor=receptor)]
    )
    v = out["v"][1][:, 0]
    assert np.all(v[: emit + 1] == v_rest)  # nothing before the arrival step emit+1
    expected = [
        v_rest + w * _psp_kernel((m + 1) * DT, tau_m, tau_s, c_m) for m in range(n_steps - emit - 1)
    ]
    np.testing.assert_allclose(v[emit + 1 :], expected, rtol=0, atol=1e-10)
    assert not out["spikes"][1].any()


def test_lif_psp_with_delay():
    n_steps, emit, delay, w = 200, 3, 7, 200.0
    out = simulate(DT, n_steps, [_source(n_steps, [emit]), _lif()], [_proj(0, 1, [w], [delay])])
    v = out["v"][1][:, 0]
    arrival = emit + delay
    assert np.all(v[:arrival] == -65.0)
    expected = [
        -65.0 + w * _psp_kernel((m + 1) * DT, 10.0, 2.0, 250.0) for m in range(n_steps - arrival)
    ]
    np.testing.assert_allclose(v[arrival:], expected, rtol=0, atol=1e-10)


def test_refractory_input_and_pre_plasticity_delivery_weight():
    """Post spikes in step 0, inputs arrive while it is refractory.

    Checks that synaptic currents keep evolving during refractoriness, that delivery
    uses the weight from before this step's plasticity, and depression from on_pre.
    """
    n_steps = 200
    tau_m, c_m, v_rest, v_reset, tau_s = 10.0, 250.0, -65.0, -70.0, 2.0
    t_ref = 1.0  # n_ref = 10: refractory in steps 1..10, integrates again from step 11
    stdp = _stdp(w_min=0.0, w_max=400.0, a_plus=5.0, a_minus=5.0)
    w0 = 100.0
    post = _lif(t_ref=t_ref, v0=np.array([-40.0]))
    # Pre emits in steps 4 and 6 (delay 1): arrivals in steps 5 and 7.
    out = simulate(DT, n_steps, [_source(n_steps, [4, 6]), post], [_proj(0, 1, [w0], [1], stdp)])
    spikes = out["spikes"][1][:, 0]
    assert spikes[0] and not spikes[1:].any()
    v = out["v"][1][:, 0]
    assert np.all(v[:11] == v_reset)
    # Weights: each arrival depresses by a_minus * y, y = exp(-(k - 0)*dt/tau_minus).
    w1 = w0 - stdp["a_minus"] * math.exp(-5 * DT / stdp["tau_minus"])
    w2 = w1 - stdp["a_minus"] * math.exp(-7 * DT / stdp["tau_minus"])
    assert abs(out["w"][0][0] - w2) <= 1e-12
    # Current at the start of step 11: w0 delivered in step 5, w1 delivered in step 7.
    a = math.exp(-DT / tau_s)
    i11 = w0 * a**6 + w1 * a**4
    m = np.arange(n_steps - 11)
    t = (m + 1) * DT
    expected = (
        v_rest
        + (v_reset - v_rest) * np.exp(-t / tau_m)
        + i11 * tau_m * tau_s / (c_m * (tau_s - tau_m)) * (np.exp(-t / tau_s) - np.exp(-t / tau_m))
    )
    np.testing.assert_allclose(v[11:], expected, rtol=0, atol=1e-10)


# (d) LIFCond ------------------------------------------------------------------------


def _lif_cond(**overrides) -> dict:
    spec = {
        "kind": "lif_cond",
        "n": 1,
        "tau_m": 20.0,
        "e_leak": -70.0,
        "v_th": -54.0,
        "v_reset": -60.0,
        "e_exc": 0.0,
        "e_inh": -80.0,
        "tau_exc": 5.0,
        "tau_inh": 8.0,
        "t_ref": 0.0,
    }
    spec.update(overrides)
    return spec


@pytest.mark.parametrize("receptor,e_rev,tau_g", [("exc", 0.0, 5.0), ("inh", -80.0, 8.0)])
def test_lif_cond_single_input(receptor, e_rev, tau_g):
    n_steps, emit, w, v0 = 20, 2, 0.05, -65.0
    tau_m, e_leak = 20.0, -70.0
    out = simulate(
        DT,
        n_steps,
        [_source(n_steps, [emit]), _lif_cond(v0=np.array([v0]))],
        [_proj(0, 1, [w], [1], receptor=receptor)],
    )
    v = out["v"][1][:, 0]
    # Before the arrival: pure leak from v0.
    for k in range(emit + 1):
        expected = e_leak + (v0 - e_leak) * math.exp(-(k + 1) * DT / tau_m)
        assert abs(v[k] - expected) <= 1e-12
    # Arrival step emit+1: conductance w held over the step (exponential Euler).
    v_before = v[emit]
    g = 1.0 + w
    v_inf = (e_leak + w * e_rev) / g
    v_arr = v_inf + (v_before - v_inf) * math.exp(-DT * g / tau_m)
    assert abs(v[emit + 1] - v_arr) <= 1e-12
    # Next step: the conductance has decayed by exp(-dt/tau_g).
    g_next = w * math.exp(-DT / tau_g)
    v_inf2 = (e_leak + g_next * e_rev) / (1.0 + g_next)
    v_next = v_inf2 + (v_arr - v_inf2) * math.exp(-DT * (1.0 + g_next) / tau_m)
    assert abs(v[emit + 2] - v_next) <= 1e-12
    # Direction of the response.
    leak_only = e_leak + (v0 - e_leak) * math.exp(-(emit + 2) * DT / tau_m)
    assert (v[emit + 1] > leak_only) == (receptor == "exc")


def test_lif_cond_spike_and_refractory():
    """v0 above threshold: spike in step 0, held at v_reset for n_ref steps."""
    n_steps = 40
    out = simulate(DT, n_steps, [_lif_cond(v0=np.array([-40.0]), t_ref=1.5)], [])
    spikes = out["spikes"][0][:, 0]
    assert spikes[0] and not spikes[1:].any()
    v = out["v"][0][:, 0]
    n_ref = 15
    assert np.all(v[: n_ref + 1] == -60.0)
    t = (np.arange(n_steps - n_ref - 1) + 1) * DT
    np.testing.assert_allclose(v[n_ref + 1 :], -70.0 + 10.0 * np.exp(-t / 20.0), rtol=0, atol=1e-12)


def test_rejects_zero_delay():
    with pytest.raises(ValueError):
        simulate(DT, 5, [_source(5, [0]), _source(5, [1])], [_proj(0, 1, [0.5], [0])])
