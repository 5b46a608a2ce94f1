"""Rate populations (RateNeuron, RateArrayInput, GaussianRateInput) and the rate-based
rules (Oja, BCM) against NumPy float64 loops written here from their equations, in every
connectivity format; networks mixing spiking and rate populations; and the errors."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px

DT = 0.5
STEPS = 120
N_PRE, N_POST = 6, 4
FORMATS = ["dense", "csr", "coo"]


def _problem(seed: int = 3, density: float = 0.7):
    """Input rows (one per step), a random synapse list in canonical order, weights."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(-0.5, 1.0, (STEPS, N_PRE))
    pairs = [(i, j) for i in range(N_PRE) for j in range(N_POST) if rng.random() < density]
    pre, post = (np.array(v) for v in zip(*pairs, strict=True))
    return values, pre, post, rng.uniform(-0.3, 0.6, len(pairs))


def _f(a, activation):
    return np.maximum(a, 0.0) if activation == "rectified" else a


def _neuron_step(r, u, activation, tau, gain, bias):
    """``r = f(gain·u + bias)`` or exact ``tau·dr/dt = −r + f(gain·u + bias)``."""
    target = _f(gain * u + bias, activation)
    return target if tau is None else target + (r - target) * np.exp(-DT / tau)


# -- RateNeuron -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, activation, tau",
    [
        ("dense", "linear", None),
        ("csr", "rectified", None),
        ("coo", "linear", 3.0),
        ("dense", "rectified", 3.0),
        ("csr", "linear", 3.0),
        ("coo", "rectified", None),
    ],
)
def test_rate_neuron_equals_reference(fmt, activation, tau):
    """Two static projections onto both receptors (inh with negative weights and a delay
    of 3 steps); the rate of every step against the equations."""
    values, pre, post, w_exc = _problem()
    w_inh = -np.abs(_problem(seed=4)[3][: len(pre)])
    gain, bias, rate_init = np.array([1.0, 0.5, 2.0, 1.5]), -0.1, 0.3
    net = px.Network(dt=DT)
    inp = net.add(px.Population(px.RateArrayInput(values), N_PRE))
    neuron = px.RateNeuron(activation, tau=tau, gain=gain, bias=bias, rate_init=rate_init)
    out = net.add(px.Population(neuron, N_POST))
    conn = px.from_indices(pre, post, N_PRE, N_POST, format=fmt)
    net.add(px.Projection(inp, out, conn, weights=w_exc))
    net.add(px.Projection(inp, out, conn, weights=w_inh, receptor="inh", delay=3 * DT))
    rates = net.add(px.Monitor(out, "rate"))
    net.run(STEPS * DT, progress=False)

    w_e, w_i = np.zeros((N_PRE, N_POST)), np.zeros((N_PRE, N_POST))
    w_e[pre, post], w_i[pre, post] = w_exc, w_inh

    def reference(activation):
        r, out = np.full(N_POST, rate_init), []
        for k in range(STEPS):
            x1 = values[k - 1] if k >= 1 else np.zeros(N_PRE)
            x3 = values[k - 3] if k >= 3 else np.zeros(N_PRE)
            r = _neuron_step(r, x1 @ w_e + x3 @ w_i, activation, tau, gain, bias)
            out.append(r)
        return np.array(out)

    expected = reference(activation)
    if activation == "rectified":  # the rectification acts
        assert np.abs(expected - reference("linear")).max() > 0.1
    np.testing.assert_allclose(rates.t, np.arange(STEPS) * DT)
    np.testing.assert_allclose(rates.values, expected, rtol=0, atol=1e-12)


# -- Oja and BCM ---------------------------------------------------------------------------


def run_rule(rule, fmt, neuron, delays=None, seed=3):
    """RateArrayInput → RateNeuron through a plastic projection; final weights."""
    values, pre, post, w0 = _problem(seed)
    net = px.Network(dt=DT)
    inp = net.add(px.Population(px.RateArrayInput(values), N_PRE))
    out = net.add(px.Population(neuron, N_POST))
    conn = px.from_indices(pre, post, N_PRE, N_POST, format=fmt)
    delay = None if delays is None else delays * DT
    proj = net.add(px.Projection(inp, out, conn, rule, weights=w0, delay=delay))
    net.run(STEPS * DT, progress=False)
    return net.weights(proj)[pre, post]


def reference_rule(kind, p, activation="linear", tau=None, delays=None, seed=3):
    """Step loop: y of the step from the arrived x with the weights before the step's
    update; then the weight update; then (BCM) θ ← low-pass of y²/y0."""
    values, pre, post, w = _problem(seed)
    w = w.copy()
    d = np.ones(len(pre), int) if delays is None else delays
    r, theta = np.zeros(N_POST), np.full(N_POST, p.get("theta_init", 0.0))
    for k in range(STEPS):
        x = np.array([values[k - d[s], pre[s]] if k >= d[s] else 0.0 for s in range(len(pre))])
        u = np.bincount(post, weights=w * x, minlength=N_POST)
        r = _neuron_step(r, u, activation, tau, 1.0, 0.0)
        y = r[post]
        if kind == "oja":
            w = w + p["eta"] * DT * y * (x - y * w)
        else:
            w = w + p["eta"] * DT * x * y * (y - theta[post])
            target = r**2 / p["y0"]
            theta = target + (theta - target) * np.exp(-DT / p["tau_theta"])
        w = np.clip(w, p.get("w_min", -np.inf), p.get("w_max", np.inf))
    return w


OJA = dict(eta=0.2)
BCM = dict(eta=0.4, tau_theta=4.0, y0=0.5, theta_init=0.2)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "kind, params, activation, tau",
    [
        ("oja", OJA, "linear", None),
        ("oja", dict(OJA, w_min=-0.1, w_max=0.5), "rectified", 2.0),
        ("bcm", BCM, "linear", None),
        ("bcm", dict(BCM, w_min=-0.2, w_max=0.45), "rectified", 2.0),
    ],
)
def test_rate_rules_equal_reference(fmt, kind, params, activation, tau):
    rule = px.Oja(**params) if kind == "oja" else px.BCM(**params)
    w = run_rule(rule, fmt, px.RateNeuron(activation, tau=tau))
    expected = reference_rule(kind, params, activation, tau)
    w0 = _problem()[3]
    assert np.abs(expected - w0).max() > 0.05  # the weights moved
    if "w_max" in params:
        assert np.any(expected == params["w_max"]) or np.any(expected == params["w_min"])
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "fmt, kind", [("dense", "oja"), ("csr", "bcm"), ("coo", "oja"), ("coo", "bcm")]
)
def test_rate_rules_with_per_synapse_delays(fmt, kind):
    """Each synapse reads the value that arrived through its own delay."""
    delays = np.random.default_rng(7).integers(1, 4, len(_problem()[1]))
    params = OJA if kind == "oja" else BCM
    rule = px.Oja(**params) if kind == "oja" else px.BCM(**params)
    w = run_rule(rule, fmt, px.RateNeuron(), delays=delays)
    np.testing.assert_allclose(w, reference_rule(kind, params, delays=delays), atol=1e-12)


def test_bcm_threshold_state():
    """After a run, θ in the rule state is the low-pass of y²/y0 up to the previous step
    and target = y²/y0 of the last step."""
    net = px.Network(dt=DT)
    values = np.random.default_rng(0).uniform(0, 1, (STEPS, 2))
    inp = net.add(px.Population(px.RateArrayInput(values), 2))
    out = net.add(px.Population(px.RateNeuron(), 1))
    net.add(px.Projection(inp, out, px.all_to_all(2, 1), px.BCM(**BCM), weights=0.5))
    rates = net.add(px.Monitor(out, "rate"))
    net.run(STEPS * DT, progress=False)
    y = rates.values[:, 0]
    theta = BCM["theta_init"]
    for k in range(STEPS - 1):
        target = y[k] ** 2 / BCM["y0"]
        theta = target + (theta - target) * np.exp(-DT / BCM["tau_theta"])
    state = net.state.projections[0].rule
    np.testing.assert_allclose(state.theta, [theta], rtol=1e-12)
    np.testing.assert_allclose(state.target, [y[-1] ** 2 / BCM["y0"]], rtol=1e-12)


# -- mixed spiking and rate networks -----------------------------------------------------


def test_spikes_to_rate_neuron_to_lif():
    """Poisson → RateNeuron (Oja on that projection: a spike counts as x = 1, its input
    is the summed weights of the arriving spikes) → LIF (a current w·r per step)."""
    n_in, dt, steps, w2 = 50, 0.1, 3000, 120.0
    net = px.Network(dt=dt, seed=5)
    inp = net.add(px.Population(px.PoissonInput(40.0), n_in))
    rate = net.add(px.Population(px.RateNeuron("rectified", tau=5.0), 2))
    lif = net.add(px.Population(px.LIF(), 1))
    w0 = np.random.default_rng(1).uniform(0.5, 1.5, (n_in, 2))
    proj = net.add(px.Projection(inp, rate, px.all_to_all(n_in, 2), px.Oja(0.01), weights=w0))
    net.add(px.Projection(rate, lif, px.all_to_all(2, 1), weights=w2))
    spikes_in = net.add(px.Monitor(inp))
    rates = net.add(px.Monitor(rate, "rate"))
    current = net.add(px.Monitor(lif, "i_exc"))
    spikes_out = net.add(px.Monitor(lif))
    net.run(steps * dt, progress=False)

    emitted = np.zeros((steps, n_in))
    emitted[np.round(spikes_in.t / dt).astype(int), spikes_in.i] = 1.0
    w, r, i_exc = w0.copy(), np.zeros(2), 0.0
    expected_r, expected_i = [], []
    for k in range(steps):
        x = emitted[k - 1] if k >= 1 else np.zeros(n_in)
        r_before = r
        target = np.maximum(x @ w, 0.0)
        r = target + (r - target) * np.exp(-dt / 5.0)
        w = w + 0.01 * dt * r * (x[:, None] - r * w)
        i_exc = (i_exc + w2 * r_before.sum()) * np.exp(-dt / 2.0)  # LIF tau_syn_exc = 2
        expected_r.append(r)
        expected_i.append(i_exc)
    np.testing.assert_allclose(rates.values, expected_r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(net.weights(proj), w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(current.values[:, 0], expected_i, rtol=1e-12, atol=1e-9)
    assert spikes_in.t.size > 100 and spikes_out.t.size > 3  # both sides are active


# -- rate sources ---------------------------------------------------------------------


def test_rate_array_input_cycles_and_is_chunk_size_invariant():
    values = np.arange(12.0).reshape(4, 3)
    results = []
    for chunk in (3, 100):
        net = px.Network(dt=1.0)
        inp = net.add(px.Population(px.RateArrayInput(values, cycle=True), 3))
        out = net.add(px.Population(px.RateNeuron(), 3))
        net.add(px.Projection(inp, out, px.one_to_one(3), weights=1.0))
        rates = net.add(px.Monitor(out, "rate"))
        net.run(10.0, chunk_size=chunk, progress=False)
        results.append(rates.values)
    expected = np.vstack([np.zeros(3)] + [values[k % 4] for k in range(9)])
    np.testing.assert_array_equal(results[0], expected)
    np.testing.assert_array_equal(results[1], expected)


def test_gaussian_rate_input_statistics_and_chunk_invariance():
    """One sample per absolute step: drawing steps 0…19 999 at once or in two pieces gives
    the same samples, with the given mean and covariance. (The validation of Oja's rule
    runs this source through a network.)"""
    cov = np.array([[2.0, 0.8, 0.0], [0.8, 1.0, -0.3], [0.0, -0.3, 0.5]])
    mean = np.array([1.0, -2.0, 0.5])
    drive = jax.jit(
        lambda source, key, steps, n: source.drive(key, steps, n, 1.0), static_argnums=3
    )
    source = px.GaussianRateInput(cov, mean)
    key = jax.random.PRNGKey(9)
    steps = jnp.arange(20_000)
    whole = np.asarray(drive(source, key, steps, 3))
    pieces = [np.asarray(drive(source, key, part, 3)) for part in (steps[:7_000], steps[7_000:])]
    np.testing.assert_array_equal(np.vstack(pieces), whole)
    assert np.abs(whole.mean(axis=0) - mean).max() < 0.05  # 5 SEM at the largest variance
    assert np.abs(np.cov(whole.T) - cov).max() < 0.08
    independent = np.asarray(drive(px.GaussianRateInput(0.25), key, steps, 2))
    c = np.cov(independent.T)
    assert abs(c[0, 0] - 0.25) < 0.02 and abs(c[0, 1]) < 0.02
    assert np.abs(independent.mean(axis=0)).max() < 0.02


# -- errors -------------------------------------------------------------------------


def _rate_net(rule=None, capacity=None, source=None):
    net = px.Network(dt=1.0)
    inp = net.add(px.Population(source or px.RateArrayInput(np.ones((5, 2))), 2))
    out = net.add(px.Population(px.RateNeuron(), 2))
    net.add(px.Projection(inp, out, px.all_to_all(2, 2), rule, capacity=capacity))
    return net, inp, out


def test_bad_parameters():
    with pytest.raises(ValueError, match=r"activation must be one of \['linear', 'rectified'\]"):
        px.RateNeuron("sigmoid")
    with pytest.raises(ValueError, match="RateNeuron: tau must be a finite number > 0, got 0.0"):
        px.RateNeuron(tau=0.0)
    with pytest.raises(ValueError, match="RateNeuron: gain must be finite, got nan"):
        px.RateNeuron(gain=float("nan"))
    with pytest.raises(ValueError, match="Oja: eta must be a finite number >= 0, got -0.1"):
        px.Oja(eta=-0.1)
    with pytest.raises(ValueError, match="Oja: w_max must be > w_min, got w_min=1.0, w_max=0.0"):
        px.Oja(w_min=1.0, w_max=0.0)
    with pytest.raises(ValueError, match="BCM: tau_theta must be a finite number > 0, got 0.0"):
        px.BCM(tau_theta=0.0)
    with pytest.raises(ValueError, match="BCM: y0 must be a finite number > 0, got -1.0"):
        px.BCM(y0=-1.0)
    with pytest.raises(ValueError, match="BCM: theta_init must be a finite number >= 0"):
        px.BCM(theta_init=-1.0)
    with pytest.raises(ValueError, match=r"RateArrayInput: values must be a \[T, n\] array"):
        px.RateArrayInput(np.ones(5))
    with pytest.raises(ValueError, match="RateArrayInput: values must be finite"):
        px.RateArrayInput(np.full((2, 2), np.inf))
    with pytest.raises(ValueError, match="GaussianRateInput: cov must be symmetric"):
        px.GaussianRateInput([[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="positive semi-definite, got an eigenvalue -1"):
        px.GaussianRateInput([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"cov \(variances\) must be >= 0"):
        px.GaussianRateInput([1.0, -1.0])
    with pytest.raises(ValueError, match="GaussianRateInput: mean must be a finite number"):
        px.GaussianRateInput(1.0, mean=np.nan)


def test_sizes_checked_when_built():
    net, _, _ = _rate_net(source=px.RateArrayInput(np.ones((5, 3))))
    with pytest.raises(ValueError, match=r"one column per unit, shape \(T, 2\), got shape"):
        net.run(1.0, progress=False)
    net = px.Network(dt=1.0)
    net.add(px.Population(px.RateNeuron(gain=np.ones(3)), 2))
    with pytest.raises(ValueError, match=r"gain must be a number or have shape \(2,\)"):
        net.run(1.0, progress=False)
    net, _, _ = _rate_net(source=px.GaussianRateInput(np.eye(3)))
    with pytest.raises(ValueError, match=r"cov has shape \(3, 3\) but the population has 2"):
        net.run(1.0, progress=False)


def test_rate_array_input_past_its_end():
    net, _, _ = _rate_net()
    net.run(5.0, progress=False)  # rows 0..4: fine
    with pytest.raises(
        px.SimulationError,
        match=r"went past the last row of its values.*"
        r"\(2 entries",
    ):
        net.run(2.0, progress=False)


def test_monitor_spikes_of_a_rate_population():
    net, _, out = _rate_net()
    net.add(px.Monitor(out))
    with pytest.raises(
        ValueError,
        match=r"emits rates, not spikes; record its rate with "
        r"Monitor\(pop1, 'rate'\)",
    ):
        net.run(1.0, progress=False)


def test_capacity_on_a_rate_projection():
    net, _, _ = _rate_net(capacity=2)
    with pytest.raises(ValueError, match="emits rates, not spikes, so it has no spike events"):
        net.run(1.0, progress=False)


@pytest.mark.parametrize(
    "rule",
    [px.PairSTDP(), px.rules.chain(px.Oja(), px.PairSTDP())],
    ids=["pair_stdp", "chain"],
)
def test_spike_timing_rule_on_a_rate_projection(rule):
    net, _, _ = _rate_net(rule=rule)
    name = type(rule).__name__
    with pytest.raises(
        ValueError,
        match=f"population 'pop0' emits rates, not spikes, but its "
        f"rule {name} learns from spikes; use a rate-based rule",
    ):
        net.run(1.0, progress=False)


def test_spike_timing_rule_onto_a_rate_neuron():
    net = px.Network(dt=1.0)
    inp = net.add(px.Population(px.PoissonInput(5.0), 2))
    out = net.add(px.Population(px.RateNeuron(), 2))
    net.add(px.Projection(inp, out, px.all_to_all(2, 2), px.PairSTDP()))
    with pytest.raises(ValueError, match="its postsynaptic population 'pop1' emits rates"):
        net.run(1.0, progress=False)


def test_grad_through_rule_and_neuron_parameters():
    """Parameters are leaves: jax.grad of the final weights with respect to BCM's eta and
    the RateNeuron's tau matches a finite difference."""
    values, pre, post, w0 = _problem()
    net = px.Network(dt=DT)
    inp = net.add(px.Population(px.RateArrayInput(values), N_PRE))
    out = net.add(px.Population(px.RateNeuron(tau=2.0), N_POST))
    conn = px.from_indices(pre, post, N_PRE, N_POST, format="csr")
    net.add(px.Projection(inp, out, conn, px.BCM(**BCM), weights=w0))
    net.build()
    key = jax.random.PRNGKey(0)

    @jax.jit
    def loss(eta, tau):
        spec = eqx.tree_at(lambda s: s.projections[0].rule.eta, net.spec, eta)
        spec = eqx.tree_at(lambda s: s.populations[1].model.tau, spec, tau)
        final, _, _ = px.core.run(spec, net.state, key, 60)
        return jnp.sum(final.projections[0].w ** 2)

    eta, tau = jnp.asarray(BCM["eta"]), jnp.asarray(2.0)
    grads = jax.grad(loss, argnums=(0, 1))(eta, tau)
    eps = 1e-6
    numeric = (
        (loss(eta + eps, tau) - loss(eta - eps, tau)) / (2 * eps),
        (loss(eta, tau + eps) - loss(eta, tau - eps)) / (2 * eps),
    )
    for g, n in zip(grads, numeric, strict=True):
        assert abs(float(g)) > 1e-4
        assert float(g) == pytest.approx(float(n), rel=1e-5)
    assert px.RateNeuron().tau is None  # instantaneous: no time constant leaf
