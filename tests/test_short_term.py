"""Short-term plasticity (``TsodyksMarkram``) against references written from the equations.

The observable is what the network delivers: a test-only population (``Recorder``)
spikes at given times, like ``SpikeTimesInput``, and keeps the summed synaptic input of
the current step in its state, so a ``Monitor`` reads exactly what each projection
transmitted. One network holds every case (formats, event path, per-synapse delays,
both parameter sets, both models, the chain with ``PairSTDP``) so it compiles once.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import expm

import plastix as px
from plastix.neurons import AbstractPopulationModel
from plastix.rules.short_term import TSODYKS_MARKRAM_PRESETS


class RecorderState(NamedTuple):
    exc: Any  # input delivered to the excitatory receptor in this step
    inh: Any
    last_exc: Any  # the latest non-zero excitatory input (the latest PSC)
    last_inh: Any


class Recorder(AbstractPopulationModel):
    """Spikes at given times and records its summed synaptic input (test-only)."""

    source: px.SpikeTimesInput
    receptors = ("exc", "inh")

    def prepare(self, n, dt):
        self.source.prepare(n, dt)

    def init(self, n, dt):
        zeros = jnp.zeros(n, float)
        return RecorderState(zeros, zeros, zeros, zeros)

    def drive(self, key, steps, n, dt):
        return self.source.drive(key, steps, n, dt)

    def step(self, state, inputs, drive, dt):
        exc, inh = inputs["exc"], inputs["inh"]
        last_exc = jnp.where(exc != 0, exc, state.last_exc)
        last_inh = jnp.where(inh != 0, inh, state.last_inh)
        return RecorderState(exc, inh, last_exc, last_inh), drive


def recorder(raster: np.ndarray, dt: float) -> Recorder:
    steps, units = np.nonzero(raster)
    return Recorder(px.SpikeTimesInput(steps * dt, units))


# -- the reference: event-driven, from the equations, NumPy float64 ----------------------


def reference_amplitudes(arrivals, U, tau_rec, tau_fac, dt, tau_psc=None):
    """``u⁺·R⁻`` of every arrival (``[steps, slots]``, 0 where none arrived).

    Between spikes (gap h): u ← u·exp(−h/tau_fac) (0 if tau_fac = 0); two-state model
    R ← 1 − (1 − R)·exp(−h/tau_rec); three-state model (y active, z inactive,
    R = 1 − y − z) d(y, z)/dt = A·(y, z) solved by the matrix exponential. At a spike:
    u ← u + U(1 − u), PSC ∝ u·R, R ← R − u·R (and y ← y + u·R). Initially u = 0, R = 1.
    """
    amplitudes = np.zeros(arrivals.shape)
    a = None
    if tau_psc is not None:
        a = np.array([[-1.0 / tau_psc, 0.0], [1.0 / tau_psc, -1.0 / tau_rec]])
    for slot in range(arrivals.shape[1]):
        u, r, y, last = 0.0, 1.0, 0.0, None
        for k in np.flatnonzero(arrivals[:, slot]):
            if last is not None:
                h = (k - last) * dt
                u = u * np.exp(-h / tau_fac) if tau_fac > 0 else 0.0
                if a is None:
                    r = 1.0 - (1.0 - r) * np.exp(-h / tau_rec)
                else:
                    y, z = expm(a * h) @ np.array([y, 1.0 - r - y])
                    r = 1.0 - y - z
            u = u + U * (1.0 - u)
            amplitudes[k, slot] = u * r
            y += u * r
            r -= u * r
            last = k
    return amplitudes


def reference_input(amplitudes, w, slot_of_synapse, post_index, n_post):
    """Summed ``w·u⁺·R⁻`` per postsynaptic neuron and step; ``w`` may vary per step."""
    w = np.broadcast_to(w, (amplitudes.shape[0], len(post_index)))
    out = np.zeros((amplitudes.shape[0], n_post))
    for s, (slot, j) in enumerate(zip(slot_of_synapse, post_index, strict=True)):
        out[:, j] += w[:, s] * amplitudes[:, slot]
    return out


# -- one network for the reference comparisons and the chain -----------------------------

DT = 0.5
STEPS = 400
N_PRE, N_POST = 6, 4
SETS = {
    "depressing": TSODYKS_MARKRAM_PRESETS["depressing"],
    "facilitating": TSODYKS_MARKRAM_PRESETS["facilitating"],
    "depressing_psc": {**TSODYKS_MARKRAM_PRESETS["depressing"], "tau_psc": 3.0},
    "facilitating_psc": {**TSODYKS_MARKRAM_PRESETS["facilitating"], "tau_psc": 3.0},
}
# (format, capacity, on_overflow, per-synapse delays)
PATHS = [
    ("dense", None, "error", False),
    ("dense", N_PRE, "error", False),
    ("csr", None, "error", False),
    ("csr", N_PRE, "error", False),
    ("csr", 2, "dense", False),  # event path, dense fallback in steps with > 2 spikes
    ("coo", None, "error", False),
    ("coo", N_PRE, "error", False),
    ("dense", None, "error", True),
    ("csr", None, "error", True),
    ("coo", None, "error", True),
]
STDP = dict(tau_plus=16.8, tau_minus=33.7, a_plus=0.02, a_minus=0.021, w_max=1.0)


class Setup(NamedTuple):
    emitted: np.ndarray
    pre_index: np.ndarray
    post_index: np.ndarray
    w0: np.ndarray
    delay_steps: np.ndarray
    inputs: dict  # (set, path index) -> recorded input [steps, n_post]
    chained: tuple  # (final weights, weights per step, input) of chain(PairSTDP, STP)
    stdp_alone: np.ndarray  # final weights of PairSTDP alone


@pytest.fixture(scope="module")
def setup() -> Setup:
    rng = np.random.default_rng(7)
    emitted = rng.random((STEPS, N_PRE)) < 0.06  # ≈ 120 Hz: strong depression/facilitation
    post_spikes = rng.random((STEPS, N_POST)) < 0.04
    pairs = [(i, j) for i in range(N_PRE) for j in range(N_POST) if rng.random() < 0.6]
    pre_index, post_index = (np.array(v) for v in zip(*pairs, strict=True))
    w0 = rng.uniform(0.3, 0.7, len(pairs))
    delay_steps = rng.integers(1, 9, len(pairs))

    net = px.Network(dt=DT)
    pre = net.add(px.Population(px.SpikeTimesInput(*_times(emitted)), N_PRE))
    monitors = {}

    def add(rule, fmt, capacity, on_overflow, delays):
        post = net.add(px.Population(recorder(post_spikes, DT), N_POST))
        proj = px.Projection(
            pre,
            post,
            px.from_indices(pre_index, post_index, N_PRE, N_POST, format=fmt),
            rule,
            weights=w0,
            delay=delay_steps * DT if delays else None,
            capacity=capacity,
            on_overflow=on_overflow,
        )
        net.add(proj)
        return post, proj

    for name, params in SETS.items():
        for p, (fmt, capacity, on_overflow, delays) in enumerate(PATHS):
            post, _ = add(px.TsodyksMarkram(**params), fmt, capacity, on_overflow, delays)
            monitors[name, p] = net.add(px.Monitor(post, "exc"))
    rule = px.chain(px.PairSTDP(**STDP), px.TsodyksMarkram.depressing())
    chain_post, chain_proj = add(rule, "csr", (N_PRE, N_POST), "error", False)
    chain_input = net.add(px.Monitor(chain_post, "exc"))
    chain_w = net.add(px.Monitor(chain_proj, "w"))
    _, alone_proj = add(px.PairSTDP(**STDP), "csr", None, "error", False)
    net.run(STEPS * DT, progress=False)

    inputs = {key: m.values for key, m in monitors.items()}
    final = net.weights(chain_proj)[pre_index, post_index]
    chained = (final, chain_w.values, chain_input.values)
    alone = net.weights(alone_proj)[pre_index, post_index]
    return Setup(emitted, pre_index, post_index, w0, delay_steps, inputs, chained, alone)


def _times(raster):
    steps, units = np.nonzero(raster)
    return steps * DT, units


def _arrivals(setup: Setup, delays: bool) -> tuple[np.ndarray, np.ndarray]:
    """Arrival raster per slot and each synapse's slot (pre neuron, or the synapse)."""
    if not delays:
        arrived = np.zeros_like(setup.emitted)
        arrived[1:] = setup.emitted[:-1]  # the default delay: one step
        return arrived, setup.pre_index
    arrived = np.zeros((STEPS, len(setup.pre_index)), bool)
    for s, (i, d) in enumerate(zip(setup.pre_index, setup.delay_steps, strict=True)):
        arrived[d:, s] = setup.emitted[: STEPS - d, i]
    return arrived, np.arange(len(setup.pre_index))


@pytest.mark.parametrize("path", range(len(PATHS)), ids=["-".join(map(str, p)) for p in PATHS])
@pytest.mark.parametrize("name", sorted(SETS))
def test_delivered_input_equals_numpy_reference(setup, name, path):
    delays = PATHS[path][3]
    arrived, slots = _arrivals(setup, delays)
    amplitudes = reference_amplitudes(arrived, dt=DT, **SETS[name])
    expected = reference_input(amplitudes, setup.w0, slots, setup.post_index, N_POST)
    got = setup.inputs[name, path]
    assert got.shape == expected.shape
    # The trains must exercise the dynamics: PSCs far from the first one's U·w.
    psc = amplitudes[arrived]
    assert psc.max() - psc.min() > 0.5 * SETS[name]["U"]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_three_state_model_differs_from_two_state(setup):
    """tau_psc delays the recovery, so the references above tell the models apart (by far
    more than their 1e-12 tolerance, though little: tau_psc = 3 ms ≪ tau_rec)."""
    for name in ("depressing", "facilitating"):
        two, three = setup.inputs[name, 0], setup.inputs[f"{name}_psc", 0]
        assert np.abs(two - three).max() > 1e-4


def test_chain_with_pair_stdp(setup):
    """STDP changes w exactly as alone; the transmitted input is w·u⁺·R⁻ with the
    weights from before each step's plasticity."""
    final, w_steps, got = setup.chained
    np.testing.assert_allclose(final, setup.stdp_alone, rtol=0, atol=1e-12)
    assert np.abs(final - setup.w0).max() > 1e-3, "STDP must have moved the weights"
    w_before = np.vstack([setup.w0[None], w_steps[:-1]])  # delivery precedes plasticity
    arrived, slots = _arrivals(setup, False)
    amplitudes = reference_amplitudes(arrived, dt=DT, **SETS["depressing"])
    expected = reference_input(amplitudes, w_before, slots, setup.post_index, N_POST)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


# -- VALIDATION §10: closed-form steady states of regular trains ---------------------------

FREQUENCIES = np.array([1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 50.0, 70.0])  # [Hz]
SPIKES_AT_1HZ = 50  # the slowest train; faster ones get more spikes in the same time


def steady_state_psc(f_hz, U, tau_rec, tau_fac):
    """The PSC (per unit weight) of a regular train at ``f_hz`` once it is stationary.

    With interval Δ = 1000/f ms, e_F = exp(−Δ/tau_fac) (0 without facilitation) and
    e_R = exp(−Δ/tau_rec), the recurrences from spike n to n+1 are
        u⁺ₙ₊₁ = u⁺ₙ·e_F + U·(1 − u⁺ₙ·e_F)
        R⁻ₙ₊₁ = 1 − (1 − R⁻ₙ·(1 − u⁺ₙ))·e_R.
    Their fixed point: u* = U/(1 − (1 − U)·e_F), then
        R* = (1 − e_R)/(1 − (1 − u*)·e_R),
    and the PSC is u*·R*. Both maps contract (factors (1 − U)·e_F and (1 − u*)·e_R < 1).
    """
    interval = 1000.0 / f_hz
    e_f = np.exp(-interval / tau_fac) if tau_fac > 0 else 0.0
    e_r = np.exp(-interval / tau_rec)
    u = U / (1.0 - (1.0 - U) * e_f)
    r = (1.0 - e_r) / (1.0 - (1.0 - u) * e_r)
    return u * r


def run_regular_trains():
    """Unit i fires regularly at FREQUENCIES[i]; depressing synapses onto "exc",
    facilitating onto "inh" (one to one). dt = 1000/1400 ms divides every interval."""
    dt = 1000.0 / 1400.0  # 1400 = lcm of the frequencies [Hz]
    duration = 1000.0 * (SPIKES_AT_1HZ - 1)  # the last 1 Hz spike at 49 s
    times, units = [], []
    for i, f in enumerate(FREQUENCIES):
        n = int(round(duration * f / 1000.0)) + 1
        times.append(np.arange(n) * (1000.0 / f))
        units.append(np.full(n, i))
    n = len(FREQUENCIES)
    net = px.Network(dt=dt)
    pre = net.add(
        px.Population(px.SpikeTimesInput(np.concatenate(times), np.concatenate(units)), n)
    )
    post = net.add(px.Population(recorder(np.zeros((1, n), bool), dt), n))
    for name, receptor in (("depressing", "exc"), ("facilitating", "inh")):
        rule = px.TsodyksMarkram(**SETS[name])
        net.add(px.Projection(pre, post, px.one_to_one(n), rule, receptor=receptor, capacity=n))
    net.run(duration + 2 * dt, progress=False)
    state = net.get_state(post)
    return {"depressing": state["last_exc"], "facilitating": state["last_inh"]}


@pytest.fixture(scope="module")
def regular_trains():
    return run_regular_trains()


@pytest.mark.parametrize("name", ["depressing", "facilitating"])
def test_steady_state_of_regular_trains(regular_trains, name):
    expected = np.array([steady_state_psc(f, **SETS[name]) for f in FREQUENCIES])
    got = regular_trains[name]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)
    # the trains span the regime: depression deepens / facilitation grows with rate
    U = SETS[name]["U"]
    assert expected[-1] < 0.1 * U if name == "depressing" else expected[-1] > 2.5 * U


# -- the rule alone -------------------------------------------------------------------------


def test_presets_and_parameters_are_array_leaves():
    rule = px.TsodyksMarkram.facilitating(tau_rec=100.0)
    assert float(rule.U) == 0.03 and float(rule.tau_rec) == 100.0
    assert float(rule.tau_fac) == 530.0 and rule.tau_psc is None
    assert isinstance(rule.U, jnp.ndarray)


def test_weights_and_traces_untouched_by_the_spike_hooks():
    rule = px.TsodyksMarkram(U=0.2, tau_rec=50.0, tau_fac=20.0, tau_psc=2.0)
    state = rule.init(3, 2)
    state, factor = rule.transmit(state, jnp.array([True, False, True]), 1.0)
    np.testing.assert_allclose(np.asarray(factor)[[0, 2]], 0.2)
    w, idx = jnp.array([0.1, 0.2]), jnp.array([0, 1])
    for hook in (rule.on_pre, rule.on_post):
        assert hook(state, w, idx, idx) is w
    assert rule.decay(state, 1.0) is state
    assert rule.increment_pre(state, jnp.ones(3, bool)) is state
    assert rule.increment_post(state, jnp.ones(2, bool)) is state


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(U=0.0), r"U must be a utilisation in \(0, 1\].*got 0.0"),
        (dict(U=1.5), r"U must be .*got 1.5"),
        (dict(U=-0.1), r"U must be .*got -0.1"),
        (dict(tau_rec=0.0), r"tau_rec must be a finite number > 0, got 0.0"),
        (dict(tau_rec=-5.0), r"tau_rec must be a finite number > 0, got -5.0"),
        (dict(tau_fac=-1.0), r"tau_fac must be a finite number >= 0, got -1.0"),
        (dict(tau_psc=0.0), r"tau_psc must be a finite number > 0, got 0.0"),
        (dict(tau_psc=800.0), r"tau_psc must differ from tau_rec.*800.0"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match="TsodyksMarkram: " + match):
        px.TsodyksMarkram(**kwargs)


def test_gradients_reach_the_parameters():
    """Parameters are leaves: jax.grad of the transmitted sum matches a finite difference
    (and stays finite with tau_fac = 0, where facilitation is off)."""
    arrived = jnp.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]], bool)

    def total(U, tau_rec, tau_fac):
        rule, out = px.TsodyksMarkram(U, tau_rec, tau_fac), 0.0
        state = rule.init(2, 1)
        for row in arrived:
            state, factor = rule.transmit(state, row, 5.0)
            out = out + jnp.sum(jnp.where(row, factor, 0.0))
        return out

    grads = jax.grad(total, argnums=(0, 1, 2))(0.5, 800.0, 0.0)
    assert np.all(np.isfinite(grads)) and float(grads[2]) == 0.0
    eps = 1e-6
    numeric = (total(0.03 + eps, 130.0, 530.0) - total(0.03 - eps, 130.0, 530.0)) / (2 * eps)
    np.testing.assert_allclose(jax.grad(total)(0.03, 130.0, 530.0), numeric, rtol=1e-6)
