"""Self-checks of the NumPy plasticity-rule reference on tiny hand-built spike trains.

Every expected value is computed in the test itself from the rules' formulas (closed
forms of the traces at the spike times, or the NEST weight-update formulas applied to
hand-listed pairings), never by the reference, so these tests check
``tests/reference/rules_numpy.py`` independently of plastix.
"""

import math

import numpy as np
import pytest
from reference.rules_numpy import simulate_rule

DT = 0.1  # ms


def _trains(n_steps: int, pre_steps, post_steps) -> tuple[np.ndarray, np.ndarray]:
    """One pre and one post neuron spiking at the given steps."""
    pre = np.zeros((n_steps, 1), dtype=bool)
    post = np.zeros((n_steps, 1), dtype=bool)
    pre[list(pre_steps), 0] = True
    post[list(post_steps), 0] = True
    return pre, post


def _run1(rule, params, n_steps, pre_steps, post_steps, w0, mask=None) -> np.ndarray:
    """One synapse 0 -> 0; returns its weight after every step, shape [T]."""
    pre, post = _trains(n_steps, pre_steps, post_steps)
    out = simulate_rule(
        rule, params, pre, post, np.array([0]), np.array([0]), np.array([w0]), DT, mask=mask
    )
    assert out.shape == (n_steps, 1)
    assert out.dtype == np.float64
    return out[:, 0]


def _trajectory(n_steps: int, w0: float, events: list[tuple[int, object]]) -> np.ndarray:
    """Expected weights after every step: ``events`` are (step, w -> new w) in order."""
    out = np.empty(n_steps)
    w = w0
    i = 0
    for k in range(n_steps):
        while i < len(events) and events[i][0] == k:
            w = events[i][1](w)
            i += 1
        out[k] = w
    assert i == len(events)
    return out


def _e(n_steps: int, tau: float) -> float:
    """Decay of a trace over ``n_steps`` steps."""
    return math.exp(-n_steps * DT / tau)


# --------------------------------------------------------------------------------------
# triplet
# --------------------------------------------------------------------------------------

TRIPLET = {
    "tau_plus": 16.8,
    "tau_minus": 33.7,
    "tau_x": 101.0,
    "tau_y": 125.0,
    "a2_plus": 5e-3,
    "a3_plus": 6.2e-3,
    "a2_minus": 7e-3,
    "a3_minus": 2.3e-4,
    "w_min": 0.0,
    "w_max": 1.0,
}


def _tp(**overrides) -> dict:
    return {**TRIPLET, **overrides}


def test_triplet_pre_then_post():
    p = _tp()
    w = _run1("triplet", p, 8, [2], [5], 0.5)
    dw = p["a2_plus"] * _e(3, p["tau_plus"])  # r1 after 3 steps, o2 = 0
    expected = np.array([0.5] * 5 + [0.5 + dw] * 3)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)


def test_triplet_post_pre_post():
    p = _tp()
    w0 = 0.5
    # step 4 pre: o1 = e(3, tau_minus), r2 = 0 (no earlier pre) -> pair term only.
    w1 = w0 - _e(3, p["tau_minus"]) * p["a2_minus"]
    # step 8 post: r1 = e(4, tau_plus), o2 = e(7, tau_y) (post at step 1, read before
    # its own increment) -> triplet term.
    w2 = w1 + _e(4, p["tau_plus"]) * (p["a2_plus"] + p["a3_plus"] * _e(7, p["tau_y"]))
    w = _run1("triplet", p, 10, [4], [1, 8], w0)
    expected = np.array([w0] * 4 + [w1] * 4 + [w2] * 2)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)


def test_triplet_pre_post_pre():
    p = _tp()
    w0 = 0.5
    w1 = w0 + p["a2_plus"] * _e(2, p["tau_plus"])  # post at 3, pre at 1
    # pre at 6: o1 = e(3, tau_minus), r2 = e(5, tau_x) (before its own increment).
    w2 = w1 - _e(3, p["tau_minus"]) * (p["a2_minus"] + p["a3_minus"] * _e(5, p["tau_x"]))
    w = _run1("triplet", p, 8, [1, 6], [3], w0)
    expected = np.array([w0] * 3 + [w1] * 3 + [w2] * 2)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)


def test_triplet_same_step_is_pre_before_post():
    p = _tp()
    w0 = 0.5
    # step 2: pre and post together -> no depression (o1 = 0), full pair potentiation.
    w1 = w0 + p["a2_plus"]
    # step 5: pre and post together again (all-to-all).
    # on_pre: o1 = e(3, tau_minus), r2 = e(3, tau_x) (this step's arrival not yet in).
    w2 = w1 - _e(3, p["tau_minus"]) * (p["a2_minus"] + p["a3_minus"] * _e(3, p["tau_x"]))
    # on_post: r1 = e(3, tau_plus) + 1, o2 = e(3, tau_y) (this step's post not yet in).
    r1 = _e(3, p["tau_plus"]) + 1.0
    w3 = w2 + r1 * (p["a2_plus"] + p["a3_plus"] * _e(3, p["tau_y"]))
    w = _run1("triplet", p, 7, [2, 5], [2, 5], w0)
    expected = np.array([w0] * 2 + [w1] * 3 + [w3] * 2)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("nearest", [False, True])
def test_triplet_nearest_vs_all_to_all(nearest):
    p = _tp(nearest=nearest)
    tp, ty = p["tau_plus"], p["tau_y"]
    w0 = 0.2
    # pre at 1 and 3; posts at 6, 7, 9 (no depression: every pre precedes every post).
    if nearest:
        r1 = {6: _e(3, tp), 7: _e(4, tp), 9: _e(6, tp)}
        o2 = {6: 0.0, 7: _e(1, ty), 9: _e(2, ty)}
    else:
        r1 = {6: _e(5, tp) + _e(3, tp), 7: _e(6, tp) + _e(4, tp), 9: _e(8, tp) + _e(6, tp)}
        o2 = {6: 0.0, 7: _e(1, ty), 9: _e(3, ty) + _e(2, ty)}
    w_end = w0 + sum(r1[k] * (p["a2_plus"] + p["a3_plus"] * o2[k]) for k in (6, 7, 9))
    w = _run1("triplet", p, 10, [1, 3], [6, 7, 9], w0)
    assert w[-1] == pytest.approx(w_end, rel=0, abs=1e-15)


def test_triplet_nearest_depression():
    # posts at 1 and 2, pre at 5: o1 = e(3) (nearest) vs e(4) + e(3) (all-to-all).
    tm = TRIPLET["tau_minus"]
    for nearest, o1 in ((True, _e(3, tm)), (False, _e(4, tm) + _e(3, tm))):
        w = _run1("triplet", _tp(nearest=nearest), 6, [5], [1, 2], 0.5)
        assert w[-1] == pytest.approx(0.5 - o1 * TRIPLET["a2_minus"], rel=0, abs=1e-15)


def test_triplet_clipping():
    p = _tp(a2_plus=0.3, a2_minus=5.0, w_min=0.1, w_max=1.0)
    # step 1: pre+post -> 0.9 + 0.3 clipped to 1.0; step 2: pre, depression > 1 -> w_min.
    w = _run1("triplet", p, 4, [1, 2], [1], 0.9)
    np.testing.assert_array_equal(w, [0.9, 1.0, 0.1, 0.1])


# --------------------------------------------------------------------------------------
# vogels
# --------------------------------------------------------------------------------------

VOGELS = {"tau": 20.0, "eta": 0.01, "rho0": 3.0, "w_min": 0.0, "w_max": 1.0}


def test_vogels_sequence():
    p = dict(VOGELS)
    alpha = 2.0 * 3.0 * 20.0 / 1000.0  # 2 * rho0[Hz] * tau[ms] / 1000 = 0.12
    w0 = 0.5
    w1 = w0 - 0.01 * alpha  # pre at 2, y = 0
    w2 = w1 + 0.01 * _e(3, 20.0)  # post at 5, x = e(3)
    w3 = w2 + 0.01 * (_e(2, 20.0) - alpha)  # pre at 7, y = e(2)
    # post at 8 with a same-step pre at 8: on_pre y = e(3); then x = e(6) + e(1) + 1.
    w4 = w3 + 0.01 * (_e(3, 20.0) - alpha)
    w5 = w4 + 0.01 * (_e(6, 20.0) + _e(1, 20.0) + 1.0)
    w = _run1("vogels", p, 10, [2, 7, 8], [5, 8], w0)
    expected = np.array([w0] * 2 + [w1] * 3 + [w2] * 2 + [w3] + [w5] * 2)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)


def test_vogels_clipping():
    p = {**VOGELS, "eta": 1.0, "w_min": 0.05, "w_max": 0.8}
    # pre at 1 (no post yet): 0.1 - 0.12 -> w_min; post at 2: + e(1) -> w_max.
    w = _run1("vogels", p, 3, [1], [2], 0.1)
    np.testing.assert_array_equal(w, [0.1, 0.05, 0.8])


# --------------------------------------------------------------------------------------
# exp_stdp
# --------------------------------------------------------------------------------------

EXP = {
    "tau_plus": 20.0,
    "tau_minus": 15.0,
    "eta": 0.1,
    "a_plus": 1.0,
    "a_minus": 0.5,
    "beta": 1.0,
    "x_target": 0.2,
    "w_max": 1.0,
    "eps": 1e-3,
}


def test_exp_stdp_sequence():
    p = dict(EXP)
    w0 = 0.4
    # pre at 2: y = 0 -> no change. post at 5: x = e(3, tau_plus).
    x = _e(3, 20.0)
    w1 = w0 + 0.1 * 1.0 * (x * math.exp(-w0) - 0.2 * math.exp(-(1.0 - w0)))
    # pre at 7: y = e(2, tau_minus).
    w2 = w1 - 0.1 * 0.5 * _e(2, 15.0) * math.exp(-w1)
    w = _run1("exp_stdp", p, 9, [2, 7], [5], w0)
    expected = np.array([w0] * 5 + [w1] * 2 + [w2] * 2)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("nearest", [False, True])
def test_exp_stdp_nearest(nearest):
    p = {**EXP, "nearest": nearest}
    w0 = 0.4
    # pres at 1 and 3, post at 4.
    x = _e(1, 20.0) if nearest else _e(3, 20.0) + _e(1, 20.0)
    w1 = w0 + 0.1 * (x * math.exp(-w0) - 0.2 * math.exp(-(1.0 - w0)))
    w = _run1("exp_stdp", p, 5, [1, 3], [4], w0)
    assert w[-1] == pytest.approx(w1, rel=0, abs=1e-15)


def test_exp_stdp_clipping():
    p = {**EXP, "eta": 10.0}
    # post alone (x = 0): the x_target term pushes w down, clipped at eps.
    w = _run1("exp_stdp", p, 3, [], [1], 0.01)
    np.testing.assert_array_equal(w, [0.01, 1e-3, 1e-3])
    # pre+post at 1: big potentiation, clipped at w_max - eps.
    w = _run1("exp_stdp", {**p, "x_target": 0.0}, 2, [1], [1], 0.5)
    np.testing.assert_array_equal(w, [0.5, 1.0 - 1e-3])


def test_exp_stdp_mask():
    p = dict(EXP)
    pre, post = _trains(8, [1, 6], [4])
    w0 = np.array([0.4, 0.7, 0.3])
    idx = np.zeros(3, dtype=int)
    out = simulate_rule("exp_stdp", p, pre, post, idx, idx, w0, DT, mask=np.array([1, 0, 1]))
    np.testing.assert_array_equal(out[:, 1], np.zeros(8))  # held at exactly 0
    for s, ws in ((0, 0.4), (2, 0.3)):
        x = _e(3, 20.0)
        w1 = ws + 0.1 * (x * math.exp(-ws) - 0.2 * math.exp(-(1.0 - ws)))
        w2 = w1 - 0.1 * 0.5 * _e(2, 15.0) * math.exp(-w1)
        np.testing.assert_allclose(out[:, s], [ws] * 4 + [w1] * 2 + [w2] * 2, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(w0, [0.4, 0.7, 0.3])  # input not modified


# --------------------------------------------------------------------------------------
# NEST nearest-neighbour rules
# --------------------------------------------------------------------------------------

NEST = {
    "tau_plus": 20.0,
    "tau_minus": 30.0,
    "lambda_": 0.05,
    "alpha": 1.1,
    "mu_plus": 0.0,
    "mu_minus": 0.0,
    "w_max": 1.0,
}
NN_RULES = ("nn_symm", "nn_pre_centered", "nn_restr")


def _fac(K, p=NEST):
    """NEST facilitation with kernel K, as a function of w."""

    def f(w):
        wm = p["w_max"]
        return wm * min(1.0, w / wm + p["lambda_"] * (1.0 - w / wm) ** p["mu_plus"] * K)

    return f


def _dep(K, p=NEST):
    """NEST depression with kernel K, as a function of w."""

    def f(w):
        wm = p["w_max"]
        return wm * max(0.0, w / wm - p["alpha"] * p["lambda_"] * (w / wm) ** p["mu_minus"] * K)

    return f


def _ep(n):
    return _e(n, NEST["tau_plus"])


def _em(n):
    return _e(n, NEST["tau_minus"])


# Train A: pre at 1, 3, 9, 10; post at 5, 7.
TRAIN_A = (12, [1, 3, 9, 10], [5, 7])
EVENTS_A = {
    # Every post pairs with the latest pre (3), every pre with the latest post (7).
    "nn_symm": [(5, _fac(_ep(2))), (7, _fac(_ep(4))), (9, _dep(_em(2))), (10, _dep(_em(3)))],
    # Post 5 sums the pres 1 and 3; post 7 has no pre since post 5.
    "nn_pre_centered": [(5, _fac(_ep(4) + _ep(2))), (9, _dep(_em(2))), (10, _dep(_em(3)))],
    # Only mutual nearest neighbours: (3, 5) and (7, 9).
    "nn_restr": [(5, _fac(_ep(2))), (9, _dep(_em(2)))],
}

# Train B: post at 2; pre and post at 5; pre at 8 (same-step pairs, depression first).
TRAIN_B = (10, [5, 8], [2, 5])
_EVENTS_B = [(5, _dep(_em(3))), (5, _fac(1.0)), (8, _dep(_em(3)))]
EVENTS_B = dict.fromkeys(NN_RULES, _EVENTS_B)

# Train C: pre at 2; pre and post at 3; post at 7.
TRAIN_C = (9, [2, 3], [3, 7])
EVENTS_C = {
    "nn_symm": [(3, _fac(1.0)), (7, _fac(_ep(4)))],
    # Post 3 sums pres 2 and 3; post 7 has no pre after post 3's step.
    "nn_pre_centered": [(3, _fac(_ep(1) + 1.0))],
    # Post 7 is not the first post since pre 3 (post 3 came after it in the same step).
    "nn_restr": [(3, _fac(1.0))],
}

# Train D: pre and post at step 0, pre at 1, post at 4.
TRAIN_D = (6, [0, 1], [0, 4])
# Post 0 pairs with the same-step pre 0; pre 1 pairs with post 0 (for nn_restr too: pre 0
# came before post 0); post 4 pairs with pre 1 only (nn_pre_centered: pres after step 0).
EVENTS_D = dict.fromkeys(NN_RULES, [(0, _fac(1.0)), (1, _dep(_em(1))), (4, _fac(_ep(3)))])
# Train E: the first post of the run sums every pre since the start, step 0 included.
TRAIN_E = (6, [0, 2], [4])
EVENTS_E = {
    "nn_symm": [(4, _fac(_ep(2)))],
    "nn_pre_centered": [(4, _fac(_ep(4) + _ep(2)))],
    "nn_restr": [(4, _fac(_ep(2)))],
}


@pytest.mark.parametrize("rule", NN_RULES)
@pytest.mark.parametrize(
    "train,events",
    [
        (TRAIN_A, EVENTS_A),
        (TRAIN_B, EVENTS_B),
        (TRAIN_C, EVENTS_C),
        (TRAIN_D, EVENTS_D),
        (TRAIN_E, EVENTS_E),
    ],
)
def test_nn_variants(rule, train, events):
    n_steps, pre_steps, post_steps = train
    w0 = 0.5
    w = _run1(rule, NEST, n_steps, pre_steps, post_steps, w0)
    expected = _trajectory(n_steps, w0, events[rule])
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)


def test_nn_variants_differ_on_train_a():
    """The three variants give pairwise different weight trajectories on train A."""
    runs = [_run1(rule, NEST, *TRAIN_A, 0.5) for rule in NN_RULES]
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.max(np.abs(runs[i] - runs[j])) > 1e-4


@pytest.mark.parametrize("rule", NN_RULES)
def test_nn_weight_dependent_order(rule):
    """mu != 0: on train B the same-step depression must come before the facilitation."""
    p = {**NEST, "mu_plus": 1.0, "mu_minus": 0.4, "lambda_": 0.3}
    events = [(5, _dep(_em(3), p)), (5, _fac(1.0, p)), (8, _dep(_em(3), p))]
    w = _run1(rule, p, *TRAIN_B, 0.5)
    np.testing.assert_allclose(w, _trajectory(TRAIN_B[0], 0.5, events), rtol=0, atol=1e-15)
    # The other order gives a different weight (so the test can tell).
    swapped = _dep(_em(3), p)(_fac(1.0, p)(0.5))
    assert abs(swapped - w[5]) > 1e-6


@pytest.mark.parametrize("rule", NN_RULES)
def test_nn_bounds(rule):
    p = {**NEST, "lambda_": 2.0}
    # pre+post at 1 -> facilitation past w_max -> w_max; pre at 3 -> depression below 0 -> 0.
    w = _run1(rule, p, 5, [1, 3], [1], 0.5)
    np.testing.assert_array_equal(w, [0.5, 1.0, 1.0, 0.0, 0.0])


def test_nn_symm_multapses_and_indices():
    # 2 pre neurons, 2 post neurons; synapses 0 and 1 are a multapse (0 -> 0).
    pre = np.zeros((8, 2), dtype=bool)
    post = np.zeros((8, 2), dtype=bool)
    pre[2, 0] = True
    pre[4, 1] = True
    post[6, 0] = True
    post[3, 1] = True
    pre_index = np.array([0, 0, 1, 0])
    post_index = np.array([0, 0, 0, 1])
    w0 = np.array([0.3, 0.6, 0.4, 0.5])
    out = simulate_rule("nn_symm", NEST, pre, post, pre_index, post_index, w0, DT)
    assert out.shape == (8, 4)
    expected = [
        _trajectory(8, 0.3, [(6, _fac(_ep(4)))]),  # post0 at 6 with pre0 at 2
        _trajectory(8, 0.6, [(6, _fac(_ep(4)))]),  # the multapse twin, independent
        _trajectory(8, 0.4, [(6, _fac(_ep(2)))]),  # post0 at 6 with pre1 at 4
        _trajectory(8, 0.5, [(3, _fac(_ep(1)))]),  # post1 at 3 with pre0 at 2
    ]
    np.testing.assert_allclose(out, np.stack(expected, axis=1), rtol=0, atol=1e-15)


# --------------------------------------------------------------------------------------
# Generic checks
# --------------------------------------------------------------------------------------

ALL = {
    "triplet": TRIPLET,
    "vogels": VOGELS,
    "exp_stdp": EXP,
    "nn_symm": NEST,
    "nn_pre_centered": NEST,
    "nn_restr": NEST,
}


@pytest.mark.parametrize("rule", sorted(ALL))
def test_mask_holds_zero(rule):
    pre, post = _trains(12, [1, 3, 6, 9], [2, 5, 6, 10])
    idx = np.zeros(2, dtype=int)
    w0 = np.array([0.5, 0.5])
    out = simulate_rule(rule, ALL[rule], pre, post, idx, idx, w0, DT, mask=np.array([0, 1]))
    np.testing.assert_array_equal(out[:, 0], np.zeros(12))
    assert out[-1, 1] != 0.5  # the unmasked synapse did learn


def test_bad_params():
    pre, post = _trains(3, [1], [2])
    i = np.array([0])
    with pytest.raises(ValueError, match="missing"):
        simulate_rule("vogels", {"tau": 20.0}, pre, post, i, i, np.array([0.5]), DT)
    with pytest.raises(ValueError, match="unknown"):
        simulate_rule("vogels", {**VOGELS, "taux": 1.0}, pre, post, i, i, np.array([0.5]), DT)
    with pytest.raises(ValueError, match="unknown rule"):
        simulate_rule("stdp_xyz", VOGELS, pre, post, i, i, np.array([0.5]), DT)
