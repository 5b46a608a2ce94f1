"""Izhikevich neuron: against a NumPy float64 loop of its equations, firing patterns of
the paper's cell classes, and parameter errors."""

import numpy as np
import pytest

import plastix as px

DT = 0.1


def numpy_izhikevich(a, b, c, d, i_e, v0, jumps, v_th=30.0):
    """Forward Euler from the step's start values, then the synaptic jump, then reset."""
    n_steps, n = jumps.shape
    v = np.full(n, v0, dtype=np.float64)
    u = b * v
    spikes = np.zeros((n_steps, n), bool)
    vs = np.zeros((n_steps, n))
    for k in range(n_steps):
        dv = 0.04 * v * v + 5.0 * v + 140.0 - u + i_e
        du = a * (b * v - u)
        v = v + DT * dv + jumps[k]
        u = u + DT * du
        fired = v >= v_th
        v = np.where(fired, c, v)
        u = np.where(fired, u + d, u)
        spikes[k], vs[k] = fired, v
    return spikes, vs


@pytest.mark.parametrize("fmt", ["dense", "csr", "coo"])
def test_izhikevich_network_equals_numpy_reference(fmt):
    rng = np.random.default_rng(4)
    n_in, n, n_steps = 20, 6, 3000
    pre, post = np.nonzero(rng.random((n_in, n)) < 0.5)
    weights = rng.uniform(-1.0, 3.0, pre.size)  # mV jumps, some inhibitory
    times = rng.uniform(0.0, n_steps * DT - 1.0, 200)
    units = rng.integers(0, n_in, 200)
    net = px.Network(dt=DT)
    src = net.add(px.Population(px.SpikeTimesInput(times, units), n_in))
    model = px.Izhikevich(preset="RS", i_e=4.0)
    out = net.add(px.Population(model, n))
    net.add(
        px.Projection(src, out, px.from_indices(pre, post, n_in, n, format=fmt), weights=weights)
    )
    spikes_mon = net.add(px.Monitor(out))
    src_mon = net.add(px.Monitor(src))
    v_mon = net.add(px.Monitor(out, "v"))
    net.run(n_steps * DT, chunk_size=700, progress=False)

    # Input spikes arrive one step after they are emitted (the minimum delay).
    w = np.zeros((n_in, n))
    w[pre, post] = weights
    emitted = np.zeros((n_steps, n_in))
    emitted[np.round(src_mon.t / DT).astype(int), src_mon.i] = 1.0
    jumps = np.zeros((n_steps, n))
    jumps[1:] = emitted[:-1] @ w
    a, b, c, d = px.neurons.IZHIKEVICH_PRESETS["RS"]
    spikes, vs = numpy_izhikevich(a, b, c, d, 4.0, -65.0, jumps)
    got = np.zeros((n_steps, n), bool)
    got[np.round(spikes_mon.t / DT).astype(int), spikes_mon.i] = True
    assert spikes.sum() > 10
    np.testing.assert_array_equal(got, spikes)
    # The quadratic upstroke amplifies last-bit differences (weights summed in another
    # order): ~1e-10 mV at most after 3000 steps; the spike trains are identical.
    np.testing.assert_allclose(v_mon.values, vs, rtol=0, atol=1e-9)


def _isis(preset, i_e=10.0, duration=1000.0):
    net = px.Network(dt=DT)
    pop = net.add(px.Population(px.Izhikevich(preset=preset, i_e=i_e), 1))
    mon = net.add(px.Monitor(pop))
    net.run(duration, progress=False)
    return np.diff(mon.t)


def test_regular_spiking_adapts_and_fast_spiking_fires_much_faster():
    # Izhikevich (2003) Fig. 2 with I = 10: RS adapts to a tonic rate, FS fires at a
    # much higher rate, IB fires an initial burst and then regular spikes.
    rs, fs, ib = _isis("RS"), _isis("FS"), _isis("IB")
    assert rs.size > 5 and fs.size > 3 * rs.size
    assert rs[-1] > 1.5 * rs[0]  # spike-frequency adaptation
    assert rs[-1] == pytest.approx(rs[-2], abs=DT)  # settles to a tonic rate
    assert ib[0] < 10.0 and ib[-1] > 20.0  # initial burst, then regular spiking


def test_chattering_fires_bursts():
    isi = _isis("CH")
    assert np.any(isi < 10.0) and np.any(isi > 20.0)  # fast intra-burst, slow inter-burst


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"preset": "XX"}, "preset must be one of"),
        ({"a": 0.0}, "a must be"),
        ({"v_init": 40.0}, "v_init must be below v_th"),
    ],
)
def test_izhikevich_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        px.Izhikevich(**kwargs)


def test_paper_integration_equals_the_papers_loop():
    """``integration="paper"``: daspnet.m's two half steps of v with the synaptic current,
    then u with the new v; dt = 1 ms as in the paper."""
    rng = np.random.default_rng(7)
    n_in, n, n_steps, dt = 10, 4, 2000, 1.0
    pre, post = np.nonzero(rng.random((n_in, n)) < 0.6)
    weights = rng.uniform(-2.0, 6.0, pre.size)
    times = np.sort(rng.choice(n_steps - 5, 300)).astype(float)
    units = rng.integers(0, n_in, 300)
    keep = np.unique(times * n_in + units, return_index=True)[1]
    times, units = times[keep], units[keep]
    net = px.Network(dt=dt)
    src = net.add(px.Population(px.SpikeTimesInput(times, units), n_in))
    model = px.Izhikevich(preset="FS", i_e=3.0, integration="paper")
    out = net.add(px.Population(model, n))
    net.add(px.Projection(src, out, px.from_indices(pre, post, n_in, n), weights=weights))
    mon = net.add(px.Monitor(out))
    net.run(n_steps * dt, chunk_size=500, progress=False)
    w = np.zeros((n_in, n))
    w[pre, post] = weights
    emitted = np.zeros((n_steps, n_in))
    emitted[np.round(times / dt).astype(int), units] = 1.0
    current = np.zeros((n_steps, n))
    current[1:] = emitted[:-1] @ w
    a, b, c, d = px.neurons.IZHIKEVICH_PRESETS["FS"]
    v, u = np.full(n, -65.0), np.full(n, -65.0 * b)
    expected = np.zeros((n_steps, n), bool)
    for k in range(n_steps):
        i_total = 3.0 + current[k]
        v = v + 0.5 * (0.04 * v * v + 5 * v + 140 - u + i_total)
        v = v + 0.5 * (0.04 * v * v + 5 * v + 140 - u + i_total)
        u = u + a * (b * v - u)
        expected[k] = v >= 30.0
        u = np.where(expected[k], u + d, u)
        v = np.where(expected[k], c, v)
    got = np.zeros((n_steps, n), bool)
    got[np.round(mon.t / dt).astype(int), mon.i] = True
    assert expected.sum() > 20
    np.testing.assert_array_equal(got, expected)


def test_noise_current_is_uniform_and_independent_of_chunk_size():
    def run(chunk):
        net = px.Network(dt=1.0, seed=3)
        pop = net.add(px.Population(px.Izhikevich(preset="RS", noise=13.0), 200))
        mon = net.add(px.Monitor(pop))
        net.run(1000.0, chunk_size=chunk, progress=False)
        return mon.t, mon.i

    (t1, i1), (t2, i2) = run(1000), run(137)
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(i1, i2)
    assert 0.1 < t1.size / 200 < 20.0  # 13·(U − 0.5) alone makes RS cells fire sparsely
    model = px.Izhikevich(noise=13.0)
    import jax

    drive = np.asarray(model.drive(jax.random.PRNGKey(0), np.arange(500), 100, 1.0))
    assert drive.min() >= -6.5 and drive.max() <= 6.5
    assert abs(drive.mean()) < 0.1 and abs(drive.std() - 13.0 / np.sqrt(12)) < 0.05
    with pytest.raises(ValueError, match="Izhikevich: integration must be one of"):
        px.Izhikevich(integration="rk4")
