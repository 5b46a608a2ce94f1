"""The equation DSL (plastix.dsl) against the built-in rules and neurons it re-expresses.

A DSL model must compile to the same computation as the hand-written one: the tests run
both side by side in one network (one compilation) on every connectivity format and on
both the all-synapse and the event path, and ask for equality to 1e-12 in float64. The
seed example is ANNarchy's STDP, written as in ANNarchy's documentation. Numerical
methods are checked against NumPy loops written here from the equations.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference.rules_numpy import simulate_rule

import plastix as px
from plastix import dsl

# -- rules -------------------------------------------------------------------------------

ANNARCHY_STDP = dict(
    equations="""
        tau_plus  * dx/dt = -x : event-driven   # presynaptic trace
        tau_minus * dy/dt = -y : event-driven   # postsynaptic trace
    """,
    on_pre="""
        x += A_plus * w_max
        w = clip(w - y, w_min, w_max)
    """,
    on_post="""
        y += A_minus * w_max
        w = clip(w + x, w_min, w_max)
    """,
)

PAIR = dict(
    equations="""
        dx/dt = -x / tau_plus : 1 (event-driven)
        dy/dt = -y / tau_minus : 1 (event-driven)
    """,
    on_pre="w = clip(w - a_minus * y, w_min, w_max); x += 1",
    on_post="y += 1; w = clip(w + a_plus * x, w_min, w_max)",
)

# Brian2's examples/synapses/STDP.py form: the traces declared per synapse, so they are
# advanced lazily at the synapse's events (Brian2's event-driven integration).
PAIR_PER_SYNAPSE = dict(
    equations="""
        dapre/dt = -apre / taupre : 1 (event-driven, synapse)
        dapost/dt = -apost / taupost : 1 (event-driven, synapse)
    """,
    on_pre="apre += dApre; w = clip(w + apost, w_min, w_max)",
    on_post="apost += dApost; w = clip(w + apre, w_min, w_max)",
)

TRIPLET = dict(
    equations="""
        dr1/dt = -r1 / tau_plus : 1 (event-driven)
        dr2/dt = -r2 / tau_x : 1 (event-driven)
        do1/dt = -o1 / tau_minus : 1 (event-driven)
        do2/dt = -o2 / tau_y : 1 (event-driven)
    """,
    on_pre="""
        w = clip(w - o1 * (a2_minus + a3_minus * r2), w_min, w_max)  # r2 before its jump
        r1 += 1
        r2 += 1
    """,
    on_post="""
        w = clip(w + r1 * (a2_plus + a3_plus * o2), w_min, w_max)
        o1 += 1
        o2 += 1
    """,
)

PAIR_P = dict(tau_plus=16.8, tau_minus=33.7, a_plus=0.02, a_minus=0.025, w_min=0.1, w_max=0.9)
TRIPLET_P = dict(
    tau_plus=16.8, tau_minus=33.7, tau_x=101.0, tau_y=125.0, a2_plus=0.002, a3_plus=0.005,
    a2_minus=0.003, a3_minus=0.002, w_min=0.1, w_max=0.9,
)  # fmt: skip
BRIAN_P = dict(taupre=16.8, taupost=33.7, dApre=0.02, dApost=-0.025, w_min=0.1, w_max=0.9)


def pair_dsl():
    return dsl.Rule(**PAIR, parameters=PAIR_P, name="PairDSL")


def builtin_pair():
    return px.PairSTDP(**PAIR_P)


def test_rule_state_lives_per_neuron_and_parameters_are_fields():
    rule = pair_dsl()
    assert isinstance(rule, px.rules.AbstractRule)
    state = rule.init(6, 4)
    assert state["x"].shape == (6,) and state["y"].shape == (4,)  # traces, not per synapse
    assert rule.init_synapses(jnp.zeros(10)) is None
    assert float(rule.a_plus) == 0.02 and isinstance(rule.a_plus, jax.Array)
    brian = dsl.Rule(**PAIR_PER_SYNAPSE, parameters=BRIAN_P)
    assert set(brian.init_synapses(jnp.zeros(10))) == {"apre", "apost", "_last"}
    # the same text twice gives the same class and an equal static part (no recompile)
    assert type(pair_dsl()) is type(rule)
    assert eqx.tree_equal(pair_dsl(), rule)


DT = 0.1


def run_pairs(t_pre_emit, t_post, rules, w0=1.0, duration=None):
    """One-to-one synapses, one pre/post pair each; every rule on its own projection."""
    n = len(t_pre_emit)
    net = px.Network(dt=DT)
    pre = net.add(px.Population(px.SpikeTimesInput(t_pre_emit, np.arange(n)), n))
    post = net.add(px.Population(px.SpikeTimesInput(t_post, np.arange(n)), n))
    projections = [
        net.add(px.Projection(pre, post, px.one_to_one(n, format="csr"), r, weights=w0))
        for r in rules
    ]
    net.run(duration, progress=False)
    return [np.diag(net.weights(p)) for p in projections]


def test_annarchy_stdp_in_the_dsl_gives_the_builtin_window():
    """The seed example: ANNarchy's "STDP – single synapse" (VALIDATION §1) in its own
    words equals PairSTDP with a± = A±·w_max, and the analytic ±0.02·exp(−|Δt|/20)."""
    a, w_max, tau = 0.01, 2.0, 20.0
    params = dict(tau_plus=tau, tau_minus=tau, A_plus=a, A_minus=a, w_min=0.0, w_max=w_max)
    annarchy = dsl.Rule(**ANNARCHY_STDP, parameters=params, name="ANNarchySTDP")
    builtin = px.PairSTDP(tau, tau, a * w_max, a * w_max, w_min=0.0, w_max=w_max)
    t_pre = np.linspace(100.0, 0.0, 101)
    keep = t_pre - DT >= 0  # emitted one step early to arrive at t_pre
    t_post = np.full(keep.sum(), 50.0)
    w_dsl, w_builtin = run_pairs(t_pre[keep] - DT, t_post, [annarchy, builtin], duration=105.0)
    np.testing.assert_allclose(w_dsl, w_builtin, rtol=0, atol=1e-12)
    lag = 50.0 - t_pre[keep]
    expected = np.where(lag >= 0, 1.0, -1.0) * 2 * a * np.exp(-np.abs(lag) / tau)
    np.testing.assert_allclose(w_dsl - 1.0, expected, rtol=1e-9, atol=1e-14)
    assert w_dsl.max() - 1.0 == pytest.approx(0.02, rel=1e-12)  # Δt = 0: pre counts first


# One network, every format and both paths, DSL and built-in side by side.
N_PRE, N_POST, STEPS, RDT = 6, 4, 240, 0.5
PATHS = [("dense", None), ("dense", 3), ("csr", None), ("csr", 3), ("coo", None), ("coo", 3)]


def _trains():
    rng = np.random.default_rng(0)
    emitted = rng.random((STEPS, N_PRE)) < 0.08
    emitted[-1] = False
    post = rng.random((STEPS, N_POST)) < 0.08
    pairs = [(i, j) for i in range(N_PRE) for j in range(N_POST) if rng.random() < 0.6]
    pre_index, post_index = (np.array(v) for v in zip(*pairs, strict=True))
    return emitted, post, pre_index, post_index, rng.uniform(0.3, 0.7, len(pairs))


def _times(raster):
    steps, units = np.nonzero(raster)
    return steps * RDT, units


@pytest.fixture(scope="module")
def rule_runs():
    """Final weights (canonical order) of each (case, format, capacity) projection."""
    emitted, post, pre_index, post_index, w0 = _trains()
    cases = {
        "pair": (pair_dsl, builtin_pair),
        "pair_per_synapse": (
            lambda: dsl.Rule(**PAIR_PER_SYNAPSE, parameters=BRIAN_P),
            builtin_pair,
        ),
        "triplet": (
            lambda: dsl.Rule(**TRIPLET, parameters=TRIPLET_P, name="TripletDSL"),
            lambda: px.TripletSTDP(**TRIPLET_P),
        ),
        "chain": (
            lambda: px.chain(pair_dsl(), px.TripletSTDP(**TRIPLET_P)),
            lambda: px.chain(builtin_pair(), px.TripletSTDP(**TRIPLET_P)),
        ),
    }
    net = px.Network(dt=RDT)
    pre_pop = net.add(px.Population(px.SpikeTimesInput(*_times(emitted)), N_PRE))
    post_pop = net.add(px.Population(px.SpikeTimesInput(*_times(post)), N_POST))
    projections = {}
    for case, makers in cases.items():
        paths = PATHS if case in ("pair", "triplet") else [("csr", 3)]
        for fmt, capacity in paths:
            for kind, make in zip(("dsl", "builtin"), makers, strict=True):
                conn = px.from_indices(pre_index, post_index, N_PRE, N_POST, format=fmt)
                projections[case, fmt, capacity, kind] = net.add(
                    px.Projection(
                        pre_pop,
                        post_pop,
                        conn,
                        make(),
                        weights=w0,
                        capacity=capacity,
                        on_overflow="dense",
                    )
                )
    net.run(STEPS * RDT, progress=False)
    return {k: net.weights(p)[pre_index, post_index] for k, p in projections.items()}, w0


@pytest.mark.parametrize("case", ["pair", "pair_per_synapse", "triplet", "chain"])
def test_dsl_rule_equals_builtin_on_every_format_and_path(rule_runs, case):
    weights, w0 = rule_runs
    keys = [k for k in weights if k[0] == case and k[3] == "dsl"]
    assert len(keys) == (6 if case in ("pair", "triplet") else 1)
    for _, fmt, capacity, _ in keys:
        got, expected = weights[case, fmt, capacity, "dsl"], weights[case, fmt, capacity, "builtin"]
        assert np.mean(np.abs(expected - w0) > 1e-3) > 0.5, "most weights must have moved"
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=f"{fmt} {capacity}")


def test_dsl_triplet_equals_the_numpy_reference(rule_runs):
    weights, _ = rule_runs
    emitted, post, pre_index, post_index, w0 = _trains()
    arrived = np.zeros_like(emitted)
    arrived[1:] = emitted[:-1]
    params = {**TRIPLET_P, "nearest": False}
    ref = simulate_rule("triplet", params, arrived, post, pre_index, post_index, w0, RDT)[-1]
    np.testing.assert_allclose(weights["triplet", "coo", 3, "dsl"], ref, rtol=0, atol=1e-12)


# -- neurons -----------------------------------------------------------------------------

LIF_P = dict(
    tau_m=10.0,
    c_m=250.0,
    v_rest=-70.0,
    v_th=-55.0,
    v_reset=-70.0,
    tau_syn_exc=2.0,
    tau_syn_inh=3.0,
    t_ref=2.0,
    i_e=300.0,
)


def lif_dsl(**kw):
    return dsl.Neuron(
        equations="""
            dv/dt = (v_rest - v)/tau_m + (I_exc + I_inh + i_e)/c_m : mV (unless refractory)
            dI_exc/dt = -I_exc/tau_syn_exc : pA
            dI_inh/dt = -I_inh/tau_syn_inh : pA
        """,
        threshold="v >= v_th",
        reset="v = v_reset",
        refractory="t_ref",
        receptors={"exc": "I_exc", "inh": "I_inh"},
        initial={"v": "v_rest"},
        parameters=LIF_P,
        name="LIFDSL",
        **kw,
    )


def test_dsl_lif_and_pair_stdp_equal_builtins_in_every_format():
    """Poisson inputs → LIF with pair STDP, DSL neuron + DSL rule against LIF + PairSTDP,
    one projection pair per format (all-synapse and event path)."""
    n_in, n_out = 30, 4
    rng = np.random.default_rng(1)
    pairs = [(i, j) for i in range(n_in) for j in range(n_out) if rng.random() < 0.7]
    pre_index, post_index = (np.array(v) for v in zip(*pairs, strict=True))
    w0 = rng.uniform(0.0, 400.0, len(pairs))
    stdp = dict(tau_plus=20.0, tau_minus=20.0, a_plus=8.0, a_minus=8.4, w_min=0.0, w_max=600.0)
    net = px.Network(dt=0.1, seed=2)
    inputs = net.add(px.Population(px.PoissonInput(40.0), n_in))
    results = []
    for fmt, capacity in [("dense", None), ("csr", 4), ("coo", 4)]:
        projs, monitors = [], []
        for neuron, rule in (
            (lif_dsl(), dsl.Rule(**PAIR, parameters=stdp)),
            (px.LIF(**LIF_P), px.PairSTDP(**stdp)),
        ):
            pop = net.add(px.Population(neuron, n_out))
            conn = px.from_indices(pre_index, post_index, n_in, n_out, format=fmt)
            proj = px.Projection(
                inputs, pop, conn, rule, weights=w0, capacity=capacity, on_overflow="dense"
            )
            projs.append(net.add(proj))
            monitors.append((net.add(px.Monitor(pop)), net.add(px.Monitor(pop, "v"))))
        results.append((fmt, projs, monitors))
    net.run(250.0, progress=False)
    for fmt, (p_dsl, p_builtin), ((s_dsl, v_dsl), (s_builtin, v_builtin)) in results:
        assert s_builtin.t.size > 20, "the neurons must fire for STDP to act"
        np.testing.assert_array_equal(s_dsl.t, s_builtin.t, err_msg=fmt)
        np.testing.assert_array_equal(s_dsl.i, s_builtin.i, err_msg=fmt)
        np.testing.assert_allclose(v_dsl.values, v_builtin.values, rtol=0, atol=1e-12)
        w_dsl, w_builtin = (net.weights(p)[pre_index, post_index] for p in (p_dsl, p_builtin))
        assert np.mean(np.abs(w_builtin - w0) > 1e-3) > 0.5, "most weights must have moved"
        np.testing.assert_allclose(w_dsl, w_builtin, rtol=0, atol=1e-12, err_msg=fmt)


def test_exponential_euler_neuron_equals_lif_cond():
    """LIFCond's update is exponential Euler with frozen conductances, so the DSL form with
    method='exponential_euler' is the same neuron."""
    p = dict(
        tau_m=10.0,
        e_l=-74.0,
        e_e=0.0,
        e_i=-80.0,
        v_th=-54.0,
        v_reset=-60.0,
        tau_e=5.0,
        tau_i=10.0,
        t_ref=0.0,
    )
    neuron = dsl.Neuron(
        equations="""
            tau_m * dv/dt = (e_l - v) + g_e*(e_e - v) + g_i*(e_i - v) : mV (unless refractory)
            dg_e/dt = -g_e/tau_e : 1
            dg_i/dt = -g_i/tau_i : 1
        """,
        threshold="v >= v_th",
        reset="v = v_reset",
        refractory="t_ref",
        receptors={"exc": "g_e", "inh": "g_i"},
        initial={"v": "e_l"},
        parameters=p,
        method="exponential_euler",
    )
    builtin = px.LIFCond(
        tau_m=10.0,
        e_leak=-74.0,
        e_exc=0.0,
        e_inh=-80.0,
        v_th=-54.0,
        v_reset=-60.0,
        tau_exc=5.0,
        tau_inh=10.0,
        t_ref=0.0,
    )
    net = px.Network(dt=0.1, seed=4)
    inputs = net.add(px.Population(px.PoissonInput(80.0), 20))
    w = np.random.default_rng(3).uniform(0.0, 0.3, (20, 3))
    monitors = []
    for model in (neuron, builtin):
        pop = net.add(px.Population(model, 3))
        net.add(px.Projection(inputs, pop, px.all_to_all(20, 3), None, weights=w))
        net.add(
            px.Projection(inputs, pop, px.all_to_all(20, 3), None, weights=w / 3, receptor="inh")
        )
        monitors.append((net.add(px.Monitor(pop)), net.add(px.Monitor(pop, "v"))))
    net.run(300.0, progress=False)
    (s_dsl, v_dsl), (s_builtin, v_builtin) = monitors
    assert s_builtin.t.size > 10
    np.testing.assert_array_equal(s_dsl.t, s_builtin.t)
    np.testing.assert_allclose(v_dsl.values, v_builtin.values, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["euler", "rk2"])
def test_numerical_methods_follow_their_formulas(method):
    """A quadratic integrate-and-fire neuron with a time-dependent drive, against the
    method written out in NumPy; the linear adaptation variable is integrated exactly."""
    p = dict(
        tau=10.0, v_c=-50.0, k=0.04, i0=2.0, f=0.01, tau_a=50.0, v_peak=-30.0, v_r=-65.0, b=1.0
    )
    neuron = dsl.Neuron(
        equations="""
            drive = i0 * (1 + sin(2*pi*f*t))       # a subexpression
            dv/dt = k*(v - v_c)**2/tau + drive - a : mV
            da/dt = -a/tau_a : 1
        """,
        threshold="v >= v_peak",
        reset="v = v_r; a += b",
        initial={"v": -60.0},
        parameters=p,
        method=method,
    )
    dt, n = 0.1, 600
    net = px.Network(dt=dt)
    pop = net.add(px.Population(neuron, 1))
    mon = net.add(px.Monitor(pop, "v"))
    spikes = net.add(px.Monitor(pop))
    net.run(n * dt, progress=False)

    def f(v, a, t):
        return (
            p["k"] * (v - p["v_c"]) ** 2 / p["tau"]
            + p["i0"] * (1 + np.sin(2 * np.pi * p["f"] * t))
            - a
        )

    v, a, vs, fired = -60.0, 0.0, [], []
    for step in range(n):
        t = step * dt
        if method == "euler":
            v_new = v + dt * f(v, a, t)
        else:
            a_mid = a * np.exp(-dt / 2 / p["tau_a"])
            v_new = v + dt * f(v + dt / 2 * f(v, a, t), a_mid, t + dt / 2)
        a = a * np.exp(-dt / p["tau_a"])
        v = v_new
        if v >= p["v_peak"]:
            v, a = p["v_r"], a + p["b"]
            fired.append(t)
        vs.append(v)
    assert len(fired) >= 3
    np.testing.assert_allclose(spikes.t, fired, atol=1e-9)
    np.testing.assert_allclose(mon.values[:, 0], vs, rtol=0, atol=1e-9)


def test_clock_driven_synaptic_equation_is_integrated_every_step():
    """An equation for the weight itself is integrated at every step for every synapse
    (the rule becomes clock-driven), exactly: the weights relax to w_rest."""
    rule = dsl.Rule(
        equations="dw/dt = (w_rest - w)/tau_w : 1",
        parameters=dict(w_rest=0.2, tau_w=40.0),
    )
    assert rule.clock_driven
    net = px.Network(dt=0.5)
    a = net.add(px.Population(px.SpikeTimesInput([], []), 3))
    b = net.add(px.Population(px.SpikeTimesInput([], []), 2))
    w0 = np.array([[0.0, 1.0], [0.5, 0.3], [0.9, 0.1]])
    proj = net.add(px.Projection(a, b, px.all_to_all(3, 2, format="coo"), rule, weights=w0))
    net.run(50.0, progress=False)
    expected = 0.2 + (w0 - 0.2) * np.exp(-50.0 / 40.0)
    np.testing.assert_allclose(net.weights(proj), expected, rtol=0, atol=1e-12)


# -- parameters are leaves: grad, vmap, set_param ---------------------------------------

GRAD_STEPS = 300


@pytest.fixture(scope="module")
def grad_net():
    rng = np.random.default_rng(5)
    pre = rng.random((GRAD_STEPS, 5)) < 0.05
    post = rng.random((GRAD_STEPS, 3)) < 0.05
    net = px.Network(dt=0.5)
    a = net.add(px.Population(px.SpikeTimesInput(*_times(pre)), 5))
    b = net.add(px.Population(px.SpikeTimesInput(*_times(post)), 3))
    params = dict(PAIR_P, w_min=-10.0, w_max=10.0)
    rule = dsl.Rule(**PAIR, parameters=params)
    net.add(px.Projection(a, b, px.all_to_all(5, 3), rule, weights=0.5))
    net.build()
    return net


def _final_weights(net, tau_plus, a_plus):
    spec = eqx.tree_at(
        lambda s: (s.projections[0].rule.tau_plus, s.projections[0].rule.a_plus),
        net.spec,
        (tau_plus, a_plus),
    )
    final, _, _ = px.core.run(spec, net.state, jax.random.PRNGKey(0), GRAD_STEPS)
    return final.projections[0].w


def test_grad_and_vmap_reach_dsl_parameters(grad_net):
    def loss(tau_plus, a_plus):
        return jnp.sum(_final_weights(grad_net, tau_plus, a_plus) ** 2)

    tau, amp = jnp.asarray(16.8), jnp.asarray(0.02)
    grads = jax.jit(jax.grad(loss, argnums=(0, 1)))(tau, amp)
    value = jax.jit(loss)
    h = 1e-5
    fd_tau = (value(tau + h, amp) - value(tau - h, amp)) / (2 * h)
    fd_amp = (value(tau, amp + h) - value(tau, amp - h)) / (2 * h)
    assert np.all(np.isfinite(grads)) and abs(float(grads[0])) > 1e-6
    np.testing.assert_allclose(grads[0], fd_tau, rtol=1e-6)
    np.testing.assert_allclose(grads[1], fd_amp, rtol=1e-6)
    amps = jnp.array([0.0, 0.01, 0.03])
    batched = jax.jit(jax.vmap(lambda a: _final_weights(grad_net, tau, a)))(amps)
    assert np.all(np.asarray(batched[0]) <= 0.5)  # a_plus = 0: depression only
    assert np.all(np.diff(np.asarray(batched), axis=0) >= 0)  # more potentiation, more w
    np.testing.assert_allclose(jnp.sum(batched[1] ** 2), value(tau, amps[1]), rtol=1e-12)


def test_set_param_reaches_a_dsl_parameter():
    net = px.Network(dt=0.1)
    a = net.add(px.Population(px.SpikeTimesInput([0.9], [0]), 1))
    b = net.add(px.Population(px.SpikeTimesInput([6.0], [0]), 1))
    proj = net.add(px.Projection(a, b, px.one_to_one(1), pair_dsl(), weights=0.5))
    net.set_param(proj, "a_plus", 0.05)
    net.run(10.0, progress=False)
    expected = 0.5 + 0.05 * np.exp(-5.0 / PAIR_P["tau_plus"])
    assert net.weights(proj)[0, 0] == pytest.approx(expected, rel=1e-12)


def test_rule_reads_the_postsynaptic_membrane_potential():
    """post.v is read after the neuron's step: a voltage-gated depression."""
    rule = dsl.Rule(
        on_pre="w = w + eta * int(post.v > theta)", parameters=dict(eta=0.1, theta=-69.0)
    )
    assert rule.program.observed == (("v", "post.v"),)
    net = px.Network(dt=0.1)
    a = net.add(px.Population(px.SpikeTimesInput([0.0, 5.0], [0, 0]), 1))
    b = net.add(px.Population(px.LIF(i_e=200.0), 1))
    v = net.add(px.Monitor(b, "v"))
    proj = net.add(px.Projection(a, b, px.one_to_one(1), rule, weights=0.0))
    net.run(8.0, progress=False)
    # arrivals at steps 1 and 51, seen with v after those steps
    expected = sum(0.1 * (v.values[k, 0] > -69.0) for k in (1, 51))
    assert net.weights(proj)[0, 0] == pytest.approx(expected)
    assert expected == pytest.approx(0.1)  # v crosses -69 mV between the two arrivals


# -- exact integration beyond the triangular case, at the level of one step -------------


def _one_step(neuron, values, dt=0.1):
    state = neuron.init(1, dt)._replace(**{k: jnp.array([v]) for k, v in values.items()})
    inputs = {r: jnp.zeros(1) for r in neuron.receptors}
    new, _ = neuron.step(state, inputs, None, dt)
    return {k: float(getattr(new, k)[0]) for k in values}


def test_exact_integration_of_equal_rates_cycles_and_ramps():
    """Equal time constants (t·exp(−t/τ), via the matrix exponential), a rotation (a
    cycle), and integrators (a ramp; a decaying drive), against their closed forms."""
    dt = 0.7
    equal = dsl.Neuron(
        equations="dv/dt = -v/tau + i/c : mV\ndi/dt = -i/tau : pA",
        parameters=dict(tau=5.0, c=2.0),
    )
    got = _one_step(equal, {"v": 1.5, "i": 3.0}, dt)
    decay = np.exp(-dt / 5.0)
    assert got["v"] == pytest.approx(1.5 * decay + 3.0 / 2.0 * dt * decay, rel=1e-13)
    assert got["i"] == pytest.approx(3.0 * decay, rel=1e-13)
    rotation = dsl.Neuron(
        equations="dx/dt = -omega*y : 1\ndy/dt = omega*x : 1", parameters=dict(omega=0.3)
    )
    got = _one_step(rotation, {"x": 1.0, "y": 0.5}, dt)
    c, s = np.cos(0.3 * dt), np.sin(0.3 * dt)
    assert got["x"] == pytest.approx(c - 0.5 * s, rel=1e-13)
    assert got["y"] == pytest.approx(s + 0.5 * c, rel=1e-13)
    integrators = dsl.Neuron(
        equations="dq/dt = i/c : 1\ndi/dt = -i/tau : 1\ndr/dt = k : 1",
        parameters=dict(c=2.0, tau=4.0, k=0.25),
    )
    got = _one_step(integrators, {"q": 1.0, "i": 3.0, "r": -1.0}, dt)
    assert got["q"] == pytest.approx(1.0 + 3.0 * 4.0 / 2.0 * (1 - np.exp(-dt / 4.0)), rel=1e-13)
    assert got["r"] == pytest.approx(-1.0 + 0.25 * dt, rel=1e-13)


def test_surrogate_spikes_and_gradients_equal_the_builtin_lif():
    """With a surrogate, one step of the DSL LIF emits the same float spikes as px.LIF,
    and the gradient of the spikes with respect to the input current is the same."""
    surrogate = px.surrogate.fast_sigmoid(1.0)
    models = (lif_dsl(surrogate=surrogate), px.LIF(**LIF_P, surrogate=surrogate))
    v = jnp.array([-70.0, -55.4, -55.2, -60.0])
    refractory = jnp.array([0, 0, 0, 3], jnp.int32)

    def spikes(model, drive):
        state = model.init(4, 0.1)._replace(v=v, refractory=refractory)
        _, s = model.step(state, {"exc": drive, "inh": jnp.zeros(4)}, None, 0.1)
        return s

    drive = jnp.array([0.0, 200.0, 900.0, 900.0])
    out = [spikes(m, drive) for m in models]
    assert out[0].dtype == out[1].dtype and out[0].dtype != jnp.bool_
    np.testing.assert_array_equal(out[0], out[1])
    assert float(out[0].sum()) >= 1.0  # at least one spike, refractory neuron silent
    grads = [
        jax.grad(lambda d, m=m: jnp.sum(spikes(m, d) * jnp.arange(4.0)))(drive) for m in models
    ]
    assert np.any(np.abs(np.asarray(grads[1])) > 0)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-15)


def test_the_ten_line_example_of_the_docs():
    """docs/dsl.md's first example, run as written: an isolated pair changes w by
    eta·(w_max − w)·exp(−Δt/tau_plus) (pre first) or −eta·alpha·w·exp(Δt/tau_minus)."""
    from pathlib import Path

    page = (Path(__file__).parents[1] / "docs" / "dsl.md").read_text()
    block = page.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) <= 12
    namespace: dict = {}
    exec(compile(block, "docs/dsl.md", "exec"), namespace)  # our own page, not user input
    rule = namespace["soft_stdp"]
    w_pot, w_dep = run_pairs([10.0 - DT, 30.0 - DT], [20.0, 20.0], [rule], w0=0.5, duration=35.0)[0]
    assert w_pot - 0.5 == pytest.approx(0.01 * 0.5 * np.exp(-10.0 / 17.0), rel=1e-12)
    assert w_dep - 0.5 == pytest.approx(-0.01 * 1.05 * 0.5 * np.exp(-10.0 / 34.0), rel=1e-12)


def test_pi_and_e_are_numbers_unless_the_model_defines_them():
    rule = dsl.Rule(
        equations="dx/dt = -x/e : 1", on_pre="x += 1", on_post="w += pi*x", parameters=dict(e=4.0)
    )
    state = rule.decay({"x": jnp.ones(2)}, 1.0)  # e is the parameter, 4 ms
    np.testing.assert_allclose(state["x"], np.exp(-1.0 / 4.0), rtol=1e-15)
    w = rule.on_post(state, jnp.zeros(2), jnp.arange(2), jnp.zeros(2, int))
    np.testing.assert_allclose(w, np.pi * np.exp(-1.0 / 4.0), rtol=1e-15)
