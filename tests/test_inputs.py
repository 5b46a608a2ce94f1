"""Spike sources: rates, time-varying rates, correlation, spike-time arrays."""

import jax.numpy as jnp
import numpy as np
import pytest

import plastix as px


def record(model, n, duration, dt=0.1, seed=0, chunk_size=10_000):
    net = px.Network(dt=dt, seed=seed)
    pop = net.add(px.Population(model, n))
    mon = net.add(px.Monitor(pop))
    net.run(duration, chunk_size=chunk_size, progress=False)
    return mon


def test_poisson_rate_matches_within_five_sigma():
    mon = record(px.PoissonInput(20.0), 400, 1000.0)
    expected = 20.0 * 400 * 1.0
    assert abs(mon.t.size - expected) < 5 * np.sqrt(expected)


def test_poisson_per_unit_rates():
    rates = np.array([0.0, 50.0])
    mon = record(px.PoissonInput(rates), 2, 2000.0)
    assert np.count_nonzero(mon.i == 0) == 0
    assert abs(np.count_nonzero(mon.i == 1) - 100) < 5 * 10


def test_poisson_time_varying_rate():
    mon = record(px.PoissonInput(lambda t: jnp.where(t < 500.0, 0.0, 80.0)), 100, 1000.0)
    assert mon.t.min() >= 500.0
    assert abs(mon.t.size - 4000) < 5 * np.sqrt(4000)


def test_poisson_rate_function_returning_negative_rates_is_reported():
    with pytest.raises(px.SimulationError, match="negative"):
        record(px.PoissonInput(lambda t: -1.0 + 0 * t), 3, 10.0)


def test_poisson_spikes_do_not_depend_on_the_chunk_size():
    a = record(px.PoissonInput(30.0), 20, 300.0, chunk_size=3000)
    b = record(px.PoissonInput(30.0), 20, 300.0, chunk_size=77)
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_array_equal(a.i, b.i)


def test_spike_times_are_placed_in_their_steps():
    mon = record(px.SpikeTimesInput([0.0, 1.04, 2.5, 2.5], [0, 1, 0, 2]), 3, 5.0)
    order = np.lexsort((mon.i, mon.t))
    np.testing.assert_allclose(mon.t[order], [0.0, 1.0, 2.5, 2.5])
    np.testing.assert_array_equal(mon.i[order], [0, 1, 0, 2])


def test_correlated_poisson_rate_and_correlation():
    c, rate, n = 0.3, 20.0, 40
    mon = record(px.CorrelatedPoissonInput(rate, c), n, 20_000.0, dt=1.0)
    assert abs(mon.t.size / n / 20.0 - rate) < 1.5
    counts = np.zeros((n, 2000))
    np.add.at(counts, (mon.i, (mon.t // 10.0).astype(int)), 1)  # 10 ms bins
    corr = np.corrcoef(counts)[np.triu_indices(n, 1)]
    assert abs(corr.mean() - c) < 0.05


def test_fully_correlated_units_share_one_train():
    mon = record(px.CorrelatedPoissonInput(30.0, 1.0), 5, 500.0)
    trains = [np.sort(mon.t[mon.i == k]) for k in range(5)]
    assert trains[0].size > 3
    for train in trains[1:]:
        np.testing.assert_array_equal(train, trains[0])


def test_poisson_gaps_straddling_blocks_do_not_depend_on_the_chunk_size():
    # Blocks of 7.3 ms (73 steps) are cut differently by every chunk size.
    a = record(px.PoissonInput(60.0, block=7.3), 30, 200.0, chunk_size=2000)
    b = record(px.PoissonInput(60.0, block=7.3), 30, 200.0, chunk_size=13)
    assert a.t.size > 100
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_array_equal(a.i, b.i)


def test_poisson_intervals_are_geometric_as_for_one_draw_per_step():
    # p = 0.1 per step of 1 ms, blocks of 1000 steps: intervals between spikes of a unit
    # (also across block boundaries) must follow P(k) = 0.9^(k-1)·0.1.
    p, n, steps = 0.1, 50, 20_000
    mon = record(px.PoissonInput(100.0, block=1000.0), n, float(steps), dt=1.0)
    assert mon.t.max() > 1000.0  # several blocks
    gaps = np.concatenate([np.diff(np.sort(mon.t[mon.i == k])) for k in range(n)])
    gaps = np.round(gaps).astype(int)
    for k in range(1, 6):
        expected = (1 - p) ** (k - 1) * p
        observed = np.mean(gaps == k)
        sigma = np.sqrt(expected * (1 - expected) / gaps.size)
        assert abs(observed - expected) < 5 * sigma, (k, observed, expected)
    # Spikes fall on block-boundary steps as often as elsewhere.
    per_step = np.bincount(np.round(mon.t).astype(int) % 1000, minlength=1000) / (n * 20)
    assert abs(per_step[0] - p) < 5 * np.sqrt(p * (1 - p) / (n * 20))


def test_poisson_rate_raised_beyond_its_spike_buffer_is_reported():
    import equinox as eqx

    model = eqx.tree_at(lambda m: m.rate, px.PoissonInput(10.0), jnp.asarray(2000.0))
    with pytest.raises(px.SimulationError, match="spike buffer"):
        record(model, 3, 200.0)


@pytest.mark.parametrize("block", [0.0, -1.0, float("nan"), "100"])
def test_poisson_block_must_be_a_positive_duration(block):
    with pytest.raises(ValueError, match="block must be a positive duration"):
        px.PoissonInput(5.0, block=block)


@pytest.mark.parametrize("n", [1, 31, 32, 45, 100])
def test_packed_spikes_unpack_to_the_same_spikes(n):
    from plastix.inputs._gaps import n_words, unpack_units

    rng = np.random.default_rng(n)
    spikes = rng.random((3, 7, n)) < 0.3
    # Unit k is bit k % 32 of word k // 32, packed here in NumPy.
    words = n_words(n)
    assert words == -(-n // 32)
    padded = np.zeros((3, 7, words * 32), np.uint64)
    padded[..., :n] = spikes
    packed = (padded.reshape(3, 7, words, 32) << np.arange(32, dtype=np.uint64)).sum(-1)
    unpacked = unpack_units(jnp.asarray(packed.astype(np.uint32)), n)
    assert unpacked.shape == spikes.shape and unpacked.dtype == jnp.bool_
    np.testing.assert_array_equal(np.asarray(unpacked), spikes)


def test_poisson_drive_is_packed_and_expands_to_booleans():
    import jax

    model = px.PoissonInput(40.0)
    model.prepare(70, 0.1)
    steps = jnp.arange(1234, 1234 + 2500)
    drive = model.drive(jax.random.PRNGKey(0), steps, 70, 0.1)
    assert drive["packed"].shape == (2500, 3)
    full = model.expand_drive(drive, 70)["spikes"]
    assert full.shape == (2500, 70) and full.dtype == jnp.bool_
    inputs = {"exc": jnp.zeros(70), "inh": jnp.zeros(70)}
    rows = [model.step((), inputs, {k: v[t] for k, v in drive.items()}, 0.1)[1] for t in (0, 99)]
    np.testing.assert_array_equal(np.stack(rows), full[np.array([0, 99])])
    rate = float(full.mean()) / 1e-4
    assert abs(rate - 40.0) < 5 * np.sqrt(40.0 / (70 * 0.25))


@pytest.mark.parametrize("loop", [True, False])
def test_running_sum_is_the_cumulative_sum_on_either_path(monkeypatch, loop):
    """The gaps' running sum (a loop over rows on a CPU, ``cumsum`` on an accelerator)
    gives NumPy's cumulative sum, also under ``vmap`` (the blocks of a chunk)."""
    import jax

    from plastix import _backend
    from plastix._backend import running_sum

    monkeypatch.setattr(_backend, "_forced", loop)
    rows = np.random.default_rng(0).integers(1, 1000, size=(3, 20, 7)).astype(np.int32)
    out = np.asarray(jax.jit(jax.vmap(running_sum))(jnp.asarray(rows)))
    np.testing.assert_array_equal(out, np.cumsum(rows, axis=1))
    assert out.dtype == np.int32
