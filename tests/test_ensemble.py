"""Ensembles: instances vmapped over seeds and parameters equal the same runs one by one."""

import numpy as np
import pytest

import plastix as px

SEEDS = [1, 2, 3]
A_PLUS = [0.0, 2e-3, 5e-3]
TAU_M = [10.0, 12.0, 15.0]


def make(seed, a_plus=2e-3, tau_m=10.0, capacity=20):
    net = px.Network(dt=0.5, seed=seed)
    inputs = net.add(px.Population(px.PoissonInput(40.0), 30, name="inputs"))
    cells = net.add(px.Population(px.LIFCond(tau_m=tau_m), 3, name="cells"))
    rule = px.PairSTDP(a_plus=a_plus, a_minus=2e-3, w_min=0.0, w_max=0.2)
    syn = net.add(
        px.Projection(
            inputs, cells, px.fixed_indegree(30, 3, 20, seed=4, format="csr"), rule,
            weights=px.initializers.uniform(0.0, 0.2), capacity=capacity,
        )
    )  # fmt: skip
    monitors = {
        "spikes": net.add(px.Monitor(cells)),
        "w": net.add(px.Monitor(syn, "w", every=25.0)),
        "v": net.add(px.Monitor(cells, "v", every=5.0)),
    }
    return net, syn, monitors


@pytest.fixture(scope="module")
def ensemble_run():
    net, syn, monitors = make(SEEDS[0])
    ens = px.Ensemble(
        net,
        seeds=SEEDS,
        params={(syn, "a_plus"): A_PLUS, (net.populations[1], "tau_m"): TAU_M},
    )
    ens.run(150.0, chunk_size=120, progress=False)  # two chunks, the second one short
    ens.run(50.0, progress=False)  # and a second run appends
    return ens, syn, monitors


def test_instances_equal_single_runs(ensemble_run):
    ens, syn, monitors = ensemble_run
    assert ens.weights(syn).shape == (3, 30, 3)
    assert monitors["w"].values.shape[0] == 3 and monitors["v"].values.shape[0] == 3
    finals = []
    for b, (seed, a_plus, tau_m) in enumerate(zip(SEEDS, A_PLUS, TAU_M, strict=True)):
        net, syn1, alone = make(seed, a_plus, tau_m)
        net.run(200.0, progress=False)
        np.testing.assert_allclose(ens.weights(syn)[b], net.weights(syn1), rtol=0, atol=1e-12)
        mine = monitors["spikes"].batch == b
        np.testing.assert_array_equal(monitors["spikes"].t[mine], alone["spikes"].t)
        np.testing.assert_array_equal(monitors["spikes"].i[mine], alone["spikes"].i)
        assert alone["spikes"].t.size > 10  # the neurons fire
        for name in ("w", "v"):
            np.testing.assert_array_equal(monitors[name].t, alone[name].t)
            np.testing.assert_allclose(
                monitors[name].values[b], alone[name].values, rtol=0, atol=1e-12
            )
        finals.append(net.weights(syn1))
    assert np.abs(finals[0] - finals[2]).max() > 1e-3  # the instances differ


def test_parameters_per_instance_of_full_shape():
    """A value per instance and per unit (shape [size, n])."""
    net, _, monitors = make(1, tau_m=np.array([10.0, 10.0, 10.0]))  # built per unit
    tau = np.array([[10.0, 11.0, 12.0], [13.0, 14.0, 15.0]])
    ens = px.Ensemble(net, params={(net.populations[1], "tau_m"): tau})
    assert ens.seeds == [1, 1]
    ens.run(20.0, progress=False)
    single, _, alone = make(1, tau_m=tau[1])
    single.run(20.0, progress=False)
    np.testing.assert_allclose(monitors["v"].values[1], alone["v"].values, rtol=0, atol=1e-12)


def test_overflow_names_the_instance():
    net, _, _ = make(1, capacity=1)
    ens = px.Ensemble(net, seeds=[5, 6])
    with pytest.raises(px.BufferOverflowError, match="ensemble instance 0"):
        ens.run(50.0, progress=False)


def test_ensemble_errors():
    net, syn, _ = make(1)
    with pytest.raises(ValueError, match="nothing would vary"):
        px.Ensemble(net)
    with pytest.raises(ValueError, match="same leading length"):
        px.Ensemble(net, seeds=[1, 2], params={(syn, "a_plus"): [1e-3, 2e-3, 3e-3]})
    with pytest.raises(ValueError, match="has no parameter 'a_pluss'"):
        px.Ensemble(net, seeds=[1, 2], params={(syn, "a_pluss"): [1e-3, 2e-3]})
    with pytest.raises(ValueError, match=r"must have shape \(2,\) \(one value per instance"):
        px.Ensemble(net, params={(net.populations[1], "tau_m"): np.ones((2, 4))})
