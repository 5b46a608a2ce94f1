"""Event buffers on a CPU: the packed spike search, the event loop, the CSR row window and
the host's sparse spike extraction each give exactly what the plain computation gives.

1. ``gather_events`` (on a CPU, a loop or a vector search over spikes packed 32 to a
   word) equals ``np.flatnonzero`` padded with n, for sizes around the word size, empty
   and full steps; an overflowing buffer holds the first spikes (the loop search:
   ``capacity`` of them, in order).
2. ``for_events`` in blocks equals one call over all slots, also when its ordering
   input is NaN, and so do its derivatives (forward and reverse, closed-over values
   included); a run with event buffers differentiates (reverse mode) like one without.
3. A CSR's one-event window path equals the generic gather path for every row, the
   last rows (where the window is clamped) and an unused slot included.
4. ``sparse_nonzero`` equals ``np.nonzero``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px
from plastix import _backend
from plastix._core.events import (
    EventBuffer,
    _loop_search_compiles_whole,
    for_events,
    gather_events,
)
from plastix._core.simulate import sparse_nonzero
from plastix.connectivity._sparse import AbstractSparse

# -- 1. the spike search ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 5, 31, 32, 33, 64, 100, 257, 3162])
@pytest.mark.parametrize(
    "forced, loop",
    [(None, True), (None, False), (False, True)],  # CPU: loop and vector search; nonzero
)
def test_gather_events_lists_the_spiking_neurons_in_order(monkeypatch, n, forced, loop):
    monkeypatch.setattr(_backend, "_forced", forced)
    if forced is None and loop:  # this test would not see the loop search otherwise
        assert _loop_search_compiles_whole(n, 1) and _loop_search_compiles_whole(n, n)
    rng = np.random.default_rng(n)
    cases = [np.zeros(n, bool), np.ones(n, bool)] + [rng.random(n) < p for p in (0.05, 0.3)]
    for spikes in cases:
        for capacity in sorted({1, 3, max(1, n // 2), n}):
            buffer = gather_events(jnp.asarray(spikes), capacity, loop)
            ids, found = np.asarray(buffer.ids), np.flatnonzero(spikes)
            assert int(buffer.count) == found.size and buffer.count.dtype == jnp.int32
            assert bool(buffer.overflowed()) == (found.size > capacity)
            if found.size > capacity and forced is None and loop:
                # an overflowing buffer (never used as it is) holds `capacity` spikes
                assert np.all(np.diff(ids) > 0) and np.all(spikes[ids])
                continue
            expected = np.full(capacity, n)
            expected[: min(found.size, capacity)] = found[:capacity]
            np.testing.assert_array_equal(ids, expected)


@pytest.mark.parametrize("loop", [True, False])
def test_gather_events_under_jit_and_vmap(loop):
    spikes = np.random.default_rng(0).random((6, 70)) < 0.1
    capacity = 12 if loop else 5  # the loop search: buffers that do not overflow
    got = jax.jit(jax.vmap(lambda s: gather_events(s, capacity, loop).ids))(jnp.asarray(spikes))
    for row, ids in zip(spikes, np.asarray(got), strict=True):
        found = np.flatnonzero(row)[:capacity]
        assert found.size < 12
        np.testing.assert_array_equal(ids[: found.size], found)
        assert np.all(ids[found.size :] == 70)


@pytest.mark.parametrize("forced", [None, False])  # CPU: through a reduction; else as is
def test_computed_once_keeps_the_spikes_and_stores_them_on_a_cpu(monkeypatch, forced):
    monkeypatch.setattr(_backend, "_forced", forced)
    spikes = jnp.asarray(np.random.default_rng(1).random((3, 37)) < 0.3)
    once = jax.jit(jax.vmap(lambda s: _backend.computed_once(s)))(spikes)  # a new trace
    assert once.dtype == jnp.bool_
    np.testing.assert_array_equal(np.asarray(once), np.asarray(spikes))
    jaxpr = str(jax.make_jaxpr(lambda s: _backend.computed_once(s))(spikes[0]))
    assert ("reduce_or" in jaxpr) == (forced is None)  # the reduction XLA does not fuse
    surrogate = jnp.linspace(0.0, 1.0, 5)  # float spikes carry gradients: untouched
    assert _backend.computed_once(surrogate) is surrogate


# -- 2. the event loop -----------------------------------------------------------------------


def _scatter(total, ids, weights):
    return total.at[ids].add(weights, mode="drop")


@pytest.mark.parametrize("width", [1, 40, 1000])  # blocks of 256, 6 and 1 slots
@pytest.mark.parametrize("count", [0, 1, 7, 12, 20])  # 20 > capacity: overflow
def test_for_events_in_blocks_equals_one_call(width, count):
    n, capacity = 50, 12
    rng = np.random.default_rng(count)
    spikes = np.zeros(n, bool)
    spikes[rng.choice(n, count, replace=False)] = True
    buffer = gather_events(jnp.asarray(spikes), capacity)
    weights = jnp.asarray(rng.normal(size=capacity))
    start = jnp.asarray(rng.normal(size=n))
    kwargs = dict(fill=n, width=width, aligned=(weights,))
    whole = for_events(buffer, _scatter, start, loop=False, **kwargs)
    looped = for_events(buffer, _scatter, start, **kwargs)
    ordered = for_events(buffer, _scatter, start, after=jnp.array([jnp.nan]), **kwargs)
    expected = np.asarray(start).copy()
    used = np.asarray(buffer.ids)[: min(count, capacity)]
    expected[used] += np.asarray(weights)[: used.size]
    for got in (whole, looped, ordered):
        np.testing.assert_allclose(np.asarray(got), expected, rtol=0, atol=1e-15)


def test_for_events_visits_nothing_without_spikes():
    buffer = EventBuffer(jnp.full(4, 9), jnp.int32(0))
    calls = []

    def fn(carry, ids):
        calls.append(ids.shape)
        return carry + 1.0

    # fn is traced (the scan's body) but no round runs: the carry is unchanged
    assert float(for_events(buffer, fn, jnp.float64(0.0), fill=9, width=300)) == 0.0
    assert calls  # traced once, with blocks of one slot
    assert calls[0] == (1,)


def _walk_fn(count, loop):
    """A walk over ``count`` spikes (blocks of two slots) as a function of the carry, the
    aligned values and a value that ``fn`` closes over."""
    n, capacity = 20, 8
    spikes = np.zeros(n, bool)
    spikes[np.arange(count) * 3 % n] = True
    buffer = gather_events(jnp.asarray(spikes), capacity)

    def walk(start, weights, gain):
        def fn(total, ids, w):
            old = total.at[ids].get(mode="fill", fill_value=0.0)
            return total.at[ids].add(gain * w**2 * old, mode="drop")

        return for_events(buffer, fn, start, fill=n, width=100, aligned=(weights,), loop=loop)

    return walk


@pytest.mark.parametrize("count", [0, 3, 8])
def test_for_events_derivatives_equal_those_of_one_call(count):
    """The CPU walk stops after the last spike (a while loop: no reverse-mode rule of its
    own); its derivatives in both modes, with respect to the carry, the aligned values
    and a closed-over value, are those of one call over all slots."""
    rng = np.random.default_rng(count)
    args = (jnp.asarray(rng.normal(size=20)), jnp.asarray(rng.normal(size=8)), jnp.float64(0.7))
    looped, whole = _walk_fn(count, True), _walk_fn(count, False)
    np.testing.assert_allclose(looped(*args), whole(*args), rtol=0, atol=1e-15)
    for derivative in (jax.jacrev, jax.jacfwd):
        got = derivative(looped, argnums=(0, 1, 2))(*args)
        want = derivative(whole, argnums=(0, 1, 2))(*args)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-14, atol=1e-15)
    if count:
        assert np.any(np.asarray(jax.jacrev(looped, argnums=2)(*args)) != 0)


def test_for_events_walk_is_a_while_loop_without_derivatives():
    args = (jnp.zeros(20), jnp.ones(8), jnp.float64(1.0))
    primal = str(jax.make_jaxpr(_walk_fn(3, True))(*args))
    assert "while" in primal and "scan" not in primal


def _plastic_net(capacity):
    net = px.Network(dt=0.1, seed=3)
    inp = net.add(px.Population(px.PoissonInput(60.0), 30, name="in"))
    out = net.add(px.Population(px.LIF(tau_m=10.0, c_m=10.0, v_rest=-55.0), 3, name="out"))
    rule = px.PairSTDP(20.0, 20.0, 0.004, 0.0042, w_min=-1.0, w_max=5.0)
    net.add(
        px.Projection(
            inp, out, px.pairwise_bernoulli(30, 3, 0.6, seed=1, format="csr"), rule,
            weights=px.initializers.uniform(1.0, 2.0), capacity=capacity,
        )
    )  # fmt: skip
    net.build()
    return net


def test_grad_through_event_buffers_equals_the_all_synapse_path():
    """The CPU event loop is a fixed-length scan: reverse mode works through it."""
    grads = []
    for capacity in (None, 6):
        net = _plastic_net(capacity)

        def loss(w0, net=net):
            state = net.state._replace(projections=(net.state.projections[0]._replace(w=w0),))
            final, _, _ = px.core.run(net.spec, state, jax.random.PRNGKey(0), 300)
            return jnp.sum(final.projections[0].w ** 2) + jnp.sum(final.populations[1].v)

        w0 = net.state.projections[0].w
        grads.append(np.asarray(jax.jit(jax.grad(loss))(w0)))
    assert np.any(grads[0] != 0)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-14)


# -- 3. the CSR row window -------------------------------------------------------------------


def test_csr_one_event_window_equals_the_gather_path():
    conn = px.pairwise_bernoulli(9, 6, 0.5, seed=4, format="csr")
    rng = np.random.default_rng(0)
    w = jnp.asarray(rng.normal(size=conn.synapse_shape))
    tree = {"w": w, "x": jnp.asarray(rng.normal(size=conn.synapse_shape + (2,)))}

    def fn(v, pre, post, syn):
        return {"w": v["w"] + 10.0 * pre + post + 0.001 * syn, "x": v["x"] * 2.0}

    for i in range(conn.n_pre + 1):  # every row, the last ones clamped, and the unused slot
        ids = jnp.array([i])
        scale = jnp.array([0.5])
        np.testing.assert_array_equal(
            np.asarray(conn.propagate_events(w, ids, scale)),
            np.asarray(AbstractSparse.propagate_events(conn, w, ids, scale)),
        )
        got = conn.apply_pre_events(tree, ids, fn)
        expected = AbstractSparse.apply_pre_events(conn, tree, ids, fn)
        for key in tree:
            np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(expected[key]))


# -- 4. spikes out of a chunk's record -------------------------------------------------------


@pytest.mark.parametrize(
    "shape, p",
    [((40, 16), 0.05), ((3, 7), 0.05), ((2, 5, 8), 0.05), ((0, 8), 0.05), ((37, 24), 0.3)]
    + [((500, 96), p) for p in (0.0, 0.001, 0.05)],  # 16 parts of words, and the rest
)
def test_sparse_nonzero_equals_numpy(shape, p):
    spikes = np.random.default_rng(1).random(shape) < p
    if spikes.size:
        spikes.reshape(-1)[-1] = True  # the last word too
    for got, expected in zip(sparse_nonzero(spikes), np.nonzero(spikes), strict=True):
        np.testing.assert_array_equal(got, expected)
