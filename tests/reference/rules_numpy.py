"""Independent NumPy float64 reference for plastix's plasticity rules.

Written only from the rule equations (never from the library's kernels), so that the
library can be checked against it. Clarity is preferred over speed: everything is
float64 and the work is done in explicit Python loops over steps and synapses.

One step ``k`` (time ``t_k = k*dt``) runs, in order:

1. Every trace decays by ``exp(-dt/tau)``.
2. ``on_pre`` on every synapse whose presynaptic neuron has an arrival in step ``k``
   (reading post traces from *before* this step's post spikes).
3. This step's arrivals enter the pre traces.
4. ``on_post`` on every synapse whose postsynaptic neuron spikes in step ``k`` (reading
   pre traces that *include* this step's arrivals: a same-step arrival and post spike are
   a pre->post pair with ``t_post - t_pre = 0``).
5. This step's post spikes enter the post traces.

The weights after the step are recorded.

Traces are kept per synapse (a synapse's pre traces are driven by its own pre neuron's
arrivals, its post traces by its own post neuron's spikes). The NEST nearest-neighbour
rules (``nn_symm``, ``nn_pre_centered``, ``nn_restr``) use no traces at all: each synapse
keeps its own lists of past pre-arrival and post-spike steps, and the pairings are
computed directly from their spike-time definitions.

If ``mask`` is given (0/1 per synapse), the synapses with mask 0 are held at exactly 0 at
all times (including the recorded weights of every step) and are never updated; the
other synapses behave as without a mask.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["simulate_rule", "RULES"]

_PARAM_KEYS: dict[str, tuple[str, ...]] = {
    "triplet": (
        "tau_plus",
        "tau_minus",
        "tau_x",
        "tau_y",
        "a2_plus",
        "a3_plus",
        "a2_minus",
        "a3_minus",
        "w_min",
        "w_max",
    ),
    "vogels": ("tau", "eta", "rho0", "w_min", "w_max"),
    "exp_stdp": (
        "tau_plus",
        "tau_minus",
        "eta",
        "a_plus",
        "a_minus",
        "beta",
        "x_target",
        "w_max",
        "eps",
    ),
    "nn_symm": ("tau_plus", "tau_minus", "lambda_", "alpha", "mu_plus", "mu_minus", "w_max"),
    "nn_pre_centered": (
        "tau_plus",
        "tau_minus",
        "lambda_",
        "alpha",
        "mu_plus",
        "mu_minus",
        "w_max",
    ),
    "nn_restr": ("tau_plus", "tau_minus", "lambda_", "alpha", "mu_plus", "mu_minus", "w_max"),
}
# Optional keys (with defaults) per rule.
_OPTIONAL_KEYS: dict[str, dict[str, object]] = {
    "triplet": {"nearest": False},
    "exp_stdp": {"nearest": False},
}
RULES = tuple(_PARAM_KEYS)
_NEST_RULES = ("nn_symm", "nn_pre_centered", "nn_restr")


def _check_params(rule: str, params: dict) -> dict:
    """Validate ``params`` for ``rule``; return a dict with floats and defaults filled in."""
    if rule not in _PARAM_KEYS:
        raise ValueError(f"unknown rule {rule!r}; expected one of {RULES}")
    required = _PARAM_KEYS[rule]
    optional = _OPTIONAL_KEYS.get(rule, {})
    missing = [key for key in required if key not in params]
    if missing:
        raise ValueError(f"{rule}: missing params {missing}")
    unknown = [key for key in params if key not in required and key not in optional]
    if unknown:
        raise ValueError(f"{rule}: unknown params {unknown}")
    p: dict = {key: float(params[key]) for key in required}
    for key, default in optional.items():
        p[key] = bool(params.get(key, default))
    for key in ("tau", "tau_plus", "tau_minus", "tau_x", "tau_y"):
        if key in p and not p[key] > 0.0:
            raise ValueError(f"{rule}: {key} must be > 0, got {p[key]}")
    return p


def _clip(w: float, lo: float, hi: float) -> float:
    return min(max(w, lo), hi)


def _bump(trace: float, nearest: bool) -> float:
    """A spike enters a trace: ``+1`` (all-to-all) or set to ``1`` (nearest)."""
    return 1.0 if nearest else trace + 1.0


# --------------------------------------------------------------------------------------
# Trace-based rules
# --------------------------------------------------------------------------------------


def _run_triplet(p, pre_spikes, post_spikes, pre_index, post_index, w, active, dt, out):
    n_steps = pre_spikes.shape[0]
    n_syn = w.shape[0]
    nearest = p["nearest"]
    d_r1 = math.exp(-dt / p["tau_plus"])
    d_r2 = math.exp(-dt / p["tau_x"])
    d_o1 = math.exp(-dt / p["tau_minus"])
    d_o2 = math.exp(-dt / p["tau_y"])
    r1 = [0.0] * n_syn
    r2 = [0.0] * n_syn
    o1 = [0.0] * n_syn
    o2 = [0.0] * n_syn
    for k in range(n_steps):
        # 1. decay
        for s in range(n_syn):
            r1[s] *= d_r1
            r2[s] *= d_r2
            o1[s] *= d_o1
            o2[s] *= d_o2
        # 2. on_pre (o1 before this step's post spikes, r2 before its own increment)
        for s in range(n_syn):
            if pre_spikes[k, pre_index[s]] and active[s]:
                dw = -o1[s] * (p["a2_minus"] + p["a3_minus"] * r2[s])
                w[s] = _clip(w[s] + dw, p["w_min"], p["w_max"])
        # 3. arrivals enter the pre traces
        for s in range(n_syn):
            if pre_spikes[k, pre_index[s]]:
                r1[s] = _bump(r1[s], nearest)
                r2[s] = _bump(r2[s], nearest)
        # 4. on_post (r1 includes this step's arrivals, o2 before its own increment)
        for s in range(n_syn):
            if post_spikes[k, post_index[s]] and active[s]:
                dw = r1[s] * (p["a2_plus"] + p["a3_plus"] * o2[s])
                w[s] = _clip(w[s] + dw, p["w_min"], p["w_max"])
        # 5. post spikes enter the post traces
        for s in range(n_syn):
            if post_spikes[k, post_index[s]]:
                o1[s] = _bump(o1[s], nearest)
                o2[s] = _bump(o2[s], nearest)
        out[k] = w


def _run_vogels(p, pre_spikes, post_spikes, pre_index, post_index, w, active, dt, out):
    n_steps = pre_spikes.shape[0]
    n_syn = w.shape[0]
    decay = math.exp(-dt / p["tau"])
    alpha = 2.0 * p["rho0"] * p["tau"] / 1000.0  # rho0 in Hz, tau in ms
    x = [0.0] * n_syn
    y = [0.0] * n_syn
    for k in range(n_steps):
        for s in range(n_syn):
            x[s] *= decay
            y[s] *= decay
        for s in range(n_syn):
            if pre_spikes[k, pre_index[s]] and active[s]:
                w[s] = _clip(w[s] + p["eta"] * (y[s] - alpha), p["w_min"], p["w_max"])
        for s in range(n_syn):
            if pre_spikes[k, pre_index[s]]:
                x[s] += 1.0
        for s in range(n_syn):
            if post_spikes[k, post_index[s]] and active[s]:
                w[s] = _clip(w[s] + p["eta"] * x[s], p["w_min"], p["w_max"])
        for s in range(n_syn):
            if post_spikes[k, post_index[s]]:
                y[s] += 1.0
        out[k] = w


def _run_exp_stdp(p, pre_spikes, post_spikes, pre_index, post_index, w, active, dt, out):
    n_steps = pre_spikes.shape[0]
    n_syn = w.shape[0]
    nearest = p["nearest"]
    d_x = math.exp(-dt / p["tau_plus"])
    d_y = math.exp(-dt / p["tau_minus"])
    lo = p["eps"]
    hi = p["w_max"] - p["eps"]
    eta, beta, w_max = p["eta"], p["beta"], p["w_max"]
    x = [0.0] * n_syn
    y = [0.0] * n_syn
    for k in range(n_steps):
        for s in range(n_syn):
            x[s] *= d_x
            y[s] *= d_y
        for s in range(n_syn):
            if pre_spikes[k, pre_index[s]] and active[s]:
                dw = -eta * p["a_minus"] * y[s] * math.exp(-beta * w[s])
                w[s] = _clip(w[s] + dw, lo, hi)
        for s in range(n_syn):
            if pre_spikes[k, pre_index[s]]:
                x[s] = _bump(x[s], nearest)
        for s in range(n_syn):
            if post_spikes[k, post_index[s]] and active[s]:
                dw = (
                    eta
                    * p["a_plus"]
                    * (
                        x[s] * math.exp(-beta * w[s])
                        - p["x_target"] * math.exp(-beta * (w_max - w[s]))
                    )
                )
                w[s] = _clip(w[s] + dw, lo, hi)
        for s in range(n_syn):
            if post_spikes[k, post_index[s]]:
                y[s] = _bump(y[s], nearest)
        out[k] = w


# --------------------------------------------------------------------------------------
# NEST nearest-neighbour rules (spike-time lists, no traces)
# --------------------------------------------------------------------------------------


def _facilitate(w: float, kernel: float, p: dict) -> float:
    """NEST: ``w_max * min(1, w/w_max + lambda*(1 - w/w_max)**mu_plus * K)``."""
    w_max = p["w_max"]
    norm = w / w_max
    norm = norm + p["lambda_"] * math.pow(1.0 - norm, p["mu_plus"]) * kernel
    return w_max * min(1.0, norm)


def _depress(w: float, kernel: float, p: dict) -> float:
    """NEST: ``w_max * max(0, w/w_max - alpha*lambda*(w/w_max)**mu_minus * K)``."""
    w_max = p["w_max"]
    norm = w / w_max
    norm = norm - p["alpha"] * p["lambda_"] * math.pow(norm, p["mu_minus"]) * kernel
    return w_max * max(0.0, norm)


def _depression_kernel(rule: str, k: int, pres: list[int], posts: list[int], dt, p):
    """Depression kernel at a pre arrival in step ``k`` (or ``None``: no pairing).

    ``pres`` are the synapse's earlier pre-arrival steps (all < k), ``posts`` its post
    neuron's earlier spike steps (all < k: this step's post spikes come after the pre).
    """
    if not posts:
        return None
    k_post = posts[-1]  # latest post spike in an earlier step
    if rule == "nn_restr" and pres and pres[-1] > k_post:
        # Another pre arrival came after that post spike (a same-step pre came before it).
        return None
    return math.exp(-(k - k_post) * dt / p["tau_minus"])


def _facilitation_kernel(rule: str, k: int, pres: list[int], posts: list[int], dt, p):
    """Facilitation kernel at a post spike in step ``k`` (or ``None``: no pairing).

    ``pres`` are the synapse's pre-arrival steps up to and including ``k``; ``posts`` the
    post neuron's earlier spike steps (all < k).
    """
    if rule == "nn_pre_centered":
        k_prev_post = posts[-1] if posts else -1
        since = [k_pre for k_pre in pres if k_pre > k_prev_post]
        if not since:
            return None
        return sum(math.exp(-(k - k_pre) * dt / p["tau_plus"]) for k_pre in since)
    if not pres:
        return None
    k_pre = pres[-1]  # latest pre arrival at or before this step
    if rule == "nn_restr" and any(k_pre <= k_post < k for k_post in posts):
        # Not the first post spike since that pre arrival.
        return None
    return math.exp(-(k - k_pre) * dt / p["tau_plus"])


def _run_nest(rule, p, pre_spikes, post_spikes, pre_index, post_index, w, active, dt, out):
    n_steps = pre_spikes.shape[0]
    n_syn = w.shape[0]
    pres: list[list[int]] = [[] for _ in range(n_syn)]  # pre-arrival steps per synapse
    posts: list[list[int]] = [[] for _ in range(n_syn)]  # post-spike steps per synapse
    for k in range(n_steps):
        # Pre arrivals: depression against earlier post spikes, then record the arrival.
        for s in range(n_syn):
            if not pre_spikes[k, pre_index[s]]:
                continue
            if active[s]:
                kernel = _depression_kernel(rule, k, pres[s], posts[s], dt, p)
                if kernel is not None:
                    w[s] = _depress(w[s], kernel, p)
            pres[s].append(k)
        # Post spikes: facilitation against pre arrivals up to this step, then record.
        for s in range(n_syn):
            if not post_spikes[k, post_index[s]]:
                continue
            if active[s]:
                kernel = _facilitation_kernel(rule, k, pres[s], posts[s], dt, p)
                if kernel is not None:
                    w[s] = _facilitate(w[s], kernel, p)
            posts[s].append(k)
        out[k] = w


# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------


def simulate_rule(
    rule: str,
    params: dict,
    pre_spikes: np.ndarray,
    post_spikes: np.ndarray,
    pre_index: np.ndarray,
    post_index: np.ndarray,
    w0: np.ndarray,
    dt: float,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Run one plasticity rule on given spike trains.

    Args:
        rule: one of ``"triplet"``, ``"vogels"``, ``"exp_stdp"``, ``"nn_symm"``,
            ``"nn_pre_centered"``, ``"nn_restr"``.
        params: the rule's parameters (missing or unknown keys raise ``ValueError``;
            ``nearest`` is optional for ``triplet`` and ``exp_stdp``, default False).
        pre_spikes: bool [T, n_pre], presynaptic arrivals at the synapses in step k.
        post_spikes: bool [T, n_post], postsynaptic spikes in step k.
        pre_index: int [n_syn], presynaptic neuron of each synapse.
        post_index: int [n_syn], postsynaptic neuron of each synapse.
        w0: [n_syn] initial weights.
        dt: step length [ms].
        mask: optional 0/1 [n_syn]; synapses with mask 0 are held at exactly 0.

    Returns:
        float64 [T, n_syn], the weights after every step.
    """
    p = _check_params(rule, params)
    dt = float(dt)
    if not dt > 0.0:
        raise ValueError(f"dt must be > 0, got {dt}")
    pre_spikes = np.asarray(pre_spikes, dtype=bool)
    post_spikes = np.asarray(post_spikes, dtype=bool)
    if pre_spikes.ndim != 2 or post_spikes.ndim != 2:
        raise ValueError("pre_spikes and post_spikes must be 2-D [T, n]")
    if pre_spikes.shape[0] != post_spikes.shape[0]:
        raise ValueError(
            f"pre_spikes and post_spikes disagree on T: {pre_spikes.shape[0]} vs "
            f"{post_spikes.shape[0]}"
        )
    pre_index = np.asarray(pre_index, dtype=np.int64).reshape(-1)
    post_index = np.asarray(post_index, dtype=np.int64).reshape(-1)
    w = np.array(w0, dtype=np.float64).reshape(-1)  # a copy: w0 is never modified
    n_syn = w.shape[0]
    if pre_index.shape[0] != n_syn or post_index.shape[0] != n_syn:
        raise ValueError("pre_index, post_index and w0 must all have length n_syn")
    if n_syn and (pre_index.min() < 0 or pre_index.max() >= pre_spikes.shape[1]):
        raise ValueError("pre_index out of range")
    if n_syn and (post_index.min() < 0 or post_index.max() >= post_spikes.shape[1]):
        raise ValueError("post_index out of range")
    if mask is None:
        active = np.ones(n_syn, dtype=bool)
    else:
        mask = np.asarray(mask).reshape(-1)
        if mask.shape[0] != n_syn:
            raise ValueError("mask must have length n_syn")
        if not np.all((mask == 0) | (mask == 1)):
            raise ValueError("mask must contain only 0 and 1")
        active = mask == 1
        w[~active] = 0.0  # masked synapses are exactly 0 at all times

    out = np.zeros((pre_spikes.shape[0], n_syn), dtype=np.float64)
    args = (p, pre_spikes, post_spikes, pre_index, post_index, w, active, dt, out)
    if rule == "triplet":
        _run_triplet(*args)
    elif rule == "vogels":
        _run_vogels(*args)
    elif rule == "exp_stdp":
        _run_exp_stdp(*args)
    elif rule in _NEST_RULES:
        _run_nest(rule, *args)
    else:  # pragma: no cover - _check_params rejects unknown rules
        raise AssertionError(rule)
    return out
