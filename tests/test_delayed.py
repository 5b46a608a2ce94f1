"""Per-synapse delays on the event path (``plastix._core.delayed``).

The event path schedules each spike's synapses into the arrival lists of the steps they
reach and keeps a rule's presynaptic traces per neuron with a ring of their last values.
The all-synapse path (presynaptic capacity None) keeps one trace per synapse and reads
every synapse's arrival from the spike history: it is the reference here, on the same
network, in float64. The arrival lists are also checked against arrivals computed with
NumPy from the spike trains and the delays.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px
from plastix._core import delayed

jax.config.update("jax_enable_x64", True)

DT = 0.1
N_IN, N_OUT = 14, 4
STEPS = 400


def build(rule, fmt="csr", capacity=(8, N_OUT), on_overflow="error", delays=None, seed=3):
    """Poisson inputs → LIF through one projection with per-synapse delays (1–15 steps)."""
    net = px.Network(dt=DT, seed=seed)
    inp = net.add(px.Population(px.PoissonInput(90.0), N_IN, name="in"))
    out = net.add(px.Population(px.LIF(), N_OUT, name="out"))
    rng = np.random.default_rng(seed)
    if delays is None:
        delays = rng.integers(1, 16, (N_IN, N_OUT)) * DT
    conn = (
        px.fixed_total_number(N_IN, N_OUT, 40, seed=seed, format=fmt)
        if fmt != "dense"
        else px.connectivity.Dense(N_IN, N_OUT, mask=rng.random((N_IN, N_OUT)) < 0.8)
    )
    proj = net.add(
        px.Projection(
            inp,
            out,
            conn,
            rule,
            weights=px.initializers.uniform(300.0, 700.0),
            delay=delays,
            capacity=capacity,
            on_overflow=on_overflow,
            name="syn",
        )
    )
    monitors = (net.add(px.Monitor(inp)), net.add(px.Monitor(out)))
    return net, proj, monitors


def run(net, proj, monitors, chunk=STEPS):
    net.run(STEPS * DT, chunk_size=chunk, progress=False)
    w = np.asarray(proj.connectivity.to_canonical(net.state.projections[0].w))
    spikes = [(np.asarray(m.t), np.asarray(m.i)) for m in monitors]
    return w, spikes


def stdp(**kw):
    return px.PairSTDP(a_plus=20.0, a_minus=22.0, w_min=0.0, w_max=1000.0, **kw)


RULES = {
    "pair-additive": lambda: stdp(),
    "pair-multiplicative-nearest": lambda: stdp(mu_plus=1.0, mu_minus=1.0, nearest=True),
    "pair-restricted": lambda: stdp(nearest="restricted"),
    "pair-pre-centered": lambda: stdp(nearest="pre_centered"),
    "triplet": lambda: px.TripletSTDP.preset("visual_all_to_all_full", w_min=0.0, w_max=1000.0),
    "exp": lambda: px.ExpSTDP(w_max=1000.0, beta=0.002, eta=1000.0, a_minus=0.01, x_target=0.1),
    "inhibitory": lambda: px.InhibitorySTDP(eta=5.0, w_max=1000.0),
    "static": lambda: None,
}


def assert_same(a, b):
    (w_a, spikes_a), (w_b, spikes_b) = a, b
    for (t_a, i_a), (t_b, i_b) in zip(spikes_a, spikes_b, strict=True):
        np.testing.assert_array_equal(t_a, t_b)
        np.testing.assert_array_equal(i_a, i_b)
    np.testing.assert_allclose(w_a, w_b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "fmt", "post_capacity"),
    [
        ("pair-additive", "csr", N_OUT),
        ("pair-multiplicative-nearest", "coo", None),
        ("pair-restricted", "dense", N_OUT),
        ("pair-pre-centered", "csr", None),
        ("triplet", "coo", N_OUT),
        ("exp", "dense", None),
        ("inhibitory", "csr", N_OUT),
        ("static", "coo", N_OUT),
    ],
)
def test_event_path_equals_all_synapse_path(name, fmt, post_capacity):
    """Same spikes and weights as per-synapse traces read from the spike history."""
    net, proj, monitors = build(RULES[name](), fmt, capacity=(8, post_capacity))
    net.build()
    assert net.spec.projections[0].delayed is not None
    events = run(net, proj, monitors)
    net_ref, proj_ref, monitors_ref = build(RULES[name](), fmt, capacity=(None, post_capacity))
    net_ref.build()
    assert net_ref.spec.projections[0].delayed is None
    reference = run(net_ref, proj_ref, monitors_ref)
    assert len(reference[1][1][0]) > 10  # the output neurons spike: on_post is exercised
    if name != "static":
        w0 = np.asarray(proj.connectivity.to_canonical(net.initial_weights(net.seed)[0]))
        assert np.max(np.abs(reference[0] - w0)) > 0.1  # the rule changed the weights
    assert_same(events, reference)


def test_results_do_not_depend_on_the_chunk_size():
    net, proj, monitors = build(stdp(), "csr")
    whole = run(net, proj, monitors)
    net, proj, monitors = build(stdp(), "csr")
    assert_same(run(net, proj, monitors, chunk=37), whole)


def test_overflow_raises_or_takes_the_all_synapse_path():
    """Capacity 1: most steps have more input spikes. "error" reports it after the
    chunk; "dense" delivers those steps' arrivals (and theirs later) over all synapses,
    which gives the results of the all-synapse path."""
    net, proj, monitors = build(stdp(), "csr", capacity=(1, N_OUT))
    with pytest.raises(px.BufferOverflowError, match="capacity"):
        run(net, proj, monitors)
    net, proj, monitors = build(stdp(), "csr", capacity=(1, N_OUT), on_overflow="dense")
    dense = run(net, proj, monitors)
    net, proj, monitors = build(stdp(), "csr", capacity=(None, N_OUT))
    assert_same(dense, run(net, proj, monitors))


def test_arrival_lists_equal_numpy_arrivals():
    """Every step's list holds exactly the synapses whose presynaptic spike of ``d``
    steps before arrives (NumPy, from the spike trains and the delays)."""
    net, proj, _ = build(None, "dense")
    net.build()
    spec = net.spec.projections[0]
    index, state = spec.delayed, net.state.projections[0].delayed
    rng = np.random.default_rng(0)
    raster = rng.random((60, N_IN)) < 0.3
    pre, _, _ = proj.connectivity.synapse_indices()
    pre = np.broadcast_to(np.asarray(pre), proj.connectivity.synapse_shape).reshape(-1)
    steps = np.asarray(spec.delays).reshape(-1)
    exists = np.asarray(proj.connectivity.exists()).reshape(-1)
    schedule = jax.jit(delayed.schedule, static_argnums=(4,))
    for k in range(60):
        row = k % index.length
        listed = np.asarray(state.scheduled[row, : int(state.filled[row])])
        got = sorted(np.asarray(index.by_pre_syn)[listed].tolist())
        expected = [
            s
            for s in range(pre.size)
            if exists[s] and k >= steps[s] and raster[k - steps[s], pre[s]]
        ]
        assert got == expected, k
        state, needed = schedule(index, state, jnp.int32(k), jnp.asarray(raster[k]), True)
        assert int(needed) == 0


def test_gradient_equals_the_all_synapse_paths():
    """Reverse mode through the event path (the walks' scan form) gives the all-synapse
    path's gradient of the final weights with respect to a rule parameter."""

    def value_and_grad(capacity):
        net, _, _ = build(stdp(), "csr", capacity=capacity)
        net.build()

        def loss(a_plus):
            spec = eqx.tree_at(lambda s: s.projections[0].rule.a_plus, net.spec, a_plus)
            final, _, _ = px.core.run(spec, net.state, jax.random.PRNGKey(1), 150)
            return jnp.sum(final.projections[0].w)

        return jax.value_and_grad(loss)(jnp.float64(20.0))

    value, grad = value_and_grad((8, N_OUT))
    value_ref, grad_ref = value_and_grad((None, N_OUT))
    np.testing.assert_allclose(value, value_ref, rtol=1e-12)
    assert abs(float(grad_ref)) > 1e-3
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-9)


def test_rules_without_the_declaration_keep_the_all_synapse_path():
    """A rule whose presynaptic variables are not declared shiftable (here short-term
    plasticity, whose state changes at transmission) keeps per-synapse state."""
    assert delayed.unsupported(stdp(), N_IN, N_OUT) is None
    assert "short-term" in delayed.unsupported(px.TsodyksMarkram(), N_IN, N_OUT)
    net, _, _ = build(px.TsodyksMarkram(), "csr")
    net.build()
    assert net.spec.projections[0].delayed is None


def test_sharded_runs_refuse_the_event_path_with_a_clear_error():
    from plastix.distributed._partition import Partition

    net, _, _ = build(stdp(), "csr")
    net.build()
    with pytest.raises(ValueError, match=r"'syn' has per-synapse delays on the event path"):
        Partition(net.spec, 2)


def test_a_restored_checkpoint_continues_bit_for_bit(tmp_path):
    """The arrival lists and rings are part of the state: store half-way, restore into
    a fresh copy, continue; equals the uninterrupted run."""
    net, proj, monitors = build(stdp(), "coo")
    whole = run(net, proj, monitors)
    first, _, _ = build(stdp(), "coo")
    first.run(STEPS * DT / 2, chunk_size=STEPS, progress=False)
    first.store(tmp_path / "half.h5")
    resumed, proj, monitors = build(stdp(), "coo")
    resumed.restore(tmp_path / "half.h5")
    resumed.run(STEPS * DT / 2, chunk_size=STEPS, progress=False)
    w = np.asarray(proj.connectivity.to_canonical(resumed.state.projections[0].w))
    np.testing.assert_array_equal(w, whole[0])
    for a, b in zip(
        jax.tree_util.tree_leaves(net.state), jax.tree_util.tree_leaves(resumed.state), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_lists_too_large_for_memory_keep_the_all_synapse_path():
    """10⁶ synapses with delays up to 400 steps and a buffer of 2000 spikes: 400 lists
    of up to 10⁶ arrivals each would take 1.6 GB, so the projection keeps one trace per
    synapse instead; a small capacity makes the lists fit."""
    rng = np.random.default_rng(0)
    delays = rng.integers(1, 401, (2000, 500)) * DT
    sizes = {}
    for capacity in (2000, 2):
        net = px.Network(dt=DT)
        a = net.add(px.Population(px.PoissonInput(5.0), 2000, name="a"))
        b = net.add(px.Population(px.LIF(), 500, name="b"))
        net.add(px.Projection(a, b, px.all_to_all(2000, 500), stdp(), delay=delays,
                              capacity=(capacity, None), name="ab"))  # fmt: skip
        net.build()
        index = net.spec.projections[0].delayed
        sizes[capacity] = None if index is None else index.length * index.list_size
    assert sizes[2000] is None
    assert sizes[2] is not None and sizes[2] <= 1 << 24


def test_an_ensemble_equals_its_instances_run_alone():
    """Under vmap (an Ensemble processes every slot at once) the event path gives each
    instance the result of its network run alone."""
    net, proj, _ = build(stdp(), "csr")
    ens = px.Ensemble(net, seeds=[3, 8])
    assert ens.spec.projections[0].delayed is not None
    ens.run(STEPS * DT / 2, progress=False)
    alone, proj_alone, monitors = build(stdp(), "csr")
    alone.seed = 8
    alone.run(STEPS * DT / 2, chunk_size=STEPS, progress=False)
    np.testing.assert_allclose(
        ens.weights(proj)[1], np.asarray(proj.connectivity.to_dense(alone.state.projections[0].w)),
        rtol=1e-12, atol=1e-12,
    )  # fmt: skip
    assert not np.allclose(ens.weights(proj)[0], ens.weights(proj)[1])
