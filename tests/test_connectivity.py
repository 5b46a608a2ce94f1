"""Connectivity builders and formats, independent of networks.

1. Every builder gives the same synapse set in every format, with the right counts and
   degrees, and is reproducible from its seed.
2. In every format, the event path (``propagate_events``, ``apply_pre_events``,
   ``apply_post_events``) equals the all-synapse path (``propagate``, ``apply_masked``),
   and both equal a NumPy computation from the dense matrix, padded event slots included.
3. ``from_matrix``/``to_dense`` and ``from_canonical``/``to_canonical`` round trips.

Float64 throughout (``tests/conftest.py``).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px
from plastix.core import gather_events

FORMATS = ("dense", "csr", "coo")
N_PRE, N_POST = 7, 5

# name -> fn(format, seed, allow_autapses) on N_PRE × N_POST neurons
BUILDERS = {
    "all_to_all": lambda f, seed, aut=True: px.all_to_all(
        N_PRE, N_POST, allow_autapses=aut, format=f
    ),
    "one_to_one": lambda f, seed, aut=True: px.one_to_one(N_POST, format=f),
    "fixed_indegree": lambda f, seed, aut=True: px.fixed_indegree(
        N_PRE, N_POST, 3, seed=seed, allow_autapses=aut, format=f
    ),
    "fixed_outdegree": lambda f, seed, aut=True: px.fixed_outdegree(
        N_PRE, N_POST, 2, seed=seed, allow_autapses=aut, format=f
    ),
    "fixed_total_number": lambda f, seed, aut=True: px.fixed_total_number(
        N_PRE, N_POST, 12, seed=seed, allow_autapses=aut, format=f
    ),
    "pairwise_bernoulli": lambda f, seed, aut=True: px.pairwise_bernoulli(
        N_PRE, N_POST, 0.4, seed=seed, allow_autapses=aut, format=f
    ),
}
RANDOM = ("fixed_indegree", "fixed_outdegree", "fixed_total_number", "pairwise_bernoulli")


def pairs(conn) -> np.ndarray:
    """The synapses as an [n, 2] array of (pre, post) in canonical order."""
    pre, post = conn.canonical_indices()
    return np.stack([np.asarray(pre), np.asarray(post)], axis=1)


def ones_matrix(conn) -> np.ndarray:
    return np.asarray(conn.to_dense(conn.from_canonical(jnp.ones(conn.n_synapses))))


# -- 1. builders -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builder_gives_the_same_synapses_in_every_format(name):
    conns = {f: BUILDERS[name](f, 3) for f in FORMATS}
    expected_types = {"dense": px.Dense, "csr": px.CSR, "coo": px.COO}
    reference = pairs(conns["csr"])
    # canonical order is sorted by (pre, post)
    assert np.array_equal(reference, reference[np.lexsort((reference[:, 1], reference[:, 0]))])
    matrix = np.zeros((conns["csr"].n_pre, conns["csr"].n_post))
    np.add.at(matrix, (reference[:, 0], reference[:, 1]), 1.0)
    for f, conn in conns.items():
        assert isinstance(conn, expected_types[f])
        assert conn.n_synapses == reference.shape[0]
        np.testing.assert_array_equal(pairs(conn), reference)
        np.testing.assert_array_equal(ones_matrix(conn), matrix)


@pytest.mark.parametrize("fmt", FORMATS)
def test_all_to_all_and_one_to_one(fmt):
    full = ones_matrix(px.all_to_all(N_PRE, N_POST, format=fmt))
    np.testing.assert_array_equal(full, np.ones((N_PRE, N_POST)))
    square = ones_matrix(px.all_to_all(4, 4, allow_autapses=False, format=fmt))
    np.testing.assert_array_equal(square, 1.0 - np.eye(4))
    np.testing.assert_array_equal(ones_matrix(px.one_to_one(4, format=fmt)), np.eye(4))


@pytest.mark.parametrize("fmt", FORMATS)
def test_fixed_degrees_and_total(fmt):
    indeg = pairs(BUILDERS["fixed_indegree"](fmt, 1))
    np.testing.assert_array_equal(np.bincount(indeg[:, 1], minlength=N_POST), np.full(N_POST, 3))
    outdeg = pairs(BUILDERS["fixed_outdegree"](fmt, 1))
    np.testing.assert_array_equal(np.bincount(outdeg[:, 0], minlength=N_PRE), np.full(N_PRE, 2))
    total = pairs(BUILDERS["fixed_total_number"](fmt, 1))
    assert total.shape[0] == 12


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize("aut", [True, False])
def test_no_multapses_and_autapses_removed(fmt, name, aut):
    p = pairs(BUILDERS[name](fmt, 2, aut))
    assert len({tuple(x) for x in p}) == p.shape[0]  # no multapses
    if not aut:
        assert not np.any(p[:, 0] == p[:, 1])


def test_autapses_removed_keep_the_degrees():
    # square population projecting onto itself: indegree/outdegree still exact
    indeg = pairs(px.fixed_indegree(6, 6, 5, seed=0, allow_autapses=False))
    assert not np.any(indeg[:, 0] == indeg[:, 1])
    np.testing.assert_array_equal(np.bincount(indeg[:, 1], minlength=6), np.full(6, 5))
    outdeg = pairs(px.fixed_outdegree(6, 6, 5, seed=0, allow_autapses=False))
    assert not np.any(outdeg[:, 0] == outdeg[:, 1])
    np.testing.assert_array_equal(np.bincount(outdeg[:, 0], minlength=6), np.full(6, 5))
    total = pairs(px.fixed_total_number(6, 6, 30, seed=0, allow_autapses=False))
    assert total.shape[0] == 30 and not np.any(total[:, 0] == total[:, 1])


@pytest.mark.parametrize("name", RANDOM)
def test_seed_reproducible_and_distinct(name):
    a, b, c = (pairs(BUILDERS[name]("csr", seed)) for seed in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


@pytest.mark.parametrize("fmt", FORMATS)
def test_pairwise_bernoulli_count(fmt):
    n_pre, n_post, p = 40, 50, 0.3
    counts = [
        px.pairwise_bernoulli(n_pre, n_post, p, seed=seed, format=fmt).n_synapses
        for seed in range(3)
    ]
    mean = p * n_pre * n_post
    sigma = np.sqrt(n_pre * n_post * p * (1 - p))
    assert all(abs(c - mean) < 4 * sigma for c in counts), (counts, mean, sigma)
    assert len(set(counts)) > 1  # different seeds, different draws
    assert px.pairwise_bernoulli(4, 3, 0.0, seed=0, format=fmt).n_synapses == 0
    assert px.pairwise_bernoulli(4, 3, 1.0, seed=0, format=fmt).n_synapses == 12


# -- 2. event path = all-synapse path = NumPy ------------------------------------------------


def random_connectivity(fmt: str, seed: int, n_pre: int = 6, n_post: int = 5):
    """Random sparse synapses via from_indices, unsorted; multapses in csr/coo."""
    rng = np.random.default_rng(seed)
    if fmt == "dense":
        flat = rng.choice(n_pre * n_post, size=13, replace=False)
        pre, post = np.divmod(flat, n_post)
    else:
        pre = rng.integers(0, n_pre, size=16)
        post = rng.integers(0, n_post, size=16)
        pre = np.concatenate([pre, [pre[0], pre[0]]])  # the first synapse, twice more
        post = np.concatenate([post, [post[0], post[0]]])
    conn = px.from_indices(pre, post, n_pre, n_post, format=fmt)
    return conn, pre, post


CASES = [(fmt, seed) for fmt in FORMATS for seed in (0, 1)] + [("dense-full", 0)]


def make_case(fmt: str, seed: int):
    """(conn, weights in storage layout, canonical pre, canonical post, canonical weights)."""
    if fmt == "dense-full":
        conn = px.Dense(6, 5)
        pre, post = (a.ravel() for a in np.indices((6, 5)))
    else:
        conn, pre, post = random_connectivity(fmt, seed)
    order = np.lexsort((post, pre))
    cpre, cpost = pre[order], post[order]
    np.testing.assert_array_equal(pairs(conn), np.stack([cpre, cpost], axis=1))
    values = np.random.default_rng(100 + seed).normal(size=cpre.size)
    return conn, conn.from_canonical(jnp.asarray(values)), cpre, cpost, values


def fired(n: int, seed: int) -> np.ndarray:
    spikes = np.random.default_rng(seed).random(n) < 0.5
    spikes[0] = True
    return spikes


def events(spikes: np.ndarray, capacity: int):
    """Buffer ids as the core makes them; with capacity > count, padded with n."""
    buffer = gather_events(jnp.asarray(spikes), capacity)
    ids = np.asarray(buffer.ids)
    assert int(buffer.count) == spikes.sum()
    assert np.array_equal(ids[: spikes.sum()], np.flatnonzero(spikes))
    assert np.all(ids[spikes.sum() :] == spikes.size)
    return buffer.ids


def update(w, pre, post, syn):
    return w + 10.0 * pre + post + 1.0


@pytest.mark.parametrize("fmt, seed", CASES)
def test_propagate_event_path_equals_dense_product(fmt, seed):
    conn, w, cpre, cpost, values = make_case(fmt, seed)
    matrix = np.zeros((conn.n_pre, conn.n_post))
    np.add.at(matrix, (cpre, cpost), values)  # multapses sum
    np.testing.assert_allclose(np.asarray(conn.to_dense(w)), matrix, rtol=0, atol=1e-14)
    for spikes in (fired(conn.n_pre, seed), np.zeros(conn.n_pre, bool), np.ones(conn.n_pre, bool)):
        expected = spikes.astype(float) @ matrix
        masked = conn.propagate(w, jnp.asarray(spikes))
        assert masked.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(masked), expected, rtol=1e-12, atol=1e-12)
        for capacity in (max(1, int(spikes.sum())), conn.n_pre + 2):
            ids = events(spikes, capacity)
            got = conn.propagate_events(w, ids)
            np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12, atol=1e-12)
            start = np.linspace(-1.0, 1.0, conn.n_post)  # ``into``: added to what is there
            got = conn.propagate_events(w, ids, into=jnp.asarray(start))
            np.testing.assert_allclose(np.asarray(got), start + expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fmt, seed", CASES)
def test_propagate_synapses_equals_numpy(fmt, seed):
    conn, w, cpre, cpost, values = make_case(fmt, seed)
    flags = np.random.default_rng(seed).random(cpre.size) < 0.5
    arrived = conn.from_canonical(jnp.asarray(flags))
    expected = np.zeros(conn.n_post)
    np.add.at(expected, cpost[flags], values[flags])
    got = conn.propagate_synapses(w, arrived)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("side", ["pre", "post"])
@pytest.mark.parametrize("fmt, seed", CASES)
def test_apply_events_equals_masked_and_numpy(fmt, seed, side):
    conn, w, cpre, cpost, values = make_case(fmt, seed)
    n = conn.n_pre if side == "pre" else conn.n_post
    spikes = fired(n, 10 + seed)
    if side == "pre":
        masked = conn.apply_masked(w, conn.pre_selected(jnp.asarray(spikes)), update)
        touched = spikes[cpre]
    else:
        masked = conn.apply_masked(w, conn.post_selected(jnp.asarray(spikes)), update)
        touched = spikes[cpost]
    expected = np.where(touched, values + 10.0 * cpre + cpost + 1.0, values)
    np.testing.assert_allclose(np.asarray(conn.to_canonical(masked)), expected, rtol=1e-14)
    for capacity in (int(spikes.sum()), n + 3):  # exact fit, and padded slots
        ids = events(spikes, capacity)
        if side == "pre":
            got = conn.apply_pre_events(w, ids, update)
        else:
            got = conn.apply_post_events(w, ids, update)
        assert got.shape == w.shape and got.dtype == jnp.float64
        # the whole storage array: non-existing dense entries are left alone too
        np.testing.assert_allclose(np.asarray(got), np.asarray(masked), rtol=1e-14)
        np.testing.assert_allclose(np.asarray(conn.to_canonical(got)), expected, rtol=1e-14)


@pytest.mark.parametrize("fmt", FORMATS)
def test_apply_events_with_only_padding_changes_nothing(fmt):
    conn, w, *_ = make_case(fmt, 0)
    for n, apply in ((conn.n_pre, conn.apply_pre_events), (conn.n_post, conn.apply_post_events)):
        ids = events(np.zeros(n, bool), 4)
        np.testing.assert_array_equal(np.asarray(apply(w, ids, update)), np.asarray(w))


@pytest.mark.parametrize("fmt", FORMATS)
def test_apply_events_on_a_pytree(fmt):
    """Values may be a PyTree; fn sees each leaf gathered the same way."""
    conn, w, cpre, cpost, values = make_case(fmt, 1)
    tree = {"w": w, "x": 2.0 * w}

    def fn(v, pre, post, syn):
        return {"w": v["w"] + v["x"] + post, "x": v["x"] - pre}

    spikes = fired(conn.n_pre, 3)
    got = conn.apply_pre_events(tree, events(spikes, conn.n_pre + 1), fn)
    masked = conn.apply_masked(tree, conn.pre_selected(jnp.asarray(spikes)), fn)
    touched = spikes[cpre]
    expected_w = np.where(touched, 3.0 * values + cpost, values)
    expected_x = np.where(touched, 2.0 * values - cpre, 2.0 * values)
    for result in (got, masked):
        np.testing.assert_allclose(np.asarray(conn.to_canonical(result["w"])), expected_w)
        np.testing.assert_allclose(np.asarray(conn.to_canonical(result["x"])), expected_x)


# -- 3. round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, seed", CASES)
def test_from_matrix_to_dense_round_trip(fmt, seed):
    conn, _, cpre, cpost, _ = make_case(fmt, seed)
    matrix = np.random.default_rng(seed).normal(size=(conn.n_pre, conn.n_post))
    multiplicity = np.zeros_like(matrix)
    np.add.at(multiplicity, (cpre, cpost), 1.0)
    per_synapse = conn.from_matrix(jnp.asarray(matrix))
    assert per_synapse.shape == conn.synapse_shape
    np.testing.assert_array_equal(np.asarray(conn.to_canonical(per_synapse)), matrix[cpre, cpost])
    # entries without a synapse become 0; multapses each carry the entry, so they sum
    np.testing.assert_allclose(
        np.asarray(conn.to_dense(per_synapse)), matrix * multiplicity, rtol=1e-15
    )


@pytest.mark.parametrize("fmt, seed", CASES)
def test_canonical_round_trip(fmt, seed):
    conn, _, cpre, cpost, _ = make_case(fmt, seed)
    ranks = jnp.arange(conn.n_synapses)
    stored = conn.from_canonical(ranks)
    assert stored.shape == conn.synapse_shape
    np.testing.assert_array_equal(np.asarray(conn.to_canonical(stored)), np.arange(cpre.size))
    # the synapse stored at each place is the one of that canonical rank
    pre, post, _ = conn.synapse_indices()
    pre = np.broadcast_to(np.asarray(pre), conn.synapse_shape)
    post = np.broadcast_to(np.asarray(post), conn.synapse_shape)
    exists = conn.exists()
    where = np.ones(conn.synapse_shape, bool) if exists is None else np.asarray(exists)
    rank = np.asarray(stored)[where]
    np.testing.assert_array_equal(pre[where], cpre[rank])
    np.testing.assert_array_equal(post[where], cpost[rank])
    # and back: storage → canonical → storage is the identity on existing synapses
    x = np.random.default_rng(seed).normal(size=conn.synapse_shape)
    x = np.where(where, x, 0.0)
    back = conn.from_canonical(conn.to_canonical(jnp.asarray(x)))
    np.testing.assert_array_equal(np.asarray(back), x)


def test_coo_keeps_the_given_order_and_csr_sorts():
    pre, post = np.array([2, 0, 2, 1]), np.array([1, 1, 0, 0])
    coo = px.COO(pre, post, 3, 2)
    csr = px.CSR(pre, post, 3, 2)
    np.testing.assert_array_equal(np.asarray(coo.pre), pre)
    np.testing.assert_array_equal(np.asarray(coo.post), post)
    np.testing.assert_array_equal(np.asarray(csr.pre), [0, 1, 2, 2])
    np.testing.assert_array_equal(np.asarray(csr.post), [1, 0, 0, 1])
    np.testing.assert_array_equal(pairs(coo), pairs(csr))
    values = jnp.asarray([10.0, 20.0, 30.0, 40.0])  # canonical: (0,1) (1,0) (2,0) (2,1)
    np.testing.assert_array_equal(np.asarray(coo.from_canonical(values)), [40.0, 10.0, 30.0, 20.0])
    np.testing.assert_array_equal(np.asarray(csr.from_canonical(values)), values)


def test_weight_monitor_on_a_masked_dense_matrix():
    """Recording a masked Dense projection's weights inside the jitted run (the canonical
    indices are host data, not traced values)."""
    net = px.Network(dt=1.0, seed=1)
    a = net.add(px.Population(px.PoissonInput(100.0), 3))
    b = net.add(px.Population(px.LIF(), 3))
    proj = net.add(
        px.Projection(a, b, px.one_to_one(3, format="dense"), px.PairSTDP(a_plus=0.01),
                      weights=[0.1, 0.2, 0.3])
    )  # fmt: skip
    weights = net.add(px.Monitor(proj, "w", every=5.0))
    net.run(20.0, progress=False)
    assert weights.values.shape == (4, 3)
    np.testing.assert_allclose(weights.values[-1], np.diag(net.weights(proj)), rtol=0, atol=0)
