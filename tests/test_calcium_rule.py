"""The calcium-based rule (Graupner & Brunel 2012) against a NumPy float64 reference.

The reference below is written from the model's equations, synapse by synapse: each
synapse keeps its own calcium ``c`` (the kernel keeps a presynaptic and a postsynaptic
trace plus a queue of delayed spikes instead), the presynaptic calcium enters
``round(D/dt)`` steps after the spike arrives, and ``ρ`` takes an Euler step in which each
Heaviside term is the fraction of the step that the exponentially decaying ``c`` spends
above its threshold. With σ = 0 the kernel must match it to 1e-12 on every format. The
noise is checked for reproducibility (seed, chunk size) and for its statistics.
"""

import math

import numpy as np
import pytest

import plastix as px
from plastix.rules.calcium import GRAUPNER_BRUNEL_PRESETS

DT = 0.5
STEPS = 400
N_PRE, N_POST = 5, 4
PARAMS = dict(
    tau_ca=15.0, c_pre=0.7, c_post=1.1, delay=3.2, theta_d=1.0, theta_p=1.6, gamma_d=40.0,
    gamma_p=30.0, sigma=0.0, tau_rho=2000.0, rho_star=0.45, w_down=0.2, w_up=1.4,
)  # fmt: skip


def _trains(seed: int):
    rng = np.random.default_rng(seed)
    emitted = rng.random((STEPS, N_PRE)) < 0.06
    emitted[-1] = False  # the last step's spikes would arrive after the run
    post = rng.random((STEPS, N_POST)) < 0.06
    pairs = [(i, j) for i in range(N_PRE) for j in range(N_POST) if rng.random() < 0.6]
    pre_index, post_index = (np.array(v) for v in zip(*pairs, strict=True))
    rho0 = rng.uniform(0.0, 1.0, len(pairs))
    delays = rng.integers(1, 4, len(pairs))  # axonal delays [steps], for one variant
    return emitted, post, pre_index, post_index, rho0, delays


def reference(p, emitted, post, pre_index, post_index, rho0, axonal):
    """ρ and w after the run: per synapse, the equations stepped one ``DT`` at a time."""
    n_syn = len(pre_index)
    rho = rho0.astype(float).copy()
    c = np.zeros(n_syn)
    d = round(p["delay"] / DT)
    decay = math.exp(-DT / p["tau_ca"])
    h = DT / p["tau_rho"]

    def fraction(c, theta):  # the part of the coming step with c(s) = c·e^(−s/τ) > θ
        return min(p["tau_ca"] * math.log(c / theta), DT) / DT if c > theta else 0.0

    for k in range(STEPS):
        for s in range(n_syn):
            c[s] *= decay
            emitted_at = k - axonal[s] - d  # the pre spike whose calcium enters now
            if emitted_at >= 0 and emitted[emitted_at, pre_index[s]]:
                c[s] += p["c_pre"]
            if post[k, post_index[s]]:
                c[s] += p["c_post"]
            f_d, f_p = fraction(c[s], p["theta_d"]), fraction(c[s], p["theta_p"])
            r = rho[s]
            drift = -r * (1 - r) * (p["rho_star"] - r) + p["gamma_p"] * (1 - r) * f_p
            drift -= p["gamma_d"] * r * f_d
            rho[s] = r + h * drift
    return rho, p["w_down"] + rho * (p["w_up"] - p["w_down"])


def _times(raster):
    steps, units = np.nonzero(raster)
    return steps * DT, units


def run_plastix(p, fmt, capacity=None, per_synapse_delays=False, seed=0):
    emitted, post, pre_index, post_index, rho0, delays = _trains(seed)
    net = px.Network(dt=DT)
    pre_pop = net.add(px.Population(px.SpikeTimesInput(*_times(emitted)), N_PRE))
    post_pop = net.add(px.Population(px.SpikeTimesInput(*_times(post)), N_POST))
    conn = px.from_indices(pre_index, post_index, N_PRE, N_POST, format=fmt)
    w0 = p["w_down"] + rho0 * (p["w_up"] - p["w_down"])
    delay = delays * DT if per_synapse_delays else None
    proj = net.add(
        px.Projection(
            pre_pop, post_pop, conn, px.GraupnerBrunel(**p), w0, delay=delay, capacity=capacity
        )
    )
    for _ in range(2):  # two runs: the state carries over
        net.run(STEPS * DT / 2, chunk_size=STEPS // 2, progress=False)
    w = net.weights(proj)[pre_index, post_index]
    rho = np.asarray(conn.to_dense(net.state.projections[0].synapses))[pre_index, post_index]
    axonal = delays if per_synapse_delays else np.ones(len(pre_index), int)
    return (rho, w), reference(p, emitted, post, pre_index, post_index, rho0, axonal), rho0


@pytest.mark.parametrize(
    "fmt, capacity", [("dense", None), ("csr", (N_PRE, N_POST)), ("coo", None)]
)
@pytest.mark.parametrize("delay", [3.2, 0.0])
def test_equals_numpy_reference(fmt, capacity, delay):
    (rho, w), (rho_ref, w_ref), rho0 = run_plastix({**PARAMS, "delay": delay}, fmt, capacity)
    assert np.mean(np.abs(rho_ref - rho0) > 1e-2) > 0.5, "most synapses must have moved"
    assert np.any(rho_ref - rho0 > 0.1) and np.any(rho_ref - rho0 < -0.1), "LTP and LTD"
    np.testing.assert_allclose(rho, rho_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(w, w_ref, rtol=0, atol=1e-12)


def test_equals_numpy_reference_with_per_synapse_delays():
    (rho, w), (rho_ref, w_ref), _ = run_plastix(PARAMS, "csr", per_synapse_delays=True)
    np.testing.assert_allclose(rho, rho_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(w, w_ref, rtol=0, atol=1e-12)


def test_delay_is_rounded_to_whole_steps():
    """3.2 ms at dt = 0.5 ms is 6 steps: 3.0 ms gives the same result, 3.5 ms does not."""
    results = {d: run_plastix({**PARAMS, "delay": d}, "csr")[0][0] for d in (3.2, 3.0, 3.5)}
    np.testing.assert_array_equal(results[3.2], results[3.0])
    assert np.max(np.abs(results[3.5] - results[3.2])) > 1e-4


def test_presets_and_initial_efficacy_from_weights():
    rule = px.GraupnerBrunel.preset("cortical_slices", sigma=0.0)
    assert float(rule.tau_ca) == 22.6936 and float(rule.sigma) == 0.0
    assert float(rule.w_up) == GRAUPNER_BRUNEL_PRESETS["cortical_slices"]["w_up"]
    dp = px.GraupnerBrunel.preset("DP")
    assert float(dp.tau_rho) == 150_000.0 and float(dp.gamma_p) == 321.808
    np.testing.assert_allclose(dp.init_synapses(np.array([1.0, 3.0, 5.0])), [0.0, 0.5, 1.0])


# -- noise -----------------------------------------------------------------------------


def _noisy_net(seed, c_post, n=4000, sigma=0.1, gamma=10.0, tau_rho=100.0, dt=0.1):
    """``n`` synapses from silent inputs onto one neuron that spikes at t = 0: the calcium
    then stays at ``c_post`` (τ_Ca = 10⁹ ms), above neither, one or both thresholds."""
    rule = px.GraupnerBrunel(
        tau_ca=1e9, c_pre=0.0, c_post=c_post, delay=0.0, theta_d=1.0, theta_p=2.0,
        gamma_d=gamma, gamma_p=gamma, sigma=sigma, tau_rho=tau_rho, rho_star=0.5,
    )  # fmt: skip
    net = px.Network(dt=dt, seed=seed)
    silent = net.add(px.Population(px.SpikeTimesInput(np.zeros(0), np.zeros(0, int)), n))
    cell = net.add(px.Population(px.SpikeTimesInput(np.zeros(1), np.zeros(1, int)), 1))
    net.add(px.Projection(silent, cell, px.all_to_all(n, 1), rule, weights=3.0))  # ρ = 1/2
    return net


def _rho(net):
    return np.asarray(net.state.projections[0].synapses).ravel()


def test_noise_is_reproducible_and_independent_of_chunk_size():
    runs = []
    for seed, chunk in ((3, 1000), (3, 37), (4, 1000)):
        net = _noisy_net(seed, c_post=3.0, n=50)
        net.run(20.0, chunk_size=chunk, progress=False)
        runs.append(_rho(net))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert np.std(runs[0]) > 1e-3  # the noise acted, differently on each synapse
    assert np.max(np.abs(runs[0] - runs[2])) > 1e-3  # another seed, other noise


def _ou_variance(k, s2, h, steps):
    """Variance after ``steps`` Euler steps of dx = −k·x·dt + s·dW from x = 0."""
    v = 0.0
    for _ in range(steps):
        v = (1 - k * h) ** 2 * v + s2 * h
    return v


@pytest.mark.parametrize("above", ["both", "depression_only", "none"])
def test_noise_variance_grows_as_the_linearised_process(above):
    """ρ starts at ρ* = 1/2 with c held constant. Linearised around 1/2 the efficacy is an
    Ornstein–Uhlenbeck process x = ρ − 1/2 with drift −k·x: above both thresholds
    (γ_p = γ_d = γ) k = (2γ − 1/4)/τ and the noise variance rate is 2σ²/τ; above θ_d only
    (γ = 0 here, so only the cubic term acts) k = −1/(4τ) and the rate is σ²/τ; below
    both, ρ stays exactly at 1/2. The sample variance of 4000 synapses must follow the
    prediction within 8 % (≈ 3.5 standard errors; a wrong noise factor is off by 2×)."""
    sigma, tau, dt, n = 0.05, 100.0, 0.1, 4000
    c_post, gamma = {"both": (3.0, 10.0), "depression_only": (1.5, 0.0), "none": (0.5, 10.0)}[above]
    net = _noisy_net(5, c_post, n=n, sigma=sigma, gamma=gamma, tau_rho=tau, dt=dt)
    k = (2 * gamma - 0.25) / tau if above == "both" else -0.25 / tau
    s2 = (2 if above == "both" else 1) * sigma**2 / tau
    done = 0.0
    for t in (2.0, 10.0, 50.0):
        net.run(t - done, chunk_size=5000, progress=False)
        done = t
        rho = _rho(net)
        if above == "none":
            np.testing.assert_array_equal(rho, 0.5)
            continue
        expected = _ou_variance(k, s2, dt, round(t / dt))
        assert abs(np.var(rho) / expected - 1) < 0.08, (t, np.var(rho), expected)
        assert abs(np.mean(rho) - 0.5) < 4 * math.sqrt(expected / n), (t, np.mean(rho))


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(tau_ca=0.0), r"tau_ca must be a finite number > 0, got 0.0"),
        (dict(theta_p=-1.0), r"theta_p must be a finite number > 0, got -1.0"),
        (dict(tau_rho=float("inf")), r"tau_rho must be a finite number > 0, got inf"),
        (dict(c_pre=-0.5), r"c_pre must be a finite number >= 0, got -0.5"),
        (dict(delay=-1.0), r"delay must be a finite number >= 0, got -1.0"),
        (dict(gamma_d=-2.0), r"gamma_d must be a finite number >= 0, got -2.0"),
        (dict(sigma=float("nan")), r"sigma must be a finite number >= 0, got nan"),
        (dict(rho_star=1.5), r"rho_star must lie strictly between 0 and 1 .*got 1.5"),
        (dict(w_down=2.0, w_up=2.0), r"w_up must be finite and > w_down, got w_down=2.0"),
        (dict(max_pending=0), r"max_pending must be an integer >= 1, got 0"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match="GraupnerBrunel: " + match):
        px.GraupnerBrunel(**kwargs)


def test_unknown_preset_raises():
    with pytest.raises(ValueError, match=r"name must be one of \['DP', 'cortical_slices'\]"):
        px.GraupnerBrunel.preset("visual")


def test_too_many_spikes_in_flight_are_reported():
    """A presynaptic spike every step with D = 2 ms at dt = 0.5 ms keeps 4 in flight: a
    queue of 3 overflows, and the run says so instead of dropping calcium."""

    def run(max_pending):
        net = px.Network(dt=DT)
        times = np.arange(20) * DT
        pre = net.add(px.Population(px.SpikeTimesInput(times, np.zeros(20, int)), 1))
        post = net.add(px.Population(px.SpikeTimesInput(np.zeros(0), np.zeros(0, int)), 1))
        rule = px.GraupnerBrunel(**{**PARAMS, "delay": 2.0}, max_pending=max_pending)
        net.add(px.Projection(pre, post, px.all_to_all(1, 1), rule, weights=0.5))
        net.run(20 * DT, progress=False)

    run(4)
    with pytest.raises(px.NonFiniteError, match="NaN or infinite"):
        run(3)
