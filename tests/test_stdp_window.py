"""The pair STDP window (VALIDATION §1): analytic isolated pairs and ANNarchy's protocol.

Each pre/post pair lives on its own one-to-one synapse, so many Δt run in one network.
A presynaptic spike emitted in step k arrives (and is seen by STDP) in step k + 1, so
Δt = t_post − t_arrival; the expected values are computed here from the formulas.
"""

import numpy as np
import pytest

import plastix as px

DT = 0.1


def run_pairs(t_pre_emit, t_post, rule, fmt="csr", w0=1.0, duration=None, capacity=None):
    n = len(t_pre_emit)
    net = px.Network(dt=DT)
    pre = net.add(px.Population(px.SpikeTimesInput(t_pre_emit, np.arange(n)), n))
    post = net.add(px.Population(px.SpikeTimesInput(t_post, np.arange(n)), n))
    proj = net.add(
        px.Projection(
            pre,
            post,
            px.one_to_one(n, format=fmt),
            rule,
            weights=w0,
            capacity=capacity,
            on_overflow="dense",
        )
    )
    duration = duration or (max(np.max(t_pre_emit), np.max(t_post)) + 5.0)
    net.run(duration, progress=False)
    return np.diag(net.weights(proj))


@pytest.mark.parametrize("fmt", ["dense", "csr", "coo"])
def test_isolated_pairs_follow_the_analytic_window(fmt):
    a_plus, a_minus, tau_plus, tau_minus = 0.01, 0.012, 16.8, 33.7
    rule = px.PairSTDP(tau_plus, tau_minus, a_plus, a_minus, w_min=-10.0, w_max=10.0)
    lags = np.arange(-80, 81) * 0.5  # Δt at the synapse [ms], multiples of dt
    t_arrival = 100.0
    t_pre_emit = np.full(lags.size, t_arrival - DT)
    t_post = t_arrival + lags
    # capacity 4 < 161 simultaneous arrivals: those steps take the all-synapse path
    dw = run_pairs(t_pre_emit, t_post, rule, fmt, w0=0.0, capacity=4)
    expected = np.where(
        lags >= 0, a_plus * np.exp(-lags / tau_plus), -a_minus * np.exp(lags / tau_minus)
    )
    np.testing.assert_allclose(dw, expected, rtol=1e-6, atol=1e-15)
    # an arrival in the same step as the post spike precedes it: full potentiation
    assert dw[lags == 0][0] == pytest.approx(a_plus, rel=1e-12)


def test_annarchy_single_synapse_protocol():
    """ANNarchy's "STDP – single synapse" protocol, measured at the synapse.

    τ± = 20 ms, A± = 0.01, w ∈ [0, 2], w₀ = 1; pre: x += A₊·w_max, w = clip(w − y);
    post: y += A₋·w_max, w = clip(w + x). Post fires at 50 ms, pre at 0…100 ms. Our
    rule with a± = A±·w_max is the same; the pre spike is emitted one step early so that
    it *arrives* at t_pre.
    """
    a, w_max, tau = 0.01, 2.0, 20.0
    rule = px.PairSTDP(tau, tau, a * w_max, a * w_max, w_min=0.0, w_max=w_max)
    t_pre = np.linspace(100.0, 0.0, 101)
    t_pre_emit = t_pre - DT
    keep = t_pre_emit >= 0  # t_pre = 0 cannot arrive at 0: emitted at −dt
    dw = run_pairs(t_pre_emit[keep], np.full(keep.sum(), 50.0), rule, w0=1.0, duration=105.0) - 1.0
    lag = 50.0 - t_pre[keep]
    # Δt = 0 is order-dependent in ANNarchy; here the arrival precedes the post spike.
    expected = np.where(lag >= 0, 1.0, -1.0) * 2 * a * np.exp(-np.abs(lag) / tau)
    np.testing.assert_allclose(dw, expected, rtol=1e-9, atol=1e-14)
    assert dw.max() == pytest.approx(0.02, rel=1e-9)  # Δt = 0: pre counts first


def test_nearest_spike_counts_only_the_latest_pre_spike():
    rule_all = px.PairSTDP(20.0, 20.0, 0.01, 0.0, w_min=0.0, w_max=10.0)
    rule_nearest = px.PairSTDP(20.0, 20.0, 0.01, 0.0, w_min=0.0, w_max=10.0, nearest=True)
    pre = np.array([10.0, 20.0]) - DT  # two arrivals at 10 and 20 ms, then post at 30 ms
    for rule, lags in ((rule_all, [20.0, 10.0]), (rule_nearest, [10.0])):
        net = px.Network(dt=DT)
        a = net.add(px.Population(px.SpikeTimesInput(pre, [0, 0]), 1))
        b = net.add(px.Population(px.SpikeTimesInput([30.0], [0]), 1))
        proj = net.add(px.Projection(a, b, px.one_to_one(1), rule, weights=1.0))
        net.run(40.0, progress=False)
        expected = 1.0 + sum(0.01 * np.exp(-lag / 20.0) for lag in lags)
        assert net.weights(proj)[0, 0] == pytest.approx(expected, rel=1e-12)


def test_multiplicative_rule_scales_with_the_distance_to_the_bound():
    rule = px.PairSTDP(20.0, 20.0, 0.1, 0.1, w_min=0.0, w_max=1.0, mu_plus=1.0, mu_minus=1.0)
    dw = run_pairs([9.9, 29.9], [20.0, 20.0], rule, w0=0.25) - 0.25
    assert dw[0] == pytest.approx(0.1 * (1 - 0.25) * np.exp(-10 / 20), rel=1e-12)
    assert dw[1] == pytest.approx(-0.1 * 0.25 * np.exp(-10 / 20), rel=1e-12)


def test_chain_applies_rules_in_order():
    one = px.PairSTDP(20.0, 20.0, 0.01, 0.0, w_min=0.0, w_max=10.0)
    two = px.PairSTDP(10.0, 10.0, 0.02, 0.0, w_min=0.0, w_max=10.0)
    dw = run_pairs([9.9], [20.0], px.chain(one, two), w0=1.0) - 1.0
    expected = 0.01 * np.exp(-10 / 20) + 0.02 * np.exp(-10 / 10)
    assert dw[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "mu, known", [(0.0, None), (1.0, None), (0.5, None), (2.0, None), (0.0, 0.0), (1.0, 1.0)]
)
def test_weight_dependence_equals_the_power_and_its_derivatives(mu, known):
    """Also with the exponent ``known`` when tracing (``PairSTDP.specialized``)."""
    import jax
    import jax.numpy as jnp

    from plastix.rules.pair_stdp import weight_dependence

    d = np.array([0.0, 1e-3, 0.2, 0.5, 0.9, 1.0])
    expected = np.where(d > 0, np.power(np.where(d > 0, d, 1.0), mu), 1.0 if mu == 0 else 0.0)
    got = weight_dependence(jnp.asarray(d), jnp.asarray(mu), known)
    np.testing.assert_allclose(got, expected)
    # Derivatives against central differences (in mu, and in d away from 0).
    for x in (0.2, 0.5, 0.9):
        f = lambda a, b: weight_dependence(jnp.asarray(a), jnp.asarray(b), known)  # noqa: E731
        by_d, by_mu = jax.grad(f, argnums=(0, 1))(x, mu)
        h = 1e-6
        np.testing.assert_allclose(
            by_d, (x + h) ** mu / (2 * h) - (x - h) ** mu / (2 * h), rtol=1e-6, atol=1e-9
        )
        numeric_mu = (x ** (mu + h) - x ** (mu - h)) / (2 * h)
        np.testing.assert_allclose(by_mu, numeric_mu, rtol=1e-6, atol=1e-9)


def test_specialized_pair_stdp_fixes_only_exponents_it_can_see():
    import jax
    import jax.numpy as jnp

    from plastix.rules.pair_stdp import known_exponent

    assert known_exponent(jnp.asarray(0.0)) == 0.0
    assert known_exponent(jnp.ones(3)) == 1.0
    assert known_exponent(jnp.asarray([0.0, 1.0])) is None  # e.g. an ensemble's values
    assert known_exponent(jnp.asarray(0.5)) is None
    jax.jit(lambda m: assert_none(known_exponent(m)))(jnp.asarray(0.0))  # traced: unknown

    additive = px.PairSTDP(mu_plus=0.0, mu_minus=0.0)
    assert additive.exponents == (None, None)  # as built: decided per step
    fixed = additive.specialized()
    assert fixed.exponents == (0.0, 0.0) and additive.exponents == (None, None)
    assert fixed.specialized() is fixed
    assert px.PairSTDP(mu_plus=1.0, mu_minus=0.3).specialized().exponents == (1.0, None)


def assert_none(value):
    assert value is None
    return 0


@pytest.mark.parametrize("mu", [0.0, 1.0])
def test_network_run_with_known_exponents_equals_the_pure_run(mu):
    """``Network.run`` fixes mu = 0 or 1 when compiling; the pure ``core.run`` (what
    ``grad`` goes through) chooses per step: the same weights."""
    import jax

    net = px.Network(dt=DT, seed=2)
    inp = net.add(px.Population(px.PoissonInput(80.0), 40))
    out = net.add(px.Population(px.LIF(tau_m=10.0, c_m=10.0, v_rest=-50.0), 3))
    rule = px.PairSTDP(20.0, 20.0, 0.01, 0.0105, w_min=0.0, w_max=1.0, mu_plus=mu, mu_minus=mu)
    proj = net.add(px.Projection(inp, out, px.all_to_all(40, 3), rule, weights=0.5))
    net.build()
    start = net.state
    net.run(200.0, progress=False)
    pure, _, _ = px.core.run(net.spec, start, jax.random.PRNGKey(2), 2000)
    assert net.spec.projections[0].rule.exponents == (None, None)
    np.testing.assert_allclose(
        np.asarray(net.weights(proj)),
        np.asarray(net.spec.projections[0].connectivity.to_dense(pure.projections[0].w)),
        rtol=1e-12,
        atol=1e-15,
    )
    assert np.std(net.weights(proj)) > 1e-4  # the weights did learn
