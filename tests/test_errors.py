"""Every user-facing bad input raises a ValueError naming the argument, the value and
what was expected.

Each check is asserted on its message: ``msg(...)`` builds a pattern that requires every
given fragment (the argument's name and the bad value or the expectation), in any order.
Errors raised at build time are triggered with ``net.build()``, which compiles nothing.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import plastix as px
from plastix import cli, experiments


def msg(*fragments: str) -> str:
    """A regex that matches a message containing every fragment literally, in any order."""
    return "(?s)^" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def two_populations(net: px.Network, n_pre: int = 3, n_post: int = 2):
    pre = net.add(px.Population(px.PoissonInput(5.0), n_pre, name="inputs"))
    post = net.add(px.Population(px.LIF(), n_post, name="neurons"))
    return pre, post


def build_projection(dt: float = 0.1, **kwargs) -> None:
    """Build a 3 → 2 all-to-all network whose projection gets ``kwargs``."""
    net = px.Network(dt=dt)
    pre, post = two_populations(net)
    net.add(px.Projection(pre, post, px.all_to_all(3, 2), name="syn", **kwargs))
    net.build()


def build_population(model, n: int = 3, dt: float = 0.1) -> None:
    net = px.Network(dt=dt)
    net.add(px.Population(model, n, name="src"))
    net.build()


# -- Network and run -----------------------------------------------------------------------


@pytest.mark.parametrize("dt", [0.0, -0.1, float("nan"), float("inf")])
def test_network_dt_must_be_positive(dt):
    with pytest.raises(ValueError, match=msg("Network: dt must be a finite number > 0", "got")):
        px.Network(dt=dt)


def test_network_dt_message_shows_value():
    with pytest.raises(ValueError, match=msg("dt", "> 0", "got -0.1")):
        px.Network(dt=-0.1)


@pytest.mark.parametrize("duration", [0.0, -5.0])
def test_run_duration_must_be_positive(duration):
    net = px.Network()
    net.add(px.Population(px.LIF(), 2))
    with pytest.raises(
        ValueError, match=msg("Network.run: duration must be a finite number > 0", f"{duration}")
    ):
        net.run(duration, progress=False)


@pytest.mark.parametrize("chunk_size", [0, 2.5, True])
def test_run_chunk_size_must_be_positive_integer(chunk_size):
    net = px.Network()
    net.add(px.Population(px.LIF(), 2))
    with pytest.raises(
        ValueError, match=msg("chunk_size must be an integer >= 1", f"got {chunk_size!r}")
    ):
        net.run(1.0, chunk_size=chunk_size, progress=False)


def test_build_without_population():
    with pytest.raises(ValueError, match=msg("Network.build", "no population")):
        px.Network().build()


def test_add_something_else():
    with pytest.raises(
        ValueError, match=msg("Network.add", "Population, Projection or Monitor", "str")
    ):
        px.Network().add("neurons")


def test_duplicate_name():
    net = px.Network()
    net.add(px.Population(px.LIF(), 2, name="x"))
    with pytest.raises(ValueError, match=msg("name 'x'", "already used")):
        net.add(px.Population(px.LIF(), 2, name="x"))


def test_population_added_twice():
    pop = px.Population(px.LIF(), 2, name="x")
    px.Network().add(pop)
    with pytest.raises(ValueError, match=msg("name='x'", "already added to a network")):
        px.Network().add(pop)


def test_weights_of_a_projection_of_another_network():
    a, b = px.Network(), px.Network()
    pre, post = two_populations(a)
    two_populations(b)
    syn = a.add(px.Projection(pre, post, px.all_to_all(3, 2), name="syn"))
    with pytest.raises(ValueError, match=msg("Network.weights: projection", "name='syn'")):
        b.weights(syn)


# -- Population ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, -1, 2.0])
def test_population_size(n):
    with pytest.raises(ValueError, match=msg("Population: n must be an integer >= 1", f"{n!r}")):
        px.Population(px.LIF(), n)


def test_population_model():
    with pytest.raises(ValueError, match=msg("Population: model must be", "got str")):
        px.Population("LIF", 2)


# -- Projection ------------------------------------------------------------------------------


def test_projection_connectivity_size_mismatch():
    pre = px.Population(px.PoissonInput(5.0), 3)
    post = px.Population(px.LIF(), 2)
    with pytest.raises(
        ValueError, match=msg("connectivity is sized", "(3, 4)", "(pre.n, post.n) = (3, 2)")
    ):
        px.Projection(pre, post, px.all_to_all(3, 4))


def test_projection_pre_must_be_population():
    post = px.Population(px.LIF(), 2)
    with pytest.raises(ValueError, match=msg("Projection: pre must be a Population", "got int")):
        px.Projection(3, post, px.all_to_all(3, 2))


def test_projection_connectivity_type():
    pre = px.Population(px.PoissonInput(5.0), 3)
    post = px.Population(px.LIF(), 2)
    with pytest.raises(ValueError, match=msg("connectivity must be Dense, CSR or COO", "ndarray")):
        px.Projection(pre, post, np.ones((3, 2)))


def test_projection_rule_type():
    pre = px.Population(px.PoissonInput(5.0), 3)
    post = px.Population(px.LIF(), 2)
    with pytest.raises(ValueError, match=msg("rule must be a plasticity rule", "got str")):
        px.Projection(pre, post, px.all_to_all(3, 2), rule="stdp")


@pytest.mark.parametrize(
    "weights, shape",
    [(np.ones((2, 3)), "(2, 3)"), (np.ones(5), "(5,)"), (np.ones((3, 2, 1)), "(3, 2, 1)")],
)
def test_weights_of_wrong_shape(weights, shape):
    with pytest.raises(
        ValueError,
        match=msg(
            "Projection 'syn': weights must be", "(3, 2) matrix", "(6,)", f"got shape {shape}"
        ),
    ):
        build_projection(weights=weights)


def test_weight_initializer_of_wrong_shape():
    with pytest.raises(
        ValueError, match=msg("weights initializer must return shape (6,)", "got (7,)")
    ):
        build_projection(weights=lambda key, n: np.zeros(n + 1))


def test_delay_array_of_wrong_shape():
    with pytest.raises(ValueError, match=msg("delay must be", "got shape (4,)")):
        build_projection(delay=np.ones(4))


@pytest.mark.parametrize("capacity", [0, -3, 1.5, True])
def test_capacity_must_be_positive_integer(capacity):
    pre = px.Population(px.PoissonInput(5.0), 3)
    post = px.Population(px.LIF(), 2)
    with pytest.raises(
        ValueError, match=msg("Projection: capacity must be an integer >= 1", f"got {capacity!r}")
    ):
        px.Projection(pre, post, px.all_to_all(3, 2), capacity=capacity)


def test_unknown_receptor():
    pre = px.Population(px.PoissonInput(5.0), 3)
    post = px.Population(px.LIFCond(), 2)
    with pytest.raises(
        ValueError, match=msg("receptor must be one of ['exc', 'inh']", "got 'gaba'")
    ):
        px.Projection(pre, post, px.all_to_all(3, 2), receptor="gaba")


def test_on_overflow_choice():
    pre = px.Population(px.PoissonInput(5.0), 3)
    post = px.Population(px.LIF(), 2)
    with pytest.raises(
        ValueError, match=msg("on_overflow must be one of ['error', 'dense']", "got 'drop'")
    ):
        px.Projection(pre, post, px.all_to_all(3, 2), capacity=2, on_overflow="drop")


@pytest.mark.parametrize(
    "delay, shown",
    [(0.04, "got 0.04 ms, which rounds to 0 steps"), (-1.0, "got -1 ms")],
)
def test_delay_smaller_than_dt(delay, shown):
    with pytest.raises(
        ValueError, match=msg("Projection 'syn': delay must be >= dt = 0.1 ms", shown)
    ):
        build_projection(delay=delay)


def test_per_synapse_delay_smaller_than_dt():
    delays = np.array([1.0, 1.0, 1.0, 0.02, 1.0, 1.0])
    with pytest.raises(ValueError, match=msg("delay must be >= dt = 0.1 ms", "got 0.02 ms")):
        build_projection(delay=delays)


@pytest.mark.parametrize("delay", [float("nan"), float("inf")])
def test_delay_must_be_finite(delay):
    with pytest.raises(ValueError, match=msg("delay must be a finite time", f"got {delay}")):
        build_projection(delay=delay)


def test_projection_between_populations_of_another_network():
    a, b = px.Network(), px.Network()
    pre, post = two_populations(a)
    with pytest.raises(
        ValueError,
        match=msg("Projection 'syn'", "pre population 'inputs'", "belongs to another network"),
    ):
        b.add(px.Projection(pre, post, px.all_to_all(3, 2), name="syn"))


def test_unnamed_projection_between_populations_of_another_network():
    a, b = px.Network(), px.Network()
    pre, post = two_populations(a)
    with pytest.raises(ValueError, match=msg("Projection:", "'inputs'", "another network")):
        b.add(px.Projection(pre, post, px.all_to_all(3, 2)))


# -- Monitor ---------------------------------------------------------------------------------


def test_monitor_records_nothing():
    pop = px.Population(px.LIF(), 2)
    with pytest.raises(
        ValueError, match=msg("Monitor: indices is empty", "nothing would be recorded")
    ):
        px.Monitor(pop, indices=[])


def test_monitor_w_on_a_population():
    pop = px.Population(px.LIF(), 2)
    with pytest.raises(ValueError, match=msg("Monitor: what='w'", "Projection, not a Population")):
        px.Monitor(pop, what="w")


def test_monitor_projection_records_weights_only():
    pre = px.Population(px.PoissonInput(5.0), 3)
    post = px.Population(px.LIF(), 2)
    syn = px.Projection(pre, post, px.all_to_all(3, 2))
    with pytest.raises(ValueError, match=msg("what='w'", "got what='spikes'")):
        px.Monitor(syn, what="spikes")


def test_monitor_target_type():
    with pytest.raises(
        ValueError, match=msg("Monitor: target must be a Population or Projection", "str")
    ):
        px.Monitor("neurons")


@pytest.mark.parametrize("every", [0.0, -1.0, float("nan")])
def test_monitor_every_must_be_positive(every):
    pop = px.Population(px.LIF(), 2)
    with pytest.raises(
        ValueError, match=msg("Monitor: every must be a time > 0", f"got {every!r}")
    ):
        px.Monitor(pop, "v", every=every)


def test_monitor_spikes_every():
    pop = px.Population(px.LIF(), 2)
    with pytest.raises(ValueError, match=msg("spikes are recorded at every step", "every=None")):
        px.Monitor(pop, every=1.0)


@pytest.mark.parametrize("indices, shown", [([-1], "[-1]"), ([0.5], "[0.5]")])
def test_monitor_indices_must_be_nonnegative_integers(indices, shown):
    pop = px.Population(px.LIF(), 2)
    with pytest.raises(ValueError, match=msg("indices must be non-negative integers", shown)):
        px.Monitor(pop, indices=indices)


def test_monitor_indices_must_be_1d():
    pop = px.Population(px.LIF(), 2)
    with pytest.raises(ValueError, match=msg("Monitor: indices must be a 1-D", "shape (1, 2)")):
        px.Monitor(pop, indices=[[0, 1]])


def test_monitor_unknown_state_variable():
    net = px.Network()
    pop = net.add(px.Population(px.LIF(), 2, name="neurons"))
    net.add(px.Monitor(pop, "nosuch"))
    with pytest.raises(
        ValueError, match=msg("'neurons' has no state variable 'nosuch'", "'v'", "'i_exc'")
    ):
        net.build()


def test_monitor_unit_index_out_of_range():
    net = px.Network()
    pop = net.add(px.Population(px.LIF(), 2, name="neurons"))
    net.add(px.Monitor(pop, "v", indices=[0, 2]))
    with pytest.raises(
        ValueError, match=msg("Monitor: index 2 is out of range", "'neurons'", "2 units")
    ):
        net.build()


def test_monitor_synapse_index_out_of_range():
    net = px.Network()
    pre, post = two_populations(net)
    syn = net.add(px.Projection(pre, post, px.all_to_all(3, 2), name="syn"))
    net.add(px.Monitor(syn, "w", indices=[6]))
    with pytest.raises(ValueError, match=msg("index 6 is out of range", "'syn'", "6 synapses")):
        net.build()


def test_monitor_of_another_network():
    a, b = px.Network(), px.Network()
    pop = a.add(px.Population(px.LIF(), 2, name="neurons"))
    with pytest.raises(
        ValueError, match=msg("Monitor: its target", "'neurons'", "another network")
    ):
        b.add(px.Monitor(pop))


# -- Connectivity ----------------------------------------------------------------------------


def test_dense_mask_of_wrong_shape():
    with pytest.raises(
        ValueError, match=msg("Dense: mask must have shape (n_pre, n_post) = (3, 2)", "got (2, 3)")
    ):
        px.Dense(3, 2, np.ones((2, 3), bool))


@pytest.mark.parametrize("cls", [px.CSR, px.COO])
@pytest.mark.parametrize(
    "pre, post, fragments",
    [
        ([0, 3], [0, 1], ("pre index 3 is out of range", "[0, 2]", "n_pre=3")),
        ([0, -1], [0, 1], ("pre index -1 is out of range", "[0, 2]")),
        ([0, 1], [0, -1], ("post index -1 is out of range", "[0, 1]", "n_post=2")),
        ([0, 1], [2, 1], ("post index 2 is out of range", "[0, 1]", "n_post=2")),
        ([0.0, 1.0], [0, 1], ("pre indices must be integers", "float64")),
        ([0, 1, 2], [0, 1], ("pre and post must be 1-D", "equal length", "(3,) and (2,)")),
    ],
)
def test_sparse_bad_indices(cls, pre, post, fragments):
    with pytest.raises(ValueError, match=msg(f"{cls.__name__}: ", *fragments)):
        cls(pre, post, 3, 2)


@pytest.mark.parametrize("cls", [px.CSR, px.COO])
def test_sparse_sizes(cls):
    with pytest.raises(
        ValueError, match=msg(f"{cls.__name__}: n_post must be an integer >= 1", "got 0")
    ):
        cls([0], [0], 3, 0)


@pytest.mark.parametrize("fmt", ["dense", "csr", "coo"])
@pytest.mark.parametrize(
    "pre, post, fragment",
    [([0, 5], [0, 1], "pre index 5 is out of range"), ([0, 1], [0, -2], "post index -2 is out")],
)
def test_from_indices_out_of_range(fmt, pre, post, fragment):
    with pytest.raises(ValueError, match=msg(fragment, "must lie in")):
        px.from_indices(pre, post, 3, 2, format=fmt)


def test_from_indices_dense_names_itself():
    with pytest.raises(ValueError, match=msg("from_indices: pre index 5", "[0, 2]")):
        px.from_indices([5], [0], 3, 2, format="dense")


def test_from_indices_dense_multapses():
    with pytest.raises(ValueError, match=msg("format='dense' cannot hold multapses", "'csr'")):
        px.from_indices([0, 0], [1, 1], 3, 2, format="dense")


def test_from_indices_format():
    with pytest.raises(
        ValueError,
        match=msg("from_indices: format must be one of ['dense', 'csr', 'coo']", "'bsr'"),
    ):
        px.from_indices([0], [0], 3, 2, format="bsr")


@pytest.mark.parametrize(
    "builder, name",
    [
        (lambda f: px.all_to_all(3, 2, format=f), "all_to_all"),
        (lambda f: px.all_to_all(3, 2, allow_autapses=False, format=f), "all_to_all"),
        (lambda f: px.one_to_one(3, format=f), "one_to_one"),
        (lambda f: px.fixed_indegree(3, 2, 1, seed=0, format=f), "fixed_indegree"),
        (lambda f: px.fixed_outdegree(3, 2, 1, seed=0, format=f), "fixed_outdegree"),
        (lambda f: px.fixed_total_number(3, 2, 1, seed=0, format=f), "fixed_total_number"),
        (lambda f: px.pairwise_bernoulli(3, 2, 0.5, seed=0, format=f), "pairwise_bernoulli"),
    ],
)
def test_builder_format(builder, name):
    with pytest.raises(ValueError, match=msg(f"{name}: format must be one of", "got 'bsr'")):
        builder("bsr")


def test_builder_sizes():
    with pytest.raises(ValueError, match=msg("all_to_all: n_pre must be an integer >= 1", "got 0")):
        px.all_to_all(0, 2)
    with pytest.raises(ValueError, match=msg("one_to_one: n must be an integer >= 1", "got -1")):
        px.one_to_one(-1)


def test_fixed_indegree_larger_than_n_pre():
    with pytest.raises(ValueError, match=msg("fixed_indegree: indegree must be <= 3", "got 4")):
        px.fixed_indegree(3, 2, 4, seed=0)


def test_fixed_indegree_without_autapses():
    with pytest.raises(ValueError, match=msg("indegree must be <= 2", "got 3")):
        px.fixed_indegree(3, 3, 3, seed=0, allow_autapses=False)


def test_fixed_indegree_negative():
    with pytest.raises(ValueError, match=msg("indegree must be an integer >= 0", "got -1")):
        px.fixed_indegree(3, 2, -1, seed=0)


def test_fixed_outdegree_larger_than_n_post():
    with pytest.raises(ValueError, match=msg("fixed_outdegree: outdegree must be <= 2", "got 3")):
        px.fixed_outdegree(3, 2, 3, seed=0)


def test_fixed_total_number_too_many():
    with pytest.raises(ValueError, match=msg("fixed_total_number: n must be <= 6", "got 7")):
        px.fixed_total_number(3, 2, 7, seed=0)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_pairwise_bernoulli_probability(p):
    with pytest.raises(
        ValueError, match=msg("pairwise_bernoulli: p must lie in [0, 1]", f"got {p!r}")
    ):
        px.pairwise_bernoulli(3, 2, p, seed=0)


# -- Inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate, shown", [(-1.0, "-1.0"), ([1.0, -2.0], "-2.0"), (float("nan"), "nan")]
)
def test_poisson_rate_must_be_nonnegative(rate, shown):
    with pytest.raises(ValueError, match=msg("PoissonInput: rate must be finite and >= 0", shown)):
        px.PoissonInput(rate)


def test_poisson_rate_too_high_for_dt():
    with pytest.raises(
        ValueError, match=msg("PoissonInput: rate 2000.0 Hz", "dt=1.0 ms", "rate·dt must be <= 1")
    ):
        build_population(px.PoissonInput(2000.0), dt=1.0)


@pytest.mark.parametrize("shape", [(4,), (3, 3)])
def test_poisson_rate_array_of_wrong_length(shape):
    with pytest.raises(
        ValueError, match=msg("PoissonInput: rate must be", "shape (3,)", f"got shape {shape}")
    ):
        build_population(px.PoissonInput(np.ones(shape)), n=3)


def test_correlated_poisson_c():
    with pytest.raises(
        ValueError, match=msg("CorrelatedPoissonInput: c must lie in [0, 1]", "1.5")
    ):
        px.CorrelatedPoissonInput(5.0, 1.5)


def test_correlated_poisson_rate():
    with pytest.raises(ValueError, match=msg("CorrelatedPoissonInput: rate", ">= 0", "-5.0")):
        px.CorrelatedPoissonInput(-5.0, 0.5)


def test_spike_times_length_mismatch():
    with pytest.raises(
        ValueError,
        match=msg("times and indices must be 1-D arrays of equal length", "(2,) and (1,)"),
    ):
        px.SpikeTimesInput([1.0, 2.0], [0])


def test_spike_times_negative():
    with pytest.raises(
        ValueError, match=msg("SpikeTimesInput: times must be finite and >= 0", "-1.0")
    ):
        px.SpikeTimesInput([2.0, -1.0], [0, 1])


def test_spike_times_integer_indices():
    with pytest.raises(
        ValueError, match=msg("SpikeTimesInput: indices must be integers", "float64")
    ):
        px.SpikeTimesInput([1.0], [0.5])


@pytest.mark.parametrize("index", [3, -1])
def test_spike_times_index_out_of_range(index):
    with pytest.raises(
        ValueError, match=msg(f"SpikeTimesInput: index {index} is out of range", "population of 3")
    ):
        build_population(px.SpikeTimesInput([1.0], [index]), n=3)


def test_spike_times_two_spikes_of_one_unit_in_one_step():
    source = px.SpikeTimesInput([1.0, 1.02], [1, 1])  # both fall in step 10 with dt = 0.1
    with pytest.raises(
        ValueError, match=msg("SpikeTimesInput: unit 1 has 2 spikes in step 10", "dt=0.1 ms")
    ):
        build_population(source, n=3, dt=0.1)


# -- Neurons and rules -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tau_syn_exc", "tau_syn_inh"])
def test_lif_tau_syn_equal_to_tau_m(name):
    with pytest.raises(ValueError, match=msg(f"LIF: {name} must differ from tau_m", "10.0")):
        px.LIF(tau_m=10.0, **{name: 10.0})


@pytest.mark.parametrize(
    "model, kwargs, fragment",
    [
        (px.LIF, {"tau_m": 0.0}, "LIF: tau_m must be a finite number > 0, got 0.0"),
        (px.LIF, {"c_m": -1.0}, "LIF: c_m must be a finite number > 0"),
        (px.LIF, {"t_ref": -1.0}, "LIF: t_ref must be a finite number >= 0, got -1.0"),
        (px.LIFCond, {"tau_exc": -2.0}, "LIFCond: tau_exc must be a finite number > 0, got -2.0"),
        (px.LIFCond, {"t_ref": -1.0}, "LIFCond: t_ref must be a finite number >= 0, got -1.0"),
    ],
)
def test_neuron_parameters(model, kwargs, fragment):
    with pytest.raises(ValueError, match=msg(fragment)):
        model(**kwargs)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"tau_plus": -1.0}, "PairSTDP: tau_plus must be a finite number > 0"),
        ({"tau_minus": 0.0}, "PairSTDP: tau_minus must be a finite number > 0, got 0.0"),
        ({"a_minus": -0.1}, "PairSTDP: a_minus must be a finite number >= 0, got -0.1"),
        ({"a_plus": -0.1}, "PairSTDP: a_plus must be a finite number >= 0, got -0.1"),
        ({"mu_plus": -1.0}, "PairSTDP: mu_plus must be a finite number >= 0, got -1.0"),
        ({"w_min": 1.0, "w_max": 0.5}, "PairSTDP: w_max must be > w_min, got w_min=1.0, w_max=0.5"),
        ({"w_min": 1.0, "w_max": 1.0}, "PairSTDP: w_max must be > w_min, got w_min=1.0, w_max=1.0"),
    ],
)
def test_pair_stdp_parameters(kwargs, fragment):
    with pytest.raises(ValueError, match=msg(fragment)):
        px.PairSTDP(**kwargs)


def test_chain_without_rule():
    with pytest.raises(ValueError, match=msg("chain: give at least one rule")):
        px.chain()


def test_chain_with_a_non_rule():
    with pytest.raises(
        ValueError, match=msg("chain: argument 1 must be a plasticity rule", "got str")
    ):
        px.chain(px.PairSTDP(), "stdp")


def test_uniform_initializer_bounds():
    with pytest.raises(ValueError, match=msg("uniform: high must be >= low", "low=1.0, high=0.0")):
        px.initializers.uniform(1.0, 0.0)


# -- Command line ----------------------------------------------------------------------------


def test_cli_unknown_experiment(capsys):
    assert cli.main(["run", "nosuch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown experiment 'nosuch'" in captured.err
    assert experiments.EXPERIMENTS  # at least one is known, and each is listed
    for name in experiments.EXPERIMENTS:
        assert name in captured.err


@pytest.mark.parametrize(
    "capacity, message",
    [
        ((1, 2, 3), "capacity must be an integer, None, or a pair (pre, post)"),
        ((0, None), "capacity[0] must be an integer >= 1"),
        ((None, 1.5), "capacity[1] must be an integer >= 1"),
    ],
)
def test_capacity_pair_is_checked(capacity, message):
    pre = px.Population(px.PoissonInput(5.0), 3)
    post = px.Population(px.LIF(), 2)
    with pytest.raises(ValueError, match=re.escape(message)):
        px.Projection(pre, post, px.all_to_all(3, 2), capacity=capacity)


# -- Rules of the library --------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: px.TripletSTDP(tau_x=-1.0), "TripletSTDP: tau_x must be a finite number > 0"),
        (
            lambda: px.TripletSTDP(a3_minus=-0.1),
            "TripletSTDP: a3_minus must be a finite number >= 0",
        ),
        (lambda: px.TripletSTDP(w_min=1.0, w_max=0.5), "TripletSTDP: w_max must be > w_min"),
        (lambda: px.TripletSTDP.preset("cortex"), "preset: name must be one of"),
        (lambda: px.InhibitorySTDP(tau=0.0), "InhibitorySTDP: tau must be a finite number > 0"),
        (lambda: px.InhibitorySTDP(rho0=-2.0), "InhibitorySTDP: rho0 must be a finite number >= 0"),
        (lambda: px.ExpSTDP(beta=-1.0), "ExpSTDP: beta must be a finite number >= 0, got -1.0"),
        (lambda: px.ExpSTDP(w_max=0.1, eps=0.1), "ExpSTDP: w_max must be > 2·eps"),
        (lambda: px.PairSTDP(nearest="closest"), "PairSTDP: nearest must be False, True or one"),
        (lambda: px.rules.stdp_nn_restr(w_max=-1.0), "stdp_nn_restr: w_max must be a finite"),
        (lambda: px.rules.stdp_nn_symm(lambda_=-0.1), "stdp_nn_symm: lambda_ must be a finite"),
    ],
)
def test_rule_parameters_are_checked(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
