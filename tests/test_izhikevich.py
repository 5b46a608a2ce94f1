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
