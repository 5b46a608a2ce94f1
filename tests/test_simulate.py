"""Chunked simulation: determinism, chunk-size and format invariance, overflow and NaN
detection, and gradients through a plastic run."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px

N_IN = 50


def song_like(fmt="dense", seed=0, capacity=None, on_overflow="error", weights=None, rate=40.0):
    net = px.Network(dt=0.1, seed=seed)
    inp = net.add(px.Population(px.PoissonInput(rate), N_IN, name="inputs"))
    out = net.add(px.Population(px.LIFCond(), 2, name="out"))
    rule = px.PairSTDP(20.0, 20.0, 0.002, 0.0021, w_min=0.0, w_max=0.2)
    proj = net.add(
        px.Projection(
            inp,
            out,
            px.all_to_all(N_IN, 2, format=fmt),
            rule,
            weights=px.initializers.uniform(0.0, 0.2) if weights is None else weights,
            capacity=capacity,
            on_overflow=on_overflow,
            name="stdp",
        )
    )
    spikes = net.add(px.Monitor(out))
    return net, proj, spikes


def outcome(net, proj, spikes):
    return spikes.t.copy(), spikes.i.copy(), net.weights(proj)


def test_same_seed_same_result_whatever_the_chunk_size():
    runs = []
    for chunk in (2000, 173):
        net, proj, spikes = song_like()
        net.run(200.0, chunk_size=chunk, progress=False)
        runs.append(outcome(net, proj, spikes))
    net, proj, spikes = song_like()  # and split over two calls of run()
    net.run(80.0, chunk_size=500, progress=False)
    net.run(120.0, chunk_size=500, progress=False)
    runs.append(outcome(net, proj, spikes))
    assert runs[0][0].size > 5
    for other in runs[1:]:
        np.testing.assert_array_equal(other[0], runs[0][0])
        np.testing.assert_array_equal(other[1], runs[0][1])
        np.testing.assert_array_equal(other[2], runs[0][2])


def test_a_different_seed_gives_a_different_run():
    results = []
    for seed in (0, 1):
        net, proj, spikes = song_like(seed=seed)
        net.run(200.0, progress=False)
        results.append(outcome(net, proj, spikes))
    assert not np.array_equal(results[0][2], results[1][2])


@pytest.mark.parametrize("capacity", [None, 16])
def test_formats_agree(capacity):
    results = []
    for fmt in ("dense", "csr", "coo"):
        net, proj, spikes = song_like(fmt, capacity=capacity, on_overflow="dense")
        net.run(200.0, progress=False)
        results.append(outcome(net, proj, spikes))
    for other in results[1:]:
        np.testing.assert_array_equal(other[0], results[0][0])
        np.testing.assert_allclose(other[2], results[0][2], rtol=0, atol=1e-12)


def test_overflow_is_reported_with_projection_capacity_and_count():
    net, _, _ = song_like("csr", capacity=1, rate=400.0)
    with pytest.raises(px.BufferOverflowError, match=r"'stdp'.*capacity=1.*at least [2-9]"):
        net.run(50.0, progress=False)


def test_overflow_fallback_equals_the_all_synapse_path():
    reference = song_like("csr", capacity=None, rate=400.0)
    fallback = song_like("csr", capacity=1, rate=400.0, on_overflow="dense")
    results = []
    for net, proj, spikes in (reference, fallback):
        net.run(50.0, progress=False)
        results.append(outcome(net, proj, spikes))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=0, atol=1e-12)


def test_nan_is_detected_and_named():
    net, _, _ = song_like(weights=np.nan)
    with pytest.raises(px.NonFiniteError, match="'out'|'stdp'"):
        net.run(10.0, progress=False)


def _final_weight_sum(a_plus, spec, state, key):
    spec = eqx.tree_at(lambda s: s.projections[0].rule.a_plus, spec, a_plus)
    final, _, _ = px.core.run(spec, state, key, 400)
    return jnp.sum(final.projections[0].w ** 2)


def test_grad_wrt_a_plus_matches_finite_difference():
    net, _, _ = song_like(weights=px.initializers.uniform(0.02, 0.18))
    net.build()
    key = jax.random.PRNGKey(3)
    a_plus = jnp.asarray(0.002)
    grad = jax.grad(_final_weight_sum)(a_plus, net.spec, net.state, key)
    eps = 1e-7
    plus = _final_weight_sum(a_plus + eps, net.spec, net.state, key)
    minus = _final_weight_sum(a_plus - eps, net.spec, net.state, key)
    finite_difference = (plus - minus) / (2 * eps)
    assert np.isfinite(grad) and abs(grad) > 1e-6
    assert float(grad) == pytest.approx(float(finite_difference), rel=1e-5)


def test_vmap_over_seeds_equals_separate_runs():
    net, _, _ = song_like()
    net.build()
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    batched = jax.vmap(lambda k: px.core.run(net.spec, net.state, k, 300)[0])(keys)
    for b, key in enumerate(keys):
        single, _, _ = px.core.run(net.spec, net.state, key, 300)
        np.testing.assert_allclose(
            batched.projections[0].w[b], single.projections[0].w, rtol=0, atol=1e-12
        )


def test_network_without_any_drive_runs_and_fires_at_the_analytic_time():
    # Only a neuron with a constant current: no population has a drive to scan over.
    tau_m, c_m, i_e = 10.0, 250.0, 500.0  # v_inf = -70 + 500*10/250 = -50 mV
    net = px.Network(dt=0.1)
    pop = net.add(px.Population(px.LIF(tau_m=tau_m, c_m=c_m, i_e=i_e, t_ref=0.0), 1))
    mon = net.add(px.Monitor(pop))
    net.run(30.0, progress=False)
    v_inf = -70.0 + i_e * tau_m / c_m
    first = tau_m * np.log((v_inf - -70.0) / (v_inf - -55.0))  # from v_rest to v_th
    assert mon.t.size >= 1
    assert abs(mon.t[0] - first) <= 0.1 + 1e-9


@pytest.mark.parametrize("fmt, capacity", [("dense", None), ("csr", 8), ("coo", None)])
def test_accelerator_code_path_gives_the_same_run(monkeypatch, fmt, capacity):
    # On a GPU, branches are replaced by computing both sides and selecting (and the
    # power of the weight dependence is always computed); results must not change.
    import plastix._backend as backend

    def run():
        jax.clear_caches()
        net, proj, spikes = song_like(fmt, capacity=capacity, rate=60.0)
        weights = net.add(px.Monitor(proj, "w", every=3.0))
        net.run(120.0, chunk_size=700, progress=False)
        return outcome(net, proj, spikes) + (weights.values.copy(), weights.t.copy())

    cpu = run()
    monkeypatch.setattr(backend, "_forced", False)
    accelerator = run()
    monkeypatch.setattr(backend, "_forced", None)
    jax.clear_caches()
    assert cpu[0].size > 5 and cpu[3].shape[0] == 40
    for a, b in zip(cpu, accelerator, strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-12)


@pytest.mark.parametrize("capacity", [(8, None), (None, 2), (50, 1)])
def test_capacity_per_side_gives_the_all_synapse_result(capacity):
    reference = song_like("dense", capacity=None, rate=60.0)
    sided = song_like("dense", capacity=capacity, rate=60.0, on_overflow="dense")
    results = []
    for net, proj, spikes in (reference, sided):
        net.run(100.0, progress=False)
        results.append(outcome(net, proj, spikes))
    assert results[0][0].size > 3
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=0, atol=1e-12)


def test_overflow_of_a_sided_buffer_names_both_sizes():
    net, _, _ = song_like("csr", capacity=(1, None), rate=400.0)
    with pytest.raises(px.BufferOverflowError, match=r"capacity=\(pre 1, post None\)"):
        net.run(20.0, progress=False)
