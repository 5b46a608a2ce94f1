"""Gradients through a spiking run: surrogate spike functions, float spikes in the core,
and gradient checkpointing.

The networks are small (10 Poisson inputs → 3 LIF, PairSTDP, 150 steps of 0.1 ms) and
run in float64 (conftest), so finite differences resolve ~1e-7 relative.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px
import plastix.surrogate as sg
from plastix._core.recording import Recording

N_IN, N_OUT, STEPS = 10, 3, 150
SURROGATES = [sg.fast_sigmoid(1.0), sg.triangle(0.5), sg.arctan(1.0)]


def network(surrogate=None, neuron="lif", plastic=True, capacity=None, seed=0):
    """Inputs → 3 neurons held just below threshold by a constant current (LIF) or a
    strong input (LIFCond), so that a few input spikes make them fire."""
    net = px.Network(dt=0.1, seed=seed)
    inp = net.add(px.Population(px.PoissonInput(300.0), N_IN, name="in"))
    if neuron == "lif":
        model = px.LIF(i_e=360.0, surrogate=surrogate)
        weights = px.initializers.uniform(150.0, 300.0)
        rule = px.PairSTDP(20.0, 20.0, 8.0, 8.4, w_min=0.0, w_max=2000.0)
    else:
        model = px.LIFCond(v_init=-56.0, surrogate=surrogate)
        weights = px.initializers.uniform(0.05, 0.15)
        rule = px.PairSTDP(20.0, 20.0, 0.002, 0.0021, w_min=0.0, w_max=10.0)
    out = net.add(px.Population(model, N_OUT, name="out"))
    proj = net.add(
        px.Projection(
            inp,
            out,
            px.all_to_all(N_IN, N_OUT),
            rule if plastic else None,
            weights=weights,
            capacity=capacity,
            name="syn",
        )
    )
    spikes = net.add(px.Monitor(out))
    net.build()
    return net, proj, spikes


KEY = jax.random.PRNGKey(7)
V_REC = Recording("state", 1, "v")  # membrane potential of "out", every step
S_REC = Recording("spikes", 1)  # spikes of "out", every step


@eqx.filter_jit
def simulate(spec, state, checkpoint=False):
    final, (v, s), _ = px.core.run(spec, state, KEY, STEPS, (V_REC, S_REC), checkpoint)
    return final, v, s


def with_params(net, params):
    """The network's spec and state with parameters replaced: ``params`` maps "a_plus",
    "tau_m", "v_th" or "w0" (the initial weights) to a value."""
    spec, state = net.spec, net.state
    for where, value in params.items():
        if where == "w0":
            state = state._replace(projections=(state.projections[0]._replace(w=value),))
        elif where == "a_plus":
            spec = eqx.tree_at(lambda s: s.projections[0].rule.a_plus, spec, value)
        else:
            spec = eqx.tree_at(lambda s, w=where: getattr(s.populations[1].model, w), spec, value)
    return spec, state


def with_param(net, where, value):
    return with_params(net, {where: value})


def weights_and_voltage(net, where, value, checkpoint=False):
    """Sum of the final weights plus the mean membrane potential [mV] over the run."""
    final, v, _ = simulate(*with_param(net, where, value), checkpoint)
    return jnp.sum(final.projections[0].w) + jnp.mean(v)


def mean_voltage(net, where, value, checkpoint=False):
    return jnp.mean(simulate(*with_param(net, where, value), checkpoint)[1])


def spike_count(net, where, value, checkpoint=False):
    """The number of output spikes (a float: surrogate spikes are 0.0/1.0)."""
    return jnp.sum(simulate(*with_param(net, where, value), checkpoint)[2], dtype=float)


def central_difference(fn, x, eps):
    if jnp.ndim(x) == 0:
        return (fn(x + eps) - fn(x - eps)) / (2 * eps)
    flat = x.reshape(-1)
    cols = [
        (fn((flat.at[i].add(eps)).reshape(x.shape)) - fn((flat.at[i].add(-eps)).reshape(x.shape)))
        / (2 * eps)
        for i in range(flat.size)
    ]
    return jnp.stack(cols).reshape(x.shape)


def spikes_of(net, where, value):
    return np.asarray(simulate(*with_param(net, where, value))[2]) > 0


# --- surrogate functions ---------------------------------------------------------------


@pytest.mark.parametrize("surrogate", SURROGATES, ids=lambda s: type(s).__name__)
def test_surrogate_is_the_step_forward_and_its_derivative_backward(surrogate):
    x = jnp.array([-3.0, -0.4, -1e-12, 0.0, 1e-12, 0.7, 5.0])
    np.testing.assert_array_equal(surrogate(x), (np.asarray(x) >= 0).astype(float))
    grads = jax.vmap(jax.grad(surrogate))(x)
    np.testing.assert_allclose(grads, surrogate.derivative(x), rtol=1e-15)
    assert np.all(grads >= 0) and grads[3] == np.max(grads)  # a bump peaked at threshold
    # Each derivative is the documented formula.
    s, a = surrogate.scale, np.abs(np.asarray(x))
    expected = {
        "FastSigmoid": 1 / (1 + s * a) ** 2,
        "Triangle": s * np.maximum(0, 1 - s * a),
        "ArcTan": (s / 2) / (1 + (np.pi * s * np.asarray(x) / 2) ** 2),
    }[type(surrogate).__name__]
    np.testing.assert_allclose(grads, expected, rtol=1e-14)


def test_surrogate_rejects_a_bad_scale_and_a_neuron_a_bad_surrogate():
    with pytest.raises(ValueError, match="scale"):
        sg.triangle(0.0)
    with pytest.raises(TypeError, match="surrogate"):
        px.LIF(surrogate=lambda x: x)


# --- (a) forward identical ---------------------------------------------------------------


@pytest.mark.parametrize("neuron", ["lif", "lif_cond"])
@pytest.mark.parametrize("surrogate", SURROGATES, ids=lambda s: type(s).__name__)
def test_forward_with_a_surrogate_equals_forward_without(neuron, surrogate):
    results = []
    for sur in (None, surrogate):
        net, proj, spikes = network(sur, neuron)
        net.run(STEPS * 0.1, progress=False)
        results.append((spikes.t, spikes.i, net.weights(proj), net.state.populations[1].v))
    assert results[0][0].size >= 5  # the outputs do spike
    for a, b in zip(results[0], results[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert net.state.history[1].dtype == jnp.float64  # float spikes in the history


def test_surrogate_spikes_are_floats_and_still_trigger_plasticity():
    net, _, _ = network(SURROGATES[0])
    final, _, s = simulate(net.spec, net.state)
    assert s.dtype == jnp.float64 and set(np.unique(np.asarray(s))) <= {0.0, 1.0}
    assert float(jnp.sum(s)) >= 5
    # on_post ran: the weights moved (rate populations skip it; surrogate spikes must not).
    assert not np.allclose(final.projections[0].w, net.state.projections[0].w)


def test_event_path_from_a_surrogate_population_is_refused_at_build():
    net = px.Network(dt=0.1)
    a = net.add(px.Population(px.LIF(surrogate=sg.fast_sigmoid()), 4, name="a"))
    b = net.add(px.Population(px.LIF(), 4, name="b"))
    net.add(px.Projection(a, b, px.all_to_all(4, 4), capacity=2, name="ab"))
    with pytest.raises(ValueError, match=r"'ab'.*surrogate.*capacity None"):
        net.build()
    # A post-side buffer is fine: which synapses on_post updates carries no gradient anyway.
    net, _, spikes = network(SURROGATES[0], capacity=(None, 3))
    net.run(STEPS * 0.1, progress=False)
    ref, _, ref_spikes = network(SURROGATES[0])
    ref.run(STEPS * 0.1, progress=False)
    np.testing.assert_array_equal(spikes.t, ref_spikes.t)
    # Two programs: on a CPU the all-synapse one is small enough for XLA to compile its
    # step loop as one function (plastix/_xla_options.py), where LLVM may contract a
    # multiply and an add across former kernels: equal up to rounding, not bit for bit.
    np.testing.assert_allclose(
        net.weights(net.projections[0]), ref.weights(ref.projections[0]), rtol=1e-13, atol=0
    )


# --- (b) gradients against finite differences --------------------------------------------
#
# A central difference of the true (step-function) simulation only matches an exact
# gradient where no spike moves under the perturbation; we check that first. Where the
# spikes are fixed, the true derivative ignores the spikes' dependence on the parameter,
# which is what the boolean-spike network differentiates: its gradient must match the
# finite difference to ~1e-6. A surrogate network adds pseudo-derivatives of the spikes
# (not a derivative of the true function), so it is checked on quantities that spikes do
# not feed back into, and for being finite, nonzero and of the right sign.


@pytest.mark.parametrize("where", ["a_plus", "w0"])
def test_exact_gradient_wrt_rule_parameter_and_initial_weights(where):
    net, _, _ = network(None)
    x = net.spec.projections[0].rule.a_plus if where == "a_plus" else net.state.projections[0].w
    eps = 1e-6 * float(jnp.max(jnp.abs(x)))

    def loss(value):
        return weights_and_voltage(net, where, value)

    grad = jax.grad(loss)(x)
    # The regime: no spike moves under the largest perturbation.
    base = spikes_of(net, where, x)
    assert base.sum() >= 5
    np.testing.assert_array_equal(spikes_of(net, where, x + eps), base)
    np.testing.assert_array_equal(spikes_of(net, where, x - eps), base)
    fd = central_difference(loss, x, eps)
    assert np.all(np.isfinite(grad)) and np.max(np.abs(grad)) > 1e-3
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9 * float(np.max(np.abs(fd))))


@pytest.mark.parametrize("surrogate", [None, *SURROGATES], ids=lambda s: type(s).__name__)
def test_membrane_gradient_wrt_neuron_parameters_with_spikes_fixed(surrogate):
    # Static weights: output spikes feed nothing back into v (the reset is detached), so
    # even with a surrogate the gradient of the mean v is the true derivative while spikes
    # stay put: d/d tau_m from the integration, and d/d v_th = 0 (v_th only decides
    # spikes).
    net, _, _ = network(surrogate, plastic=False)
    for where, expect_zero in (("tau_m", False), ("v_th", True)):
        x = getattr(net.spec.populations[1].model, where)
        eps = 1e-6 * abs(float(x))
        base = spikes_of(net, where, x)
        np.testing.assert_array_equal(spikes_of(net, where, x + eps), base)
        np.testing.assert_array_equal(spikes_of(net, where, x - eps), base)

        def loss(value, where=where):
            return mean_voltage(net, where, value)

        grad = jax.grad(loss)(x)
        fd = central_difference(loss, x, eps)
        if expect_zero:
            assert float(grad) == 0.0 and abs(float(fd)) < 1e-9
        else:
            assert abs(float(grad)) > 1e-3
            assert float(grad) == pytest.approx(float(fd), rel=1e-6)


@pytest.mark.parametrize("surrogate", SURROGATES, ids=lambda s: type(s).__name__)
def test_surrogate_gives_a_usable_gradient_of_the_spike_count(surrogate):
    net, _, _ = network(surrogate)
    v_th = net.spec.populations[1].model.v_th
    w0 = net.state.projections[0].w
    g_th = jax.grad(lambda x: spike_count(net, "v_th", x))(v_th)
    g_w = jax.grad(lambda x: spike_count(net, "w0", x))(w0)
    g_a = jax.grad(lambda x: weights_and_voltage(net, "a_plus", x))(
        net.spec.projections[0].rule.a_plus
    )
    assert np.isfinite(g_th) and np.all(np.isfinite(g_w)) and np.isfinite(g_a)
    # A higher threshold means fewer spikes, larger excitatory weights more: the surrogate
    # gradient has the sign of the coarse (step-function) trend.
    assert float(g_th) < 0 and float(jnp.sum(g_w)) > 0
    coarse = spike_count(net, "v_th", v_th + 1.0) - spike_count(net, "v_th", v_th - 1.0)
    assert float(coarse) < 0
    # Without a surrogate the spike count is piecewise constant: its gradient is 0.
    plain, _, _ = network(None)
    assert float(jax.grad(lambda x: spike_count(plain, "v_th", x))(v_th)) == 0.0


# --- (c) checkpointing -------------------------------------------------------------------


@pytest.mark.parametrize("surrogate", [None, SURROGATES[0]], ids=["plain", "surrogate"])
def test_checkpoint_gives_the_same_values_and_gradients(surrogate):
    net, _, _ = network(surrogate)
    a = simulate(net.spec, net.state)
    for ckpt in (True, 40):  # per step; per segment of 40 steps (150 = 3·40 + 30)
        b = simulate(net.spec, net.state, checkpoint=ckpt)
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
            np.testing.assert_array_equal(x, y)
    params = {
        "a_plus": net.spec.projections[0].rule.a_plus,
        "tau_m": net.spec.populations[1].model.tau_m,
        "w0": net.state.projections[0].w,
    }

    def loss(params, checkpoint):
        final, v, _ = simulate(*with_params(net, params), checkpoint)
        return jnp.sum(final.projections[0].w) + jnp.mean(v)

    g = jax.grad(loss)(params, False)
    for ckpt in (True, 40):
        g_ckpt = jax.grad(loss)(params, ckpt)
        for where in params:
            assert np.all(np.isfinite(g[where])) and np.any(g[where] != 0)
            np.testing.assert_allclose(g_ckpt[where], g[where], rtol=1e-12, atol=0)
