"""Homeostatic rules (synaptic scaling, weight normalisation) against NumPy loops written
here from their equations, in every connectivity format; and the period checks."""

import jax
import numpy as np
import pytest

import plastix as px

DT = 0.5
STEPS = 200
N_PRE, N_POST = 6, 4


def _trains(seed: int = 3):
    rng = np.random.default_rng(seed)
    emitted = rng.random((STEPS, N_PRE)) < 0.1
    emitted[-1] = False
    post = rng.random((STEPS, N_POST)) < 0.1
    pairs = [(i, j) for i in range(N_PRE) for j in range(N_POST) if rng.random() < 0.7]
    pre_index, post_index = (np.array(v) for v in zip(*pairs, strict=True))
    return emitted, post, pre_index, post_index, rng.uniform(0.2, 0.8, len(pairs))


def _times(raster):
    steps, units = np.nonzero(raster)
    return steps * DT, units


def run_plastix(rule, fmt, capacity=None, seed=3):
    emitted, post, pre_index, post_index, w0 = _trains(seed)
    net = px.Network(dt=DT)
    a = net.add(px.Population(px.SpikeTimesInput(*_times(emitted)), N_PRE))
    b = net.add(px.Population(px.SpikeTimesInput(*_times(post)), N_POST))
    conn = px.from_indices(pre_index, post_index, N_PRE, N_POST, format=fmt)
    proj = net.add(px.Projection(a, b, conn, rule, weights=w0, capacity=capacity))
    net.run(STEPS * DT, progress=False)
    return net.weights(proj)[pre_index, post_index]


VOGELS = dict(tau=20.0, eta=0.01, rho0=40.0, w_min=0.0, w_max=2.0)


def reference(seed=3, vogels=None, normalize=None, scaling=None):
    """Step loop in plastix's order: decay, on_pre, pre traces, on_post, post traces, then
    the clock-driven updates (normalisation or scaling) at the end of each period."""
    emitted, post, pre_index, post_index, w = _trains(seed)
    w = w.copy()
    arrived = np.zeros_like(emitted)
    arrived[1:] = emitted[:-1]
    x, y = np.zeros(N_PRE), np.zeros(N_POST)
    if scaling is not None:
        rate = np.full(N_POST, scaling["target"])
    for k in range(STEPS):
        if vogels is not None:
            p = vogels
            x *= np.exp(-DT / p["tau"])
            y *= np.exp(-DT / p["tau"])
            alpha = 2 * p["rho0"] * p["tau"] / 1000.0
            for s in range(w.size):
                if arrived[k, pre_index[s]]:
                    w[s] = np.clip(
                        w[s] + p["eta"] * (y[post_index[s]] - alpha), p["w_min"], p["w_max"]
                    )
            x += arrived[k]
            for s in range(w.size):
                if post[k, post_index[s]]:
                    w[s] = np.clip(w[s] + p["eta"] * x[pre_index[s]], p["w_min"], p["w_max"])
            y += post[k]
        if scaling is not None:
            p = scaling
            rate = rate * np.exp(-DT / p["tau_rate"]) + 1000.0 / p["tau_rate"] * post[k]
            if (k + 1) % round(p["period"] / DT) == 0:
                for s in range(w.size):
                    factor = 1 + p["eta"] * p["period"] * (p["target"] - rate[post_index[s]])
                    w[s] = np.clip(w[s] * factor, p["w_min"], p["w_max"])
        if normalize is not None and (k + 1) % round(normalize["period"] / DT) == 0:
            for j in range(N_POST):
                mine = post_index == j
                total = w[mine].sum()
                if total != 0:
                    w[mine] *= normalize["total"] / total
    return w


@pytest.mark.parametrize("fmt, capacity", [("dense", None), ("csr", N_PRE), ("coo", None)])
def test_weight_normalization_chained_with_a_hebbian_rule(fmt, capacity):
    norm = dict(total=1.7, period=10.0)  # every 20 steps; the run ends on a normalisation
    rule = px.rules.chain(px.InhibitorySTDP(**VOGELS), px.rules.WeightNormalization(**norm))
    w = run_plastix(rule, fmt, capacity)
    expected = reference(vogels=VOGELS, normalize=norm)
    unnormalised = reference(vogels=VOGELS)
    assert np.abs(expected - unnormalised).max() > 0.05  # the normalisation matters here
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-12)
    post_index = _trains()[3]
    sums = np.bincount(post_index, weights=w, minlength=N_POST)
    np.testing.assert_allclose(sums, 1.7, rtol=1e-12)


def test_weight_normalization_ignores_absent_dense_synapses():
    """A masked Dense matrix: only existing synapses count toward the sum."""
    emitted, post, pre_index, post_index, w0 = _trains()
    mask = np.zeros((N_PRE, N_POST), bool)
    mask[pre_index, post_index] = True
    net = px.Network(dt=DT)
    a = net.add(px.Population(px.SpikeTimesInput(*_times(emitted)), N_PRE))
    b = net.add(px.Population(px.SpikeTimesInput(*_times(post)), N_POST))
    conn = px.Dense(N_PRE, N_POST, mask=mask)
    full = np.full((N_PRE, N_POST), 5.0)  # absent entries hold a value that must not count
    full[pre_index, post_index] = w0
    rule = px.rules.WeightNormalization(total=np.arange(1.0, N_POST + 1), period=DT)
    proj = net.add(px.Projection(a, b, conn, rule, weights=conn.from_matrix(full)))
    net.run(10 * DT, progress=False)
    w = net.weights(proj)
    np.testing.assert_allclose(w.sum(axis=0), np.arange(1.0, N_POST + 1), rtol=1e-12)
    ratio = w[pre_index, post_index] / w0  # the ratios within a neuron are kept
    for j in range(N_POST):
        np.testing.assert_allclose(ratio[post_index == j], ratio[post_index == j][0], rtol=1e-12)


@pytest.mark.parametrize("fmt, capacity", [("dense", None), ("csr", N_PRE), ("coo", None)])
def test_synaptic_scaling_equals_reference(fmt, capacity):
    scaling = dict(target=60.0, eta=2e-4, tau_rate=30.0, period=5.0, w_min=0.0, w_max=1.5)
    w = run_plastix(px.rules.SynapticScaling(**scaling), fmt, capacity)
    expected = reference(scaling=scaling)
    w0 = _trains()[4]
    assert np.abs(expected - w0).max() > 0.05  # the weights moved
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-12)


def test_synaptic_scaling_moves_the_rate_to_the_target():
    """Poisson inputs onto LIF neurons: too quiet neurons are scaled up, too busy ones
    down (without scaling they stay at 0 Hz and ~110 Hz)."""
    for eta in (2e-5, 0.0):
        for w_init in (0.5, 40.0):  # [pA]: far below and far above what 10 Hz needs
            net = px.Network(dt=1.0, seed=2)
            inputs = net.add(px.Population(px.PoissonInput(20.0), 200))
            cells = net.add(px.Population(px.LIF(tau_syn_exc=5.0), 4))
            rule = px.rules.SynapticScaling(target=10.0, eta=eta, tau_rate=2000.0, period=100.0)
            net.add(px.Projection(inputs, cells, px.all_to_all(200, 4), rule, weights=w_init))
            spikes = net.add(px.Monitor(cells))
            net.run(60_000.0, progress=False, chunk_size=20_000)
            rate = np.sum(spikes.t > 40_000.0) / 4 / 20.0  # [Hz] over the last 20 s
            assert (7.0 < rate < 13.0) == (eta > 0), (eta, w_init, rate)


@pytest.mark.parametrize(
    "make",
    [
        lambda: px.rules.WeightNormalization(total=1.0, period=0.75),
        lambda: px.rules.SynapticScaling(period=0.75),
        lambda: px.RewardSTDP(period=0.75),
    ],
)
def test_period_must_be_a_multiple_of_dt(make):
    net = px.Network(dt=0.5)
    a = net.add(px.Population(px.PoissonInput(5.0), 2))
    b = net.add(px.Population(px.LIF(), 2))
    net.add(px.Projection(a, b, px.all_to_all(2, 2), make(), weights=1.0))
    with pytest.raises(ValueError, match="period must be a whole multiple of dt = 0.5 ms"):
        net.run(1.0, progress=False)


def test_bad_homeostasis_parameters():
    with pytest.raises(ValueError, match="total"):
        px.rules.WeightNormalization(total=-1.0)
    with pytest.raises(ValueError, match="tau_rate"):
        px.rules.SynapticScaling(tau_rate=0.0)
    with pytest.raises(ValueError, match="target"):
        px.rules.SynapticScaling(target=-5.0)
    with pytest.raises(ValueError, match="one value per postsynaptic neuron"):
        rule = px.rules.WeightNormalization(total=np.ones(3))
        rule.init(2, 5)


def test_lif_adaptive_threshold():
    """theta jumps by theta_plus at each spike and decays with tau_theta (NumPy loop)."""
    net = px.Network(dt=0.1)
    cell = net.add(px.Population(px.LIF(i_e=600.0, theta_plus=2.0, tau_theta=50.0), 1))
    spikes = net.add(px.Monitor(cell))
    theta = net.add(px.Monitor(cell, "theta"))
    net.run(200.0, progress=False)
    steps = np.round(spikes.t / 0.1).astype(int)
    expected, th = [], 0.0
    spike_steps = set(steps.tolist())
    for k in range(2000):
        th = th * np.exp(-0.1 / 50.0) + (2.0 if k in spike_steps else 0.0)
        expected.append(th)
    assert steps.size > 5
    np.testing.assert_allclose(theta.values[:, 0], expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="theta_plus"):
        px.LIF(theta_plus=-1.0)


@pytest.mark.parametrize("model", [px.LIF, px.LIFCond])
def test_a_fixed_threshold_is_specialized_only_when_theta_stays_zero(model):
    """The runner marks the threshold fixed (theta neither updated nor read) only when
    theta_plus and theta are 0; the run is then bit-identical to the unspecialized one."""
    neuron = model(i_e=600.0) if model is px.LIF else model(v_init=-50.0)
    state = neuron.init(4, 0.1)
    assert neuron.specialized(state).threshold_fixed
    assert neuron.specialized(state).unchanged() == ("theta",)
    assert not neuron.unchanged()
    assert not model(theta_plus=1.0).specialized(state).threshold_fixed
    assert not neuron.specialized(state._replace(theta=state.theta.at[2].set(1e-3))).threshold_fixed
    fixed = neuron.specialized(state)
    assert fixed.specialized(state) is fixed

    def network():
        net = px.Network(dt=0.1, seed=2)
        drive = net.add(px.Population(px.PoissonInput(rate=800.0), 20, name="in"))
        cell = net.add(px.Population(neuron, 4, name="cell"))
        net.add(px.Projection(drive, cell, px.all_to_all(20, 4), weights=3.0))
        return net, cell, net.add(px.Monitor(cell))

    net, cell, spikes = network()  # Network.run specializes ...
    net.build()
    start = net.state
    net.run(50.0, chunk_size=200, progress=False)
    ref_state, _, _ = px.core.run(net.spec, start, jax.random.PRNGKey(2), 500)  # ... run not
    assert spikes.t.size > 0
    for a, b in zip(net.state.populations[1], ref_state.populations[1], strict=True):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    # theta_plus set later: the next run is not specialized, so theta grows
    net.set_param(cell, "theta_plus", 2.0)
    net.run(50.0, progress=False)
    assert float(np.max(np.asarray(net.state.populations[1].theta))) > 0.0
