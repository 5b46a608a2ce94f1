"""VALIDATION §8: rate-based rules. Oja's rule finds the principal component with unit
norm; BCM becomes selective to one of K patterns with the response K·y0 (online through
the Network, and as the deterministic batch rule built from the rule's own functions)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px


def block_connectivity(n, learners):
    """Learner j reads only inputs j·n … (j + 1)·n − 1."""
    pre = np.arange(n * learners)
    return px.from_indices(pre, pre // n, n * learners, learners, format="csr")


def oja_network(n, eta, updates, learners=5, seed=0):
    """Zero-mean Gaussian x (eigenvalues 3, then 1 … 0.1: eigengap λ₁ − λ₂ = 2) → linear
    RateNeuron units with Oja's rule, one sample per step of 1 ms.

    The projection delivers x one step after the source emitted it, and the unit computes
    y = wᵀx from that arrival in the same step, so the rule pairs the x and y of one
    sample; step 0 has no arrival (x = y = 0), hence ``updates + 1`` steps. The
    ``learners`` units are independent problems in one network: each reads its own block
    of the input, with its own eigenbasis, samples and initial weights.
    """
    rng = np.random.default_rng(seed)
    eigenvalues = np.concatenate([[3.0], np.linspace(1.0, 0.1, n - 1)])
    bases = [np.linalg.qr(rng.normal(size=(n, n)))[0] for _ in range(learners)]
    cov = np.zeros((n * learners, n * learners))
    for j, basis in enumerate(bases):
        cov[j * n : (j + 1) * n, j * n : (j + 1) * n] = (basis * eigenvalues) @ basis.T
    net = px.Network(dt=1.0, seed=seed)
    x = net.add(px.Population(px.GaussianRateInput(cov), n * learners))
    y = net.add(px.Population(px.RateNeuron("linear"), learners))
    w0 = rng.normal(0.0, 0.3, n * learners)  # ‖w₀‖ ≈ 0.3·√n, |cos(w₀, e₁)| ≈ 1/√n
    conn = block_connectivity(n, learners)
    proj = net.add(px.Projection(x, y, conn, px.Oja(eta), weights=w0))
    net.run(float(updates + 1), chunk_size=10_000, progress=False)
    w = net.weights(proj)
    w = np.stack([w[j * n : (j + 1) * n, j] for j in range(learners)])
    cosine = np.abs(np.einsum("ji,ij->j", w, np.stack([b[:, 0] for b in bases], axis=1)))
    return cosine / np.linalg.norm(w, axis=1), np.linalg.norm(w, axis=1)


@pytest.mark.parametrize("n, eta, updates", [(10, 0.002, 3000), (100, 2e-4, 30_000)])
def test_oja_finds_the_principal_component(n, eta, updates):
    cosine, norm = oja_network(n, eta, updates)
    print(f"n={n}: |cos(w, e1)| = {np.round(cosine, 4)}, ‖w‖ = {np.round(norm, 4)}")
    assert np.all(cosine >= 0.99)
    assert np.all(np.abs(norm - 1.0) <= 0.02)


K, N, Y0 = 4, 10, 1.0
ETA, TAU_THETA = 0.001, 100.0  # τ_θ = 100 presentations of 1 ms; τ_θ < 1/(η·y0) = 1000


def patterns(rng):
    """K orthonormal non-negative patterns in N-D (disjoint random supports)."""
    p = np.zeros((K, N))
    for j, support in enumerate(np.array_split(rng.permutation(N), K)):
        p[j, support] = rng.uniform(0.5, 1.5, support.size)
    return p / np.linalg.norm(p, axis=1, keepdims=True)


def test_bcm_becomes_selective_online():
    """150 000 presentations, one random pattern (equal probabilities) per 1 ms step, for
    ``learners`` independent units in one network (each its own patterns, sequence and
    initial weights, on its own block of the input)."""
    presentations, learners = 150_000, 4
    rng = np.random.default_rng(0)
    p = [patterns(rng) for _ in range(learners)]
    shown = rng.integers(0, K, (learners, presentations))
    rows = np.zeros((presentations + 1, N * learners))  # the last row is never delivered
    for j in range(learners):
        rows[:-1, j * N : (j + 1) * N] = p[j][shown[j]]
    w0 = rng.uniform(0.0, 1.0, N * learners)  # every pattern starts with a positive response
    net = px.Network(dt=1.0)
    x = net.add(px.Population(px.RateArrayInput(rows), N * learners))
    y = net.add(px.Population(px.RateNeuron("linear"), learners))
    rule = px.BCM(eta=ETA, tau_theta=TAU_THETA, y0=Y0)
    net.add(px.Projection(x, y, block_connectivity(N, learners), rule, weights=w0))
    response = net.add(px.Monitor(y, "rate"))
    net.run(float(presentations + 1), chunk_size=50_000, progress=False)
    responses = response.values[1:]  # step k + 1 answers the pattern emitted at step k
    last = slice(int(0.9 * presentations), presentations)
    for j in range(learners):
        seen = shown[j, last]
        means = np.array([responses[last, j][seen == i].mean() for i in range(K)])
        print(
            f"learner {j}: mean responses over the last 10 % / (K·y0) = "
            f"{np.round(means / (K * Y0), 4)}"
        )
        preferred = int(np.argmax(means))
        assert 0.93 * K * Y0 <= means[preferred] <= 1.07 * K * Y0
        assert np.all(np.abs(np.delete(means, preferred)) <= 0.01 * K * Y0)


def test_bcm_batch_fixed_point():
    """The deterministic batch rule: Δw = η·mean_p[x_p·y_p·(y_p − θ)] and θ low-pass of
    mean_p[y_p²]/y0. Built from the rule's own functions: each step the rule's
    increment_pre / increment_post / update run on every pattern (vmap) from the same
    state and weights, and the new weights and ``target`` (y²/y0) are averaged over the
    patterns; both are linear in the per-pattern terms, so the average is the batch rule.
    """
    rng = np.random.default_rng(1)
    p = jnp.asarray(patterns(rng))
    rule = px.BCM(eta=ETA, tau_theta=TAU_THETA, y0=Y0)
    pre, post = jnp.arange(N), jnp.zeros(N, int)
    key = jax.random.key(0)

    def one_pattern(state, w, x):
        y = jnp.dot(w, x)[None]
        state = rule.increment_post(rule.increment_pre(state, x), y)
        return rule.update(state, w, pre, post, 1.0, key), state.target

    def batch_step(carry, _):
        w, state = carry
        state = rule.decay(state, 1.0)  # θ takes in the previous step's mean y²/y0
        ws, targets = jax.vmap(one_pattern, in_axes=(None, None, 0))(state, w, p)
        return (ws.mean(axis=0), state._replace(target=targets.mean(axis=0))), None

    w0 = jnp.asarray(rng.uniform(0.0, 1.0, N))
    (w, _), _ = jax.lax.scan(batch_step, (w0, rule.init(N, 1)), None, length=100_000)
    y = np.asarray(p @ w)
    print(f"batch responses: {y}, |y_pref − K·y0| = {np.abs(y - K * Y0).min():.2e}")
    preferred = int(np.argmax(y))
    assert abs(y[preferred] - K * Y0) < 1e-3
    assert np.all(np.abs(np.delete(y, preferred)) < 1e-3)
