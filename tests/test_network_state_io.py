"""Reading and writing a network between runs (set_weights, get/set_state, set_param), and
the adaptive threshold of LIFCond that the Diehl & Cook experiment freezes with them."""

import sys

import numpy as np
import pytest

import plastix as px

DT = 0.1


def driven(times=(1.0,), weight=100.0, fmt="dense", **neuron):
    """One spike source onto two LIFCond neurons; a strong input spike makes each fire."""
    net = px.Network(dt=DT, seed=0)
    times = np.asarray(times, float)
    source = px.SpikeTimesInput(times, np.zeros(times.size, int))
    inp = net.add(px.Population(source, 1, name="inp"))
    params = dict(tau_exc=0.1, t_ref=2.0) | neuron
    out = net.add(px.Population(px.LIFCond(**params), 2, name="out"))
    proj = net.add(px.Projection(inp, out, px.all_to_all(1, 2, format=fmt), weights=weight))
    spikes = net.add(px.Monitor(out))
    return net, inp, out, proj, spikes


def test_set_weights_round_trips_and_changes_the_next_run():
    net, _, _, proj, spikes = driven(times=(1.0, 11.0))
    net.run(5.0, progress=False)
    assert spikes.t.size == 2  # both neurons fired at the first input spike
    net.set_weights(proj, np.array([[0.0, 100.0]]))
    np.testing.assert_array_equal(net.weights(proj), [[0.0, 100.0]])
    net.run(10.0, progress=False)
    assert spikes.i.tolist() == [0, 1, 1]  # neuron 0 no longer receives the second spike


@pytest.mark.parametrize("fmt", ["dense", "csr", "coo"])
def test_set_weights_accepts_a_matrix_canonical_values_or_a_number(fmt):
    net = px.Network(dt=DT)
    a = net.add(px.Population(px.PoissonInput(10.0), 3, name="a"))
    b = net.add(px.Population(px.LIFCond(), 3, name="b"))
    proj = net.add(px.Projection(a, b, px.all_to_all(3, 3, allow_autapses=False, format=fmt)))
    matrix = np.arange(9.0).reshape(3, 3)
    net.set_weights(proj, matrix)  # the diagonal has no synapse: ignored
    np.testing.assert_array_equal(net.weights(proj), matrix * (1 - np.eye(3)))
    net.set_weights(proj, np.arange(6.0))
    np.testing.assert_array_equal(net.weights(proj)[0], [0.0, 0.0, 1.0])
    net.set_weights(proj, 0.5)
    assert np.all(net.weights(proj)[~np.eye(3, dtype=bool)] == 0.5)


def test_set_weights_errors_name_the_argument_and_shape():
    net, _, _, proj, _ = driven()
    with pytest.raises(ValueError, match=r"weights must be a number, a \(1, 2\) matrix.*\(3,\)"):
        net.set_weights(proj, np.zeros(3))
    with pytest.raises(ValueError, match="must be finite"):
        net.set_weights(proj, np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="got a function"):
        net.set_weights(proj, px.initializers.uniform(0, 1))
    _, _, _, foreign, _ = driven()
    with pytest.raises(ValueError, match="set_weights: projection must be one added to this"):
        net.set_weights(foreign, 1.0)


def test_get_and_set_state():
    net, inp, out, _, spikes = driven(times=(1.0,))
    assert net.get_state(inp) == {}
    state = net.get_state(out)
    assert sorted(state) == ["g_exc", "g_inh", "refractory", "theta", "v"]
    np.testing.assert_array_equal(state["v"], [-74.0, -74.0])
    net.set_state(out, v=np.array([-50.0, -74.0]))  # neuron 0 starts above threshold
    net.run(0.5, progress=False)
    assert spikes.i.tolist() == [0]
    net.set_state(out, theta=3.0)
    np.testing.assert_array_equal(net.get_state(out)["theta"], [3.0, 3.0])


def test_set_state_errors():
    net, _, out, _, _ = driven()
    with pytest.raises(ValueError, match=r"no state variable 'u'; it has \['v', 'g_exc'"):
        net.set_state(out, u=1.0)
    with pytest.raises(ValueError, match=r"v must be a number or have shape \(2,\).*\(3,\)"):
        net.set_state(out, v=np.zeros(3))


def test_set_param_changes_rates_without_recompiling():
    net = px.Network(dt=DT, seed=3)
    inp = net.add(px.Population(px.PoissonInput(np.full(20, 100.0)), 20, name="inp"))
    spikes = net.add(px.Monitor(inp))
    net.run(100.0, progress=False)
    assert spikes.t.size > 50
    jitted = sys.modules["plastix._core.simulate"]._run_jit
    cached = getattr(getattr(jitted, "_cached", None), "_cache_size", None)
    before = cached() if cached else None
    net.set_param(inp, "rate", np.zeros(20))
    seen = spikes.t.size
    net.run(100.0, progress=False)
    assert spikes.t.size == seen
    np.testing.assert_array_equal(np.asarray(inp.model.rate), np.zeros(20))
    if cached:
        assert cached() == before


def test_set_param_of_a_rule_and_of_a_neuron():
    net = px.Network(dt=DT)
    a = net.add(px.Population(px.PoissonInput(10.0), 2, name="a"))
    b = net.add(px.Population(px.LIFCond(theta_plus=0.5), 2, name="b"))
    proj = net.add(px.Projection(a, b, px.all_to_all(2, 2), px.PairSTDP(), name="stdp"))
    net.set_param(proj, "a_plus", 0.0)
    net.set_param(b, "theta_plus", 0.0)
    assert float(proj.rule.a_plus) == 0.0 and float(b.model.theta_plus) == 0.0
    assert float(net.spec.projections[0].rule.a_plus) == 0.0


def test_set_param_errors():
    net = px.Network(dt=DT)
    a = net.add(px.Population(px.PoissonInput(np.full(2, 10.0)), 2, name="a"))
    b = net.add(px.Population(px.LIFCond(), 2, name="b"))
    static = net.add(px.Projection(a, b, px.all_to_all(2, 2), name="static"))
    with pytest.raises(ValueError, match=r"rate of 'a' must have shape \(2,\).*got shape \(3,\)"):
        net.set_param(a, "rate", np.zeros(3))
    with pytest.raises(ValueError, match=r"has no parameter 'tau'; it has \['tau_m'"):
        net.set_param(b, "tau", 1.0)
    with pytest.raises(ValueError, match="'static' is static"):
        net.set_param(static, "a_plus", 1.0)
    with pytest.raises(ValueError, match="rate·dt must be <= 1"):
        net.set_param(a, "rate", np.full(2, 1e5))


# -- the adaptive threshold of LIFCond ------------------------------------------------


def test_theta_stays_zero_by_default():
    net, _, out, _, spikes = driven(times=(1.0, 11.0))
    net.run(20.0, progress=False)
    assert spikes.t.size == 4
    np.testing.assert_array_equal(net.get_state(out)["theta"], 0.0)


def test_theta_jumps_at_each_spike_and_decays_exactly():
    plus, tau = 2.0, 20.0
    net, _, out, _, spikes = driven(times=(1.0, 11.0, 21.0), theta_plus=plus, tau_theta=tau)
    net.run(30.0, progress=False)
    fired = np.unique(spikes.t)
    assert fired.size == 3
    # theta of a spike step already includes that spike: decays for the steps after it.
    end = round(30.0 / DT) - 1
    steps_after = end - np.round(fired / DT)
    expected = plus * np.sum(np.exp(-steps_after * DT / tau))
    np.testing.assert_allclose(net.get_state(out)["theta"], expected, rtol=1e-12)


def test_a_high_theta_blocks_the_next_spike_and_inf_freezes_it():
    net, _, out, _, spikes = driven(times=(1.0, 11.0), theta_plus=40.0, tau_theta=np.inf)
    net.run(20.0, progress=False)
    assert spikes.t.size == 2  # v peaks near −27 mV < −54 + 40 mV after the first spike
    np.testing.assert_array_equal(net.get_state(out)["theta"], 40.0)


def test_theta_parameters_are_checked():
    with pytest.raises(ValueError, match="theta_plus must be a finite number >= 0"):
        px.LIFCond(theta_plus=-1.0)
    with pytest.raises(ValueError, match=r"tau_theta must be > 0 \[ms\] \(inf: no decay\)"):
        px.LIFCond(tau_theta=0.0)
