"""AdEx with adaptive threshold, spike after-depolarisation and clamping (Clopath et al. 2010)."""

from __future__ import annotations

from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._checks import _concrete, as_param, check_int_at_least, check_nonnegative, check_positive
from ._base import AbstractNeuron

_EXP_CAP = 50.0
"""Largest exponent of the spike-generating term (overflow guard, as in :class:`AdEx`)."""


class AdExClopathState(NamedTuple):
    """State of :class:`AdExClopath` (NEST's state variables, lower case)."""

    v: Float[Array, " n"]
    """Membrane potential ``V_m`` [mV] (the ``u`` of the Clopath rule)."""
    w_adapt: Float[Array, " n"]
    """Adaptation current ``w`` [pA] (named apart from weights)."""
    z: Float[Array, " n"]
    """Spike after-depolarisation current ``z`` [pA]."""
    v_th: Float[Array, " n"]
    """Adaptive threshold ``V_th`` [mV]."""
    u_bar_plus: Float[Array, " n"]
    """``V`` low-pass filtered with ``tau_u_bar_plus`` [mV]."""
    u_bar_minus: Float[Array, " n"]
    """``V`` low-pass filtered with ``tau_u_bar_minus`` [mV]."""
    u_bar_bar: Float[Array, " n"]
    """``u_bar_minus`` low-pass filtered with ``tau_u_bar_bar`` [mV]."""
    clamp: Int[Array, " n"]
    """Clamped steps left, this one included (the last one ends with the reset)."""
    refractory: Int[Array, " n"]
    """Refractory steps left, this one included."""


class AdExClopath(AbstractNeuron):
    """AdEx neuron of Clopath et al. (2010), NEST's ``aeif_psc_delta_clopath``.

    Free dynamics, with ``V`` on the right-hand side taken as ``min(V, V_peak)``::

        C_m dV/dt = −g_L (V − E_L) + g_L Δ_T exp((V − V_th)/Δ_T) − w + z + I_e
        τ_w dw/dt = a (V − E_L) − w            τ_z dz/dt = −z
        τ_V_th dV_th/dt = −(V_th − V_th_rest)
        τ_ū₊ dū₊/dt = V − ū₊    τ_ū₋ dū₋/dt = V − ū₋    τ_ū̄ dū̄/dt = ū₋ − ū̄

    Synapses are delta synapses: an arriving weight [mV] (on ``"exc"`` or ``"inh"``) is
    added to ``V``. When ``V ≥ V_peak`` (``V ≥ V_th`` when ``Δ_T = 0``) the neuron spikes:
    ``V ← V_clamp``, ``w ← w + b``, ``z ← I_sp``, ``V_th ← V_th_max``. ``V`` is then held
    at ``V_clamp`` (and ``w`` frozen) until the end of the ``round(t_clamp/dt)``-th step
    after the spike step, when ``V ← V_reset``; a refractory period ``t_ref`` follows,
    with ``V`` held at ``V_reset`` and ``w`` relaxing. While clamped or refractory the
    filtered potentials follow the held value (``V_clamp`` or ``V_reset``) and arriving
    inputs are ignored. ``u_bar_plus``, ``u_bar_minus`` and ``u_bar_bar`` are the
    quantities the :class:`~plastix.rules.Clopath` rule reads.

    One step of ``dt``, as NEST's ``update``: the step is integrated in ``substeps``
    classical Runge-Kutta (RK4) substeps of the right-hand side above, where a clamped
    or refractory neuron uses the held ``V`` and ``dV/dt = 0`` (and, when clamped,
    ``dw/dt = 0``); after each substep a free neuron that reached ``V_peak`` spikes and
    is clamped for the rest of the step. Then the inputs arriving in this step are added
    to ``V`` (only for a neuron free all step: NEST ignores them while clamped or
    refractory, and a neuron that spiked is clamped), followed by the spike test again;
    then a neuron in its last clamped step is reset. Adding the inputs at the end of the
    step is what NEST's delta-synapse models do: a spike crossing a projection with delay
    ``d`` moves ``V`` exactly ``d`` after the end of the step in which it was emitted,
    as in NEST (current-based neurons take their input at the start of the step).

    Accuracy: NEST integrates with GSL's adaptive RKF45 (tolerance 1e-6), spikes within
    the step, and adds the inputs after its first adaptive substep (the whole step,
    unless the dynamics are stiff there); here a spike is found at the end of the substep
    in which ``V`` crossed ``V_peak`` (the upswing is stiff: ``V`` diverges within the
    substep, the stages are bounded by ``min(V, V_peak)``), so the clamp, ``z`` and
    ``V_th_max`` start up to ``dt/substeps`` late. Below threshold and while clamped the
    right-hand side is smooth: RK4 at 0.1 ms stays within ~3e-9 mV of an accurate
    solution over 60 ms after a spike (tested).
    An 80 mV kick (NEST's spike-pairing example) spikes at once in NEST, here within the
    first substep: NEST's ten pairing values are matched to 0.043 (``substeps=1``), 0.027
    (2), 0.019 (5) and 0.014 (20) on their scale ``100 + 1500·Δw/w₀``, i.e. to 3e-5 of
    the weight or better (``tests/validation/test_clopath_pairing.py``).

    Args:
        c_m: membrane capacitance ``C_m`` [pF].
        g_l: leak conductance ``g_L`` [nS].
        e_l: leak reversal potential ``E_L`` [mV].
        delta_t: slope factor ``Δ_T`` [mV] (≥ 0; 0: ``V_th`` is a hard threshold).
        v_th_rest: resting value of the adaptive threshold ``V_th_rest`` [mV].
        v_th_max: value of ``V_th`` after a spike ``V_th_max`` [mV] (≥ ``v_th_rest``).
        tau_v_th: time constant of the threshold ``τ_V_th`` [ms].
        v_peak: spike detection potential ``V_peak`` [mV] (≥ ``v_th_rest``).
        v_reset: reset potential ``V_reset`` [mV] (< ``v_peak``).
        t_ref: refractory period after the clamp ``t_ref`` [ms].
        a: subthreshold adaptation ``a`` [nS].
        b: spike-triggered adaptation ``b`` [pA].
        tau_w: adaptation time constant ``τ_w`` [ms].
        i_sp: after-depolarisation current after a spike ``I_sp`` [pA].
        tau_z: time constant of the after-depolarisation ``τ_z`` [ms].
        v_clamp: potential held after a spike ``V_clamp`` [mV].
        t_clamp: duration of the clamp ``t_clamp`` [ms] (at least one step).
        tau_u_bar_plus: time constant of ``ū₊`` [ms].
        tau_u_bar_minus: time constant of ``ū₋`` [ms].
        tau_u_bar_bar: time constant of ``ū̄`` [ms].
        i_e: constant external current ``I_e`` [pA].
        v_init: initial membrane potential [mV] (default ``e_l``); ``w`` and ``z`` start
            at 0, ``V_th`` at ``v_th_rest`` and the filtered potentials at ``e_l`` (NEST).
        substeps: RK4 substeps per step (static).

    Raises:
        ValueError: a parameter out of range (its name, the value and the range); when
            the network is built, a ``t_clamp`` shorter than half a step.

    Example:
        >>> cell = AdExClopath(v_reset=-49.6, b=0.0805)  # NEST's spike-pairing example

    References:
        Clopath, Büsing, Vasilaki & Gerstner (2010), Nat. Neurosci. 13:344.
        NEST ``models/aeif_psc_delta_clopath.{h,cpp}``.
    """

    c_m: Array
    g_l: Array
    e_l: Array
    delta_t: Array
    v_th_rest: Array
    v_th_max: Array
    tau_v_th: Array
    v_peak: Array
    v_reset: Array
    t_ref: Array
    a: Array
    b: Array
    tau_w: Array
    i_sp: Array
    tau_z: Array
    v_clamp: Array
    t_clamp: Array
    tau_u_bar_plus: Array
    tau_u_bar_minus: Array
    tau_u_bar_bar: Array
    i_e: Array
    v_init: Array
    substeps: int = eqx.field(static=True)

    def __init__(
        self,
        c_m: float = 281.0,
        g_l: float = 30.0,
        e_l: float = -70.6,
        delta_t: float = 2.0,
        v_th_rest: float = -50.4,
        v_th_max: float = 30.4,
        tau_v_th: float = 50.0,
        v_peak: float = 33.0,
        v_reset: float = -60.0,
        t_ref: float = 0.0,
        a: float = 4.0,
        b: float = 80.5,
        tau_w: float = 144.0,
        i_sp: float = 400.0,
        tau_z: float = 40.0,
        v_clamp: float = 33.0,
        t_clamp: float = 2.0,
        tau_u_bar_plus: float = 7.0,
        tau_u_bar_minus: float = 10.0,
        tau_u_bar_bar: float = 500.0,
        i_e: float = 0.0,
        v_init: float | None = None,
        substeps: int = 1,
    ):
        where = "AdExClopath: "
        for name, value in (
            ("c_m", c_m),
            ("g_l", g_l),
            ("tau_v_th", tau_v_th),
            ("tau_w", tau_w),
            ("tau_z", tau_z),
            ("tau_u_bar_plus", tau_u_bar_plus),
            ("tau_u_bar_minus", tau_u_bar_minus),
            ("tau_u_bar_bar", tau_u_bar_bar),
        ):
            check_positive(name, value, where)
        for name, value in (("delta_t", delta_t), ("t_ref", t_ref), ("t_clamp", t_clamp)):
            check_nonnegative(name, value, where)
        v_init = e_l if v_init is None else v_init
        _check_order("v_reset", v_reset, "v_peak", v_peak, strict=True)
        _check_order("v_init", v_init, "v_peak", v_peak, strict=True)
        _check_order("v_th_rest", v_th_rest, "v_peak", v_peak, strict=False)
        _check_order("v_th_rest", v_th_rest, "v_th_max", v_th_max, strict=False)
        self.substeps = check_int_at_least("substeps", substeps, 1, where)
        self.c_m, self.g_l, self.e_l = as_param(c_m), as_param(g_l), as_param(e_l)
        self.delta_t = as_param(delta_t)
        self.v_th_rest, self.v_th_max = as_param(v_th_rest), as_param(v_th_max)
        self.tau_v_th, self.v_peak = as_param(tau_v_th), as_param(v_peak)
        self.v_reset, self.t_ref = as_param(v_reset), as_param(t_ref)
        self.a, self.b, self.tau_w = as_param(a), as_param(b), as_param(tau_w)
        self.i_sp, self.tau_z = as_param(i_sp), as_param(tau_z)
        self.v_clamp, self.t_clamp = as_param(v_clamp), as_param(t_clamp)
        self.tau_u_bar_plus = as_param(tau_u_bar_plus)
        self.tau_u_bar_minus = as_param(tau_u_bar_minus)
        self.tau_u_bar_bar = as_param(tau_u_bar_bar)
        self.i_e, self.v_init = as_param(i_e), as_param(v_init)

    def prepare(self, n: int, dt: float) -> None:
        t_clamp = _concrete(self.t_clamp)
        if t_clamp is not None and np.any(np.round(t_clamp / dt) < 1):
            raise ValueError(
                f"AdExClopath: t_clamp must last at least one step (>= dt/2 = {dt / 2} ms, "
                f"rounded to whole steps of dt = {dt} ms), got t_clamp={t_clamp}; NEST's "
                "t_clamp = 0 leaves V at V_clamp without a reset."
            )

    def init(self, n: int, dt: float) -> AdExClopathState:
        def full(value: Array) -> Array:
            return jnp.broadcast_to(value, (n,)).astype(float)

        zeros, counters = jnp.zeros(n, float), jnp.zeros(n, jnp.int32)
        e_l = full(self.e_l)
        return AdExClopathState(
            full(self.v_init), zeros, zeros, full(self.v_th_rest), e_l, e_l, e_l, counters,
            counters,
        )  # fmt: skip

    def _derivatives(self, y: tuple, clamped: Array, refractory: Array) -> tuple:
        """Time derivatives of ``(V, w, z, V_th, ū₊, ū₋, ū̄)`` (NEST's right-hand side)."""
        v, w, z, v_th, u_plus, u_minus, u_bar = y
        held = clamped | refractory
        # A free V above V_peak (the upswing overshooting in a stage) counts as V_peak.
        free_v = jnp.minimum(v, self.v_peak)
        v = jnp.where(clamped, self.v_clamp, jnp.where(refractory, self.v_reset, free_v))
        # The safe divisor keeps delta_t = 0 free of NaN (and of NaN gradients); the cap
        # keeps an overshooting stage finite in float32 (binds only for a tiny delta_t).
        positive = self.delta_t > 0
        slope = jnp.where(positive, self.delta_t, 1.0)
        exponent = jnp.minimum((v - v_th) / slope, _EXP_CAP)
        spike = jnp.where(positive, self.g_l * self.delta_t * jnp.exp(exponent), 0.0)
        dv = (-self.g_l * (v - self.e_l) + spike - w + z + self.i_e) / self.c_m
        dw = (self.a * (v - self.e_l) - w) / self.tau_w
        return (
            jnp.where(held, 0.0, dv),
            jnp.where(clamped, 0.0, dw),
            -z / self.tau_z,
            -(v_th - self.v_th_rest) / self.tau_v_th,
            (v - u_plus) / self.tau_u_bar_plus,
            (v - u_minus) / self.tau_u_bar_minus,
            (u_minus - u_bar) / self.tau_u_bar_bar,
        )

    def _spike(self, y: tuple, fires: Array) -> tuple:
        """Apply a spike where ``fires``: clamp V, raise w, set z and V_th."""
        v, w, z, v_th, u_plus, u_minus, u_bar = y
        return (
            jnp.where(fires, self.v_clamp, v),
            jnp.where(fires, w + self.b, w),
            jnp.where(fires, self.i_sp, z),
            jnp.where(fires, self.v_th_max, v_th),
            u_plus,
            u_minus,
            u_bar,
        )

    def _crossed(self, y: tuple) -> Array:
        """``V`` at or above the spike test (``V_peak``; ``V_th`` when ``delta_t = 0``)."""
        return y[0] >= jnp.where(self.delta_t > 0, self.v_peak, y[3])

    def step(self, state: AdExClopathState, inputs: dict[str, Array], drive: Any, dt: float):
        h = dt / self.substeps
        clamped_at_start = state.clamp > 0
        refractory = (state.refractory > 0) & ~clamped_at_start
        free_at_start = ~clamped_at_start & ~refractory

        def substep(_: Any, carry: tuple) -> tuple:
            y, spiked = carry
            clamped = clamped_at_start | spiked

            def rhs(scale: float, k: tuple) -> tuple:
                stage = jax.tree_util.tree_map(lambda y_i, k_i: y_i + scale * h * k_i, y, k)
                return self._derivatives(stage, clamped, refractory)

            k1 = self._derivatives(y, clamped, refractory)
            k2 = rhs(0.5, k1)
            k3 = rhs(0.5, k2)
            k4 = rhs(1.0, k3)
            y = jax.tree_util.tree_map(
                lambda y_i, a, b, c, d: y_i + (h / 6.0) * (a + 2.0 * b + 2.0 * c + d),
                y, k1, k2, k3, k4,
            )  # fmt: skip
            fires = free_at_start & ~spiked & self._crossed(y)
            return self._spike(y, fires), spiked | fires

        y = tuple(state[:7])
        spiked = jnp.zeros(state.v.shape, bool)
        if self.substeps == 1:
            y, spiked = substep(0, (y, spiked))
        else:
            y, spiked = jax.lax.fori_loop(0, self.substeps, substep, (y, spiked))
        # Inputs of this step, at its end (NEST's delta synapses), then the spike test.
        accept = free_at_start & ~spiked
        v = y[0] + jnp.where(accept, inputs["exc"] + inputs["inh"], 0.0)
        y = (v, *y[1:])
        fires = accept & self._crossed(y)
        y = self._spike(y, fires)
        spiked = spiked | fires
        # The last clamped step ends with the reset, and the refractory period begins.
        n_clamp = jnp.round(self.t_clamp / dt).astype(jnp.int32)
        n_ref = jnp.round(self.t_ref / dt).astype(jnp.int32)
        ending = clamped_at_start & (state.clamp == 1)
        v = jnp.where(ending, self.v_reset, y[0])
        refractory_left = jnp.where(ending, n_ref, jnp.maximum(state.refractory - 1, 0))
        clamp_left = jnp.where(spiked, n_clamp, jnp.maximum(state.clamp - 1, 0))
        new = AdExClopathState(v, *y[1:], clamp_left, refractory_left)
        return new, spiked


def _check_order(low_name: str, low: Any, high_name: str, high: Any, *, strict: bool) -> None:
    """Raise ValueError unless ``low < high`` (``<=`` if not strict)."""
    lo, hi = _concrete(low), _concrete(high)
    if lo is None or hi is None:
        return  # traced: nothing to check before the values are concrete
    if not np.all(lo < hi if strict else lo <= hi):
        relation = "below" if strict else "at most"
        raise ValueError(
            f"AdExClopath: {low_name} must be {relation} {high_name}, got {low_name}={low}, "
            f"{high_name}={high}."
        )
