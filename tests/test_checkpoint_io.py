"""Checkpoints (Network.store / restore) and HDF5 results (run(save=...), plastix.io.load).

One small network exercises every kind of state a checkpoint must carry: a Poisson and a
correlated Poisson source, conductance LIF and noisy Izhikevich neurons (noise drawn per
step from the absolute step's key), a CSR projection on the event path with a 2 ms delay
and pair STDP, a COO projection with random per-synapse delays and triplet STDP, and
monitors of spikes, a state variable and selected weights.
"""

import json

import h5py
import jax
import numpy as np
import pytest

import plastix as px
from plastix.cli import main

DT = 0.1
HALF = 40.0  # [ms] 400 steps
# Chunk lengths are kept to two (200 and 10 steps): each new length compiles anew, and
# chunk-size invariance is tested elsewhere (tests/test_simulate.py).


def build(seed: int = 3, n_out: int = 5, rule=None, conn_seed: int = 0) -> tuple:
    net = px.Network(dt=DT, seed=seed)
    inp = net.add(px.Population(px.PoissonInput(80.0), 20, name="in"))
    corr = net.add(px.Population(px.CorrelatedPoissonInput(60.0, 0.3), 8, name="corr"))
    out = net.add(px.Population(px.LIFCond(), n_out, name="out"))
    izh = net.add(px.Population(px.Izhikevich(preset="RS", noise=4.0), 4, name="izh"))
    rule = rule or px.PairSTDP(a_plus=0.002, a_minus=0.0021, w_min=0.0, w_max=0.3)
    syn = net.add(
        px.Projection(
            inp,
            out,
            px.fixed_indegree(20, n_out, 10, seed=conn_seed, format="csr"),
            rule,
            weights=px.initializers.uniform(0.1, 0.3),
            delay=2.0,
            capacity=(8, n_out),
            name="syn",
        )
    )
    net.add(
        px.Projection(
            corr,
            izh,
            px.all_to_all(8, 4, format="coo"),
            px.TripletSTDP.preset("visual_all_to_all_full", w_min=0.0, w_max=10.0),
            weights=px.initializers.uniform(2.0, 6.0),
            delay=px.initializers.uniform(0.5, 3.0),
            name="corr->izh",
        )
    )
    monitors = (
        net.add(px.Monitor(out)),
        net.add(px.Monitor(izh)),
        net.add(px.Monitor(out, "v", every=0.5)),
        net.add(px.Monitor(syn, "w", every=2.0, indices=[0, 3, 7], name="some weights")),
    )
    return net, syn, monitors


def leaves(net: px.Network) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(net.state)]


def recorded(monitor: px.Monitor) -> tuple:
    return (monitor.t, monitor.i) if monitor.what == "spikes" else (monitor.t, monitor.values)


@pytest.fixture(scope="module")
def uninterrupted():
    net, syn, monitors = build()
    net.run(2 * HALF, chunk_size=200, progress=False)
    return net, monitors


def test_resumed_run_is_bit_identical_to_an_uninterrupted_one(uninterrupted, tmp_path):
    whole, whole_monitors = uninterrupted
    first, _, _ = build()
    first.run(HALF, chunk_size=200, progress=False)
    first.store(tmp_path / "half.h5")
    resumed, _, monitors = build()
    resumed.restore(tmp_path / "half.h5")
    assert resumed.t == pytest.approx(HALF)
    resumed.run(HALF, chunk_size=200, progress=False)
    assert int(resumed.state.step) == int(whole.state.step) == 800
    for a, b in zip(leaves(whole), leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(whole_monitors, monitors, strict=True):
        for x, y in zip(recorded(a), recorded(b), strict=True):
            np.testing.assert_array_equal(x, y)
    # the run did something worth checking: spikes in both halves, plastic weights moved
    t = whole_monitors[0].t
    assert np.any(t < HALF) and np.any(t >= HALF)
    assert whole_monitors[1].t.size > 0
    assert not np.array_equal(whole_monitors[3].values[0], whole_monitors[3].values[-1])


def test_checkpoint_keeps_parameters_set_between_runs(tmp_path):
    net, syn, _ = build()
    net.run(1.0, progress=False)
    net.set_param(syn, "a_plus", 0.0123)
    net.store(tmp_path / "c.h5")
    other, other_syn, _ = build()
    other.restore(tmp_path / "c.h5")
    assert float(other_syn.rule.a_plus) == pytest.approx(0.0123)
    assert float(other.spec.projections[0].rule.a_plus) == pytest.approx(0.0123)
    np.testing.assert_array_equal(other.weights(other_syn), net.weights(syn))


def test_restore_into_another_network_lists_every_difference(tmp_path):
    net, _, _ = build()
    net.build()
    net.store(tmp_path / "c.h5")
    triplet = px.TripletSTDP.preset("visual_all_to_all_minimal", w_min=0.0, w_max=0.3)
    other, _, _ = build(n_out=6, rule=triplet)
    with pytest.raises(ValueError, match="checkpoint of another network") as error:
        other.restore(tmp_path / "c.h5")
    message = str(error.value)
    assert "population 'out': n is 5 in the checkpoint, 6 here" in message
    assert "projection 'syn': n_synapses is 50 in the checkpoint, 60 here" in message
    assert "projection 'syn': rule is 'PairSTDP' in the checkpoint, 'TripletSTDP' here" in message
    assert "state variables only in this network: ['projections[0].rule.o1'" in message
    assert "state variables only in the checkpoint: ['projections[0].rule.since_post'" in message
    rewired, _, _ = build(conn_seed=1)
    with pytest.raises(ValueError, match=r"connectivity.*synapses \(or delays\) differ"):
        rewired.restore(tmp_path / "c.h5")
    redrawn, _, _ = build(seed=4)  # another seed draws other random delays
    with pytest.raises(ValueError, match=r"delays: the synapses \(or delays\) differ"):
        redrawn.restore(tmp_path / "c.h5")


def test_restore_refuses_other_files(tmp_path):
    net, _, _ = build()
    with pytest.raises(FileNotFoundError, match="no file"):
        net.restore(tmp_path / "absent.h5")
    with h5py.File(tmp_path / "other.h5", "w") as file:
        file.attrs["format"] = "something else"
    with pytest.raises(ValueError, match="is not a plastix checkpoint"):
        net.restore(tmp_path / "other.h5")
    net.run(1.0, progress=False, save=tmp_path / "results.h5")
    with pytest.raises(ValueError, match="is not a plastix checkpoint"):
        net.restore(tmp_path / "results.h5")
    net.store(tmp_path / "checkpoint.h5")
    with pytest.raises(ValueError, match="is not a plastix results file"):
        px.io.load(tmp_path / "checkpoint.h5")


def test_streamed_results_equal_the_in_memory_monitors(uninterrupted, tmp_path):
    whole, whole_monitors = uninterrupted
    net, syn, monitors = build()
    path = tmp_path / "run.h5"
    net.run(HALF, chunk_size=200, progress=False, save=path)
    net.run(HALF, chunk_size=200, progress=False, save=path)  # appends
    assert all(m.t.size == 0 for m in monitors)  # streamed, not kept in memory
    results = px.io.load(path)
    assert sorted(results) == ["izh.spikes", "out.spikes", "out.v", "some weights"]
    for monitor in whole_monitors:
        got = results[monitor.name]
        np.testing.assert_array_equal(got.t, monitor.t)
        if monitor.what == "spikes":
            np.testing.assert_array_equal(got.i, monitor.i)
            assert got.values is None
        else:
            np.testing.assert_array_equal(got.values, monitor.values)
    assert results.attrs["dt"] == DT and results.attrs["seed"] == 3
    assert results.attrs["step"] == 800
    assert results["out.v"].attrs["units"] == "mV" and results["out.v"].attrs["every"] == 0.5
    np.testing.assert_array_equal(results["some weights"].attrs["indices"], [0, 3, 7])
    rule = results.parameters["projections"]["syn"]
    assert rule["model"] == "PairSTDP" and rule["a_plus"] == pytest.approx(0.002)
    assert results.parameters["populations"]["izh"]["model"] == "Izhikevich"
    with pytest.raises(KeyError, match="no monitor 'nope'.*out.spikes"):
        results["nope"]


def test_save_refuses_to_leave_a_gap_or_mix_networks(tmp_path):
    path = tmp_path / "run.h5"
    net, _, _ = build()
    net.run(1.0, progress=False, save=path)
    fresh, _, _ = build()
    with pytest.raises(ValueError, match="up to step 10, but this run starts at step 0"):
        fresh.run(1.0, progress=False, save=path)
    net.run(1.0, progress=False)  # not saved: the file now ends before the network
    with pytest.raises(ValueError, match="up to step 10, but this run starts at step 20"):
        net.run(1.0, progress=False, save=path)
    lone = px.Network(dt=DT)
    pop = lone.add(px.Population(px.PoissonInput(5.0), 2, name="p"))
    lone.add(px.Monitor(pop))
    with pytest.raises(ValueError, match=r"holds the monitors \['izh.spikes'"):
        lone.run(1.0, progress=False, save=path)
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="is not an HDF5 file"):
        lone.run(1.0, progress=False, save=tmp_path / "text.h5")


def test_monitor_names_are_unique_and_checked():
    net = px.Network(dt=DT)
    pop = net.add(px.Population(px.PoissonInput(5.0), 2, name="p"))
    a, b = net.add(px.Monitor(pop)), net.add(px.Monitor(pop))
    assert (a.name, b.name) == ("p.spikes", "p.spikes_2")
    with pytest.raises(ValueError, match="monitor name 'p.spikes' is already used"):
        net.add(px.Monitor(pop, name="p.spikes"))
    with pytest.raises(ValueError, match="name must be a non-empty string without '/'"):
        px.Monitor(pop, name="a/b")


def test_cli_save_streams_the_monitors_and_the_data(tmp_path):
    path = tmp_path / "song.h5"
    argv = ["run", "song2000", "--duration", "0.3", "--out", str(tmp_path), "--no-progress"]
    assert main([*argv, "--save", str(path)]) == 0
    results = px.io.load(path)
    summary = json.loads(results.attrs["summary"])
    assert results.attrs["experiment"] == "song2000"
    assert sorted(results) == ["inputs.spikes", "neuron.spikes", "stdp.w"]
    np.testing.assert_array_equal(results["neuron.spikes"].t, results.data["output_t"])
    np.testing.assert_array_equal(results["stdp.w"].values, results.data["weight_history"])
    assert results.data["weights"].shape == (1000,)
    assert results["neuron.spikes"].t.size == round(summary["rate_last10s_hz"] * 0.3)
    assert main([*argv, "--save", str(path)]) == 0  # an earlier results file is replaced
    assert px.io.load(path)["neuron.spikes"].t.size == results["neuron.spikes"].t.size
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    assert main([*argv, "--save", str(other)]) == 2
    assert other.read_text() == "keep me"
