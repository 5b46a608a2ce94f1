"""Every spike-timing rule against the independent NumPy reference (float64, 1e-12).

Random spike trains drive a small random network through ``SpikeTimesInput`` sources on
both sides, in each connectivity format, on the all-synapse path and on the event path.
The reference (``tests/reference/rules_numpy.py``) was written from the equations alone;
the NEST nearest-neighbour variants there pair spike *times* rather than using traces.
"""

import numpy as np
import pytest
from reference.rules_numpy import simulate_rule

import plastix as px

DT = 0.5
STEPS = 240
N_PRE, N_POST = 6, 4


def _trains(seed: int):
    rng = np.random.default_rng(seed)
    emitted = rng.random((STEPS, N_PRE)) < 0.08
    emitted[-1] = False  # the last step's spikes would arrive after the run
    post = rng.random((STEPS, N_POST)) < 0.08
    pairs = [(i, j) for i in range(N_PRE) for j in range(N_POST) if rng.random() < 0.6]
    pre_index, post_index = (np.array(v) for v in zip(*pairs, strict=True))
    w0 = rng.uniform(0.3, 0.7, len(pairs))
    return emitted, post, pre_index, post_index, w0


def _times(raster):
    steps, units = np.nonzero(raster)
    return steps * DT, units


def run_plastix(rule, fmt, capacity, seed=0):
    emitted, post, pre_index, post_index, w0 = _trains(seed)
    net = px.Network(dt=DT)
    pre_pop = net.add(px.Population(px.SpikeTimesInput(*_times(emitted)), N_PRE))
    post_pop = net.add(px.Population(px.SpikeTimesInput(*_times(post)), N_POST))
    conn = px.from_indices(pre_index, post_index, N_PRE, N_POST, format=fmt)
    proj = net.add(px.Projection(pre_pop, post_pop, conn, rule, weights=w0, capacity=capacity))
    net.run(STEPS * DT, progress=False)
    return net.weights(proj)[pre_index, post_index]


def run_reference(name, params, seed=0, mask=None):
    emitted, post, pre_index, post_index, w0 = _trains(seed)
    arrived = np.zeros_like(emitted)
    arrived[1:] = emitted[:-1]  # the minimum delay: one step
    w = simulate_rule(name, params, arrived, post, pre_index, post_index, w0, DT, mask=mask)
    return w[-1]


TRIPLET = dict(
    tau_plus=16.8, tau_minus=33.7, tau_x=101.0, tau_y=125.0, a2_plus=0.002, a3_plus=0.005,
    a2_minus=0.003, a3_minus=0.002, w_min=0.1, w_max=0.9,
)  # fmt: skip
VOGELS = dict(tau=20.0, eta=0.004, rho0=150.0, w_min=0.0, w_max=0.8)
EXP = dict(
    tau_plus=15.0, tau_minus=25.0, eta=0.8, a_plus=0.12, a_minus=0.06, beta=1.5,
    x_target=0.3, w_max=1.0, eps=1e-3,
)  # fmt: skip
NEST = dict(tau_plus=15.0, tau_minus=30.0, lambda_=0.05, alpha=1.2, mu_plus=1.0, mu_minus=0.5)

CASES = {
    "triplet": (px.TripletSTDP(**TRIPLET), "triplet", {**TRIPLET, "nearest": False}),
    "triplet_nearest": (
        px.TripletSTDP(**TRIPLET, nearest=True),
        "triplet",
        {**TRIPLET, "nearest": True},
    ),
    "vogels": (px.InhibitorySTDP(**VOGELS), "vogels", VOGELS),
    "exp_stdp": (px.ExpSTDP(**EXP, nearest=False), "exp_stdp", {**EXP, "nearest": False}),
    "exp_stdp_nearest": (px.ExpSTDP(**EXP, nearest=True), "exp_stdp", {**EXP, "nearest": True}),
    "nn_symm": (px.rules.stdp_nn_symm(**NEST, w_max=1.0), "nn_symm", {**NEST, "w_max": 1.0}),
    "nn_pre_centered": (
        px.rules.stdp_nn_pre_centered(**NEST, w_max=1.0),
        "nn_pre_centered",
        {**NEST, "w_max": 1.0},
    ),
    "nn_restr": (px.rules.stdp_nn_restr(**NEST, w_max=1.0), "nn_restr", {**NEST, "w_max": 1.0}),
}


@pytest.fixture(scope="module")
def references():
    return {case: run_reference(name, params) for case, (_, name, params) in CASES.items()}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize(
    "fmt, capacity", [("dense", None), ("csr", (N_PRE, N_POST)), ("coo", (3, 2))]
)
def test_rule_equals_numpy_reference(case, fmt, capacity, references):
    rule, _, _ = CASES[case]
    if capacity == (3, 2):  # small buffers: an overflow must be reported, not ignored
        with pytest.raises(px.BufferOverflowError):
            run_plastix(rule, fmt, capacity)
        capacity = (N_PRE, None)
    w = run_plastix(rule, fmt, capacity)
    expected = references[case]
    w0 = _trains(0)[4]
    assert np.mean(np.abs(expected - w0) > 1e-3) > 0.5, "most weights must have moved"
    distinct = np.unique(np.round(expected, 9)).size
    assert distinct > expected.size / 2, "most weights must be off the bounds (distinct)"
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-12)


def test_nest_variants_differ_on_these_trains(references):
    """The three pairing schemes are distinguished by the trains used above."""
    symm, centred, restr = (references[k] for k in ("nn_symm", "nn_pre_centered", "nn_restr"))
    assert np.abs(symm - centred).max() > 1e-3
    assert np.abs(symm - restr).max() > 1e-3
    assert np.abs(centred - restr).max() > 1e-3


def test_chain_of_a_pairing_rule_with_a_trace_rule():
    """A rule with per-synapse variables chains with one without, and each acts as alone."""
    nest = px.rules.stdp_nn_restr(**NEST, w_max=1.0)
    silent = px.InhibitorySTDP(tau=20.0, eta=0.0, rho0=0.0)  # no effect
    alone = run_plastix(nest, "csr", None)
    chained = run_plastix(px.chain(silent, nest), "csr", None)
    np.testing.assert_allclose(chained, alone, rtol=0, atol=1e-15)


# -- Reward-modulated STDP: the reference is written here from RewardSTDP's equations ----

REWARD = dict(
    tau_plus=18.0, tau_minus=25.0, a_plus=0.1, a_minus=0.15, tau_c=300.0, tau_d=60.0,
    reward=0.5, tonic=0.01, eta=0.8, period=2.0, w_min=0.0, w_max=1.0,
)  # fmt: skip
REWARD_STEPS = (30, 31, 95, 160, 161, 200)  # steps with a modulator ("dopamine") spike


def reward_reference(nearest: bool):
    """Per-synapse loops, float64: STDP into c, periodic w ← clip(w + η(tonic + d)c)."""
    p = REWARD
    emitted, post, pre_index, post_index, w0 = _trains(0)
    arrived = np.zeros_like(emitted)
    arrived[1:] = emitted[:-1]
    n_syn = len(w0)
    w, c = w0.astype(float).copy(), np.zeros(n_syn)
    x, y, d = np.zeros(n_syn), np.zeros(n_syn), 0.0
    every = round(p["period"] / DT)
    for k in range(STEPS):
        x *= np.exp(-DT / p["tau_plus"])
        y *= np.exp(-DT / p["tau_minus"])
        d *= np.exp(-DT / p["tau_d"])
        for s in range(n_syn):
            if arrived[k, pre_index[s]]:
                c[s] -= p["a_minus"] * y[s]
                x[s] = 1.0 if nearest else x[s] + 1.0
        for s in range(n_syn):
            if post[k, post_index[s]]:
                c[s] += p["a_plus"] * x[s]
                y[s] = 1.0 if nearest else y[s] + 1.0
        if (k + 1) % every == 0:
            w = np.clip(w + p["eta"] * (p["tonic"] + d) * c, p["w_min"], p["w_max"])
            c *= np.exp(-p["period"] / p["tau_c"])
        d += p["reward"] * (k in REWARD_STEPS)
    return w, c


@pytest.mark.parametrize("nearest", [False, True])
@pytest.mark.parametrize(
    "fmt, capacity", [("dense", None), ("csr", (N_PRE, N_POST)), ("coo", None)]
)
def test_reward_modulated_stdp_equals_reference(fmt, capacity, nearest):
    emitted, post, pre_index, post_index, w0 = _trains(0)
    net = px.Network(dt=DT)
    pre_pop = net.add(px.Population(px.SpikeTimesInput(*_times(emitted)), N_PRE))
    post_pop = net.add(px.Population(px.SpikeTimesInput(*_times(post)), N_POST))
    times = np.array(REWARD_STEPS) * DT
    dopamine = net.add(px.Population(px.SpikeTimesInput(times, np.zeros(len(times), int)), 1))
    conn = px.from_indices(pre_index, post_index, N_PRE, N_POST, format=fmt)
    rule = px.RewardSTDP(**REWARD, nearest=nearest)
    proj = net.add(
        px.Projection(
            pre_pop, post_pop, conn, rule, weights=w0, capacity=capacity, modulator=dopamine
        )
    )
    net.run(STEPS * DT / 2, progress=False)  # two runs: the state carries over
    net.run(STEPS * DT / 2, progress=False)
    w_ref, c_ref = reward_reference(nearest)
    assert np.mean(np.abs(w_ref - w0) > 1e-3) > 0.5, "most weights must have moved"
    np.testing.assert_allclose(net.weights(proj)[pre_index, post_index], w_ref, atol=1e-12)
    c = np.asarray(conn.to_dense(net.state.projections[0].synapses))[pre_index, post_index]
    np.testing.assert_allclose(c, c_ref, atol=1e-12)


def test_modulator_needs_a_rule_that_takes_it():
    net = px.Network()
    a = net.add(px.Population(px.PoissonInput(5.0), 2))
    with pytest.raises(ValueError, match="modulator is given but the rule"):
        px.Projection(a, a, px.all_to_all(2, 2), px.PairSTDP(), modulator=a)
