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
