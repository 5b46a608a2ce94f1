"""Spike for spike and weight for weight against the independent NumPy reference.

Small random networks with LIF, LIFCond, static and plastic projections, homogeneous
and per-synapse delays, in every connectivity format, on the all-synapse and the
event-driven path.
"""

import numpy as np
import pytest
from reference.numpy_sim import simulate as reference_simulate

import plastix as px

DT = 0.1
STEPS = 600
N_IN, N_LIF, N_COND = 16, 5, 4


def _input_spikes(seed=3, rate_hz=60.0):
    rng = np.random.default_rng(seed)
    raster = rng.random((STEPS, N_IN)) < rate_hz * DT * 1e-3
    steps, idx = np.nonzero(raster)
    return raster, steps * DT, idx


LIF_PARAMS = dict(
    tau_m=10.0,
    c_m=250.0,
    v_rest=-70.0,
    v_th=-55.0,
    v_reset=-70.0,
    tau_syn_exc=2.0,
    tau_syn_inh=3.0,
    t_ref=2.0,
    i_e=340.0,
)
COND_PARAMS = dict(
    tau_m=10.0,
    e_leak=-74.0,
    v_th=-54.0,
    v_reset=-60.0,
    e_exc=0.0,
    e_inh=-80.0,
    tau_exc=5.0,
    tau_inh=5.0,
    t_ref=1.0,
)
STDP_ADD = dict(
    tau_plus=16.8,
    tau_minus=33.7,
    a_plus=30.0,
    a_minus=35.0,
    w_min=0.0,
    w_max=600.0,
    mu_plus=0.0,
    mu_minus=0.0,
    nearest=False,
)
STDP_MULT = dict(
    tau_plus=20.0,
    tau_minus=20.0,
    a_plus=0.05,
    a_minus=0.06,
    w_min=0.0,
    w_max=0.5,
    mu_plus=1.0,
    mu_minus=1.0,
    nearest=True,
)


def build(fmt, capacity):
    """The test network in format ``fmt``; returns (net, projections, monitors)."""
    net = px.Network(dt=DT, seed=11)
    _, times, idx = _input_spikes()
    inp = net.add(px.Population(px.SpikeTimesInput(times, idx), N_IN, name="in"))
    lif = net.add(px.Population(px.LIF(**LIF_PARAMS, v_init=-60.0), N_LIF, name="lif"))
    cond = net.add(px.Population(px.LIFCond(**COND_PARAMS), N_COND, name="cond"))
    rng = np.random.default_rng(5)
    kw = dict(capacity=capacity)
    projs = [
        # plastic, homogeneous 1-step delay, additive all-to-all STDP
        net.add(
            px.Projection(
                inp,
                lif,
                px.pairwise_bernoulli(N_IN, N_LIF, 0.6, seed=1, format=fmt),
                px.PairSTDP(**STDP_ADD),
                weights=px.initializers.uniform(100.0, 500.0),
                **kw,
            )
        ),
        # plastic, homogeneous 3-step delay, recurrent
        net.add(
            px.Projection(
                lif,
                lif,
                px.fixed_indegree(N_LIF, N_LIF, 3, seed=2, allow_autapses=False, format=fmt),
                px.PairSTDP(**STDP_ADD),
                weights=200.0,
                delay=0.3,
                **kw,
            )
        ),
        # static inhibitory
        net.add(
            px.Projection(
                lif,
                lif,
                px.all_to_all(N_LIF, N_LIF, format=fmt),
                None,
                weights=-rng.uniform(20.0, 60.0, (N_LIF, N_LIF)),
                receptor="inh",
                **kw,
            )
        ),
        # plastic, per-synapse delays, multiplicative nearest-spike STDP
        net.add(
            px.Projection(
                inp,
                cond,
                px.fixed_total_number(N_IN, N_COND, 40, seed=3, format=fmt),
                px.PairSTDP(**STDP_MULT),
                weights=px.initializers.uniform(0.05, 0.4),
                delay=rng.uniform(0.1, 1.5, (N_IN, N_COND)),
                **kw,
            )
        ),
        # static, from the input with the same delay as the first (the three share the
        # input's event buffer), onto both targets
        net.add(
            px.Projection(
                inp,
                lif,
                px.pairwise_bernoulli(N_IN, N_LIF, 0.5, seed=4, format=fmt),
                None,
                weights=px.initializers.uniform(-150.0, -50.0),
                receptor="inh",
                **kw,
            )
        ),
        net.add(
            px.Projection(
                inp,
                cond,
                px.pairwise_bernoulli(N_IN, N_COND, 0.5, seed=6, format=fmt),
                None,
                weights=0.05,
                **kw,
            )
        ),
        # lif -> cond, static inhibitory conductance
        net.add(
            px.Projection(
                lif,
                cond,
                px.all_to_all(N_LIF, N_COND, format=fmt),
                None,
                weights=0.1,
                receptor="inh",
                delay=0.2,
                **kw,
            )
        ),
    ]
    monitors = [net.add(px.Monitor(p)) for p in (inp, lif, cond)]
    monitors += [net.add(px.Monitor(lif, "v")), net.add(px.Monitor(cond, "v"))]
    return net, projs, monitors


def reference(net, projs):
    raster, _, _ = _input_spikes()
    pops = [
        {"kind": "source", "spikes": raster},
        {"kind": "lif", "n": N_LIF, **LIF_PARAMS, "v0": np.full(N_LIF, -60.0)},
        {"kind": "lif_cond", "n": N_COND, **COND_PARAMS},
    ]
    index = {id(p): i for i, p in enumerate(net.populations)}
    specs = []
    for k, proj in enumerate(projs):
        conn = proj.connectivity
        pre, post = conn.canonical_indices()
        spec = net.spec.projections[k]
        if spec.delays is None:
            delay = np.full(pre.size, spec.delay)
        else:
            delay = np.asarray(conn.to_canonical(spec.delays))
        stdp = None
        if proj.rule is not None:
            stdp = STDP_ADD if proj.rule.mu_plus == 0 else STDP_MULT
        specs.append(
            {
                "pre": index[id(proj.pre)],
                "post": index[id(proj.post)],
                "pre_index": pre,
                "post_index": post,
                "w": np.asarray(conn.to_canonical(net.state.projections[k].w)),
                "delay": delay,
                "receptor": proj.receptor,
                "stdp": stdp,
            }
        )
    return reference_simulate(DT, STEPS, pops, specs)


def raster_of(monitor, n):
    raster = np.zeros((STEPS, n), bool)
    raster[np.round(monitor.t / DT).astype(int), monitor.i] = True
    return raster


@pytest.mark.parametrize("capacity", [None, 8], ids=["all-synapse", "events"])
@pytest.mark.parametrize("fmt", ["dense", "csr", "coo"])
def test_network_matches_numpy_reference(fmt, capacity):
    net, projs, monitors = build(fmt, capacity)
    net.build()
    expected = reference(net, projs)
    net.run(STEPS * DT, chunk_size=250, progress=False)
    for k, n in enumerate((N_IN, N_LIF, N_COND)):
        np.testing.assert_array_equal(raster_of(monitors[k], n), expected["spikes"][k])
    assert expected["spikes"][1].sum() > 10 and expected["spikes"][2].sum() > 5
    np.testing.assert_allclose(monitors[3].values, expected["v"][1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(monitors[4].values, expected["v"][2], rtol=0, atol=1e-9)
    for k, proj in enumerate(projs):
        got = np.asarray(proj.connectivity.to_canonical(net.state.projections[k].w))
        np.testing.assert_allclose(got, expected["w"][k], rtol=1e-12, atol=1e-12)
        if proj.rule is not None:  # the plastic projections did learn
            assert np.max(np.abs(expected["w"][k] - expected["w_trace"][k][0])) > 1e-3
