"""PolynomialRule (Confavreux et al. 2020): a NumPy float64 loop written here from the
equation, in every connectivity format; the Oja special case against ``Oja``; the
gradient with respect to θ through ``plastix.core.run`` against finite differences; and
the errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px
from plastix.metalearn import replace_rule

DT = 0.5
STEPS = 100
N_PRE, N_POST = 6, 4
FORMATS = ["dense", "csr", "coo"]


def _problem(seed: int = 3, density: float = 0.7):
    """Input rows (one per step), a random synapse list in canonical order, weights."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(-0.5, 1.0, (STEPS, N_PRE))
    pairs = [(i, j) for i in range(N_PRE) for j in range(N_POST) if rng.random() < density]
    pre, post = (np.array(v) for v in zip(*pairs, strict=True))
    return values, pre, post, rng.uniform(-0.3, 0.6, len(pairs))


def _theta(seed: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (3, 3, 3))


def run_rule(rule, fmt):
    """RateArrayInput → linear RateNeuron through the plastic projection; final weights."""
    values, pre, post, w0 = _problem()
    net = px.Network(dt=DT)
    inp = net.add(px.Population(px.RateArrayInput(values), N_PRE))
    out = net.add(px.Population(px.RateNeuron("linear"), N_POST))
    conn = px.from_indices(pre, post, N_PRE, N_POST, format=fmt)
    proj = net.add(px.Projection(inp, out, conn, rule, weights=w0))
    net.run(STEPS * DT, progress=False)
    return net.weights(proj)[pre, post]


def reference(theta, eta, w_min=-np.inf, w_max=np.inf):
    """Step k: x is the row emitted at k − 1 (none at step 0), y = Σ w·x with the
    weights before the update, then w += eta·dt·Σ θ_abc·xᵃ·yᵇ·wᶜ and the clipping."""
    values, pre, post, w = _problem()
    w = w.copy()
    for k in range(STEPS):
        x = values[k - 1, pre] if k >= 1 else np.zeros(len(pre))
        y = np.bincount(post, weights=w * x, minlength=N_POST)[post]
        dw = np.zeros_like(w)
        for a in range(3):
            for b in range(3):
                for c in range(3):
                    dw += theta[a, b, c] * x**a * y**b * w**c
        w = np.clip(w + eta * DT * dw, w_min, w_max)
    return w


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bounds", [None, (-0.2, 0.6)])
def test_polynomial_rule_equals_reference(fmt, bounds):
    theta, eta = _theta(), 0.02
    limits = {} if bounds is None else {"w_min": bounds[0], "w_max": bounds[1]}
    w = run_rule(px.PolynomialRule(theta, eta, **limits), fmt)
    expected = reference(theta, eta, *(bounds or ()))
    assert np.abs(expected - _problem()[3]).max() > 0.05  # the weights moved
    if bounds is not None:
        at_bound = np.isin(expected, bounds)
        assert np.any(at_bound) and not np.all(at_bound)  # the clipping acts on some
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("fmt", FORMATS)
def test_oja_special_case_equals_oja(fmt):
    limits = {"w_min": -0.1, "w_max": 0.5}
    theta = np.asarray(px.PolynomialRule.oja(0.2).theta)
    assert theta[1, 1, 0] == 1.0 and theta[0, 2, 1] == -1.0
    assert np.count_nonzero(theta) == 2
    for kwargs in ({}, limits):
        w = run_rule(px.PolynomialRule.oja(0.2, **kwargs), fmt)
        np.testing.assert_allclose(w, run_rule(px.Oja(0.2, **kwargs), fmt), rtol=0, atol=1e-12)


def _short_run():
    """A loss of θ: the squared final weights after 30 steps (no clipping: smooth)."""
    values, pre, post, w0 = _problem()
    net = px.Network(dt=DT)
    inp = net.add(px.Population(px.RateArrayInput(values), N_PRE))
    out = net.add(px.Population(px.RateNeuron("linear"), N_POST))
    conn = px.from_indices(pre, post, N_PRE, N_POST, format="csr")
    rule = px.PolynomialRule(np.zeros((3, 3, 3)), eta=0.05)
    net.add(px.Projection(inp, out, conn, rule, weights=w0))
    net.build()

    @jax.jit
    def loss(theta):
        spec = replace_rule(net.spec, 0, theta=theta)
        final, _, _ = px.core.run(spec, net.state, jax.random.key(0), 30)
        return jnp.sum(final.projections[0].w ** 2)

    return loss


def test_gradient_wrt_theta_matches_finite_differences():
    loss = _short_run()
    theta = jnp.asarray(0.3 * _theta(7))
    grad = np.asarray(jax.grad(loss)(theta))
    h = 1e-6
    numeric = np.zeros((3, 3, 3))
    for idx in np.ndindex(3, 3, 3):
        step = np.zeros((3, 3, 3))
        step[idx] = h
        numeric[idx] = (loss(theta + step) - loss(theta - step)) / (2 * h)
    assert np.abs(grad).max() > 1e-3  # not a trivial zero gradient
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_vmap_over_theta_equals_separate_runs():
    loss = _short_run()
    thetas = jnp.stack([jnp.asarray(0.3 * _theta(s)) for s in range(3)])
    batched = np.asarray(jax.vmap(loss)(thetas))
    np.testing.assert_allclose(batched, [float(loss(t)) for t in thetas], rtol=1e-12)


def test_bad_parameters():
    where = "PolynomialRule: "
    with pytest.raises(ValueError, match=rf"{where}theta must have shape \(3, 3, 3\), got shape"):
        px.PolynomialRule(np.zeros(27))
    with pytest.raises(ValueError, match=r"got shape \(3, 3\)"):
        px.PolynomialRule(np.zeros((3, 3)))
    bad = np.zeros((3, 3, 3))
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=f"{where}theta must be finite"):
        px.PolynomialRule(bad)
    with pytest.raises(ValueError, match=f"{where}eta must be a finite number >= 0, got -0.1"):
        px.PolynomialRule(np.zeros((3, 3, 3)), eta=-0.1)
    with pytest.raises(ValueError, match=f"{where}w_max must be > w_min, got w_min=1.0"):
        px.PolynomialRule(np.zeros((3, 3, 3)), w_min=1.0, w_max=0.0)
