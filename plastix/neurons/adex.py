"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._checks import _concrete, as_param, check_nonnegative, check_positive
from ._base import AbstractNeuron, fire_and_reset, refractory_steps

_EXP_CAP = 50.0
"""Largest exponent of the spike-generating term (overflow guard, see :class:`AdEx`)."""


class AdExState(NamedTuple):
    """State of :class:`AdEx`."""

    v: Float[Array, " n"]
    """Membrane potential [mV]."""
    w_adapt: Float[Array, " n"]
    """Adaptation current ``w`` [pA] (named apart from weights, which monitors call "w")."""
    i_exc: Float[Array, " n"]
    """Excitatory synaptic current [pA]."""
    i_inh: Float[Array, " n"]
    """Inhibitory synaptic current [pA] (negative for inhibition)."""
    refractory: Int[Array, " n"]
    """Refractory steps left."""


_NAUD = ("c_m", "g_l", "e_l", "v_th", "delta_t", "a", "tau_w", "b", "v_reset", "i_e")

ADEX_PRESETS: dict[str, dict[str, float]] = {
    name: dict(zip(_NAUD, values, strict=True))
    for name, values in {
        # C [pF], g_L [nS], E_L, V_T, Delta_T [mV], a [nS], tau_w [ms], b [pA], V_r [mV], I [pA]
        "tonic": (200.0, 10.0, -70.0, -50.0, 2.0, 2.0, 30.0, 0.0, -58.0, 500.0),
        "adapting": (200.0, 12.0, -70.0, -50.0, 2.0, 2.0, 300.0, 60.0, -58.0, 500.0),
        "initial_burst": (130.0, 18.0, -58.0, -50.0, 2.0, 4.0, 150.0, 120.0, -50.0, 400.0),
        "bursting": (200.0, 10.0, -58.0, -50.0, 2.0, 2.0, 120.0, 100.0, -46.0, 210.0),
    }.items()
}
"""Firing patterns of Naud et al. (2008), Table 1, as keyword arguments of :class:`AdEx`.

Each entry holds the cell's parameters and, as ``i_e``, the step current [pA] that elicits
the pattern from rest; ``AdEx.from_preset(name)`` builds it (``V_peak`` stays at the
default 0 mV). Set ``i_e=0.0`` to drive the cell by synapses alone.
"""


class AdEx(AbstractNeuron):
    """Adaptive exponential integrate-and-fire neuron, NEST's ``aeif_psc_exp``.

    ``C_m·dV/dt = −g_L·(V − E_L) + g_L·Δ_T·exp((V − V_T)/Δ_T) − w + I_exc + I_inh + I_e``,
    ``τ_w·dw/dt = a·(V − E_L) − w``, ``dI_x/dt = −I_x/τ_x``; an arriving spike adds its
    weight [pA] to ``I_x``. When ``V ≥ V_peak``: spike, ``V ← V_reset``, ``w ← w + b``, and
    ``V`` is held at ``V_reset`` for ``t_ref`` while ``w`` keeps evolving. With ``Δ_T = 0``
    the exponential term vanishes and ``V_th`` is a hard threshold (spike when
    ``V ≥ V_th``), as in NEST.

    Integration (one step of ``dt``, in the order of ``docs/semantics.md``): the arriving
    weights are added to ``I_x``; a free neuron advances ``(V, w)`` with one classical
    Runge-Kutta step (RK4) in which the synaptic currents are evaluated exactly at the
    stage times, ``I_x(s) = I_x·exp(−s/τ_x)``; a refractory neuron keeps ``V = V_reset``
    and ``w`` relaxes exactly to ``a·(V_reset − E_L)``; then the threshold test; then
    ``I_x ← I_x·exp(−dt/τ_x)`` (exact). Why RK4: the right-hand side is smooth and cheap,
    so four evaluations give a fourth-order error with a fixed step that fits ``lax.scan``
    and ``jax.grad``: at dt = 0.1 ms, ~1e-9 mV below threshold and ~1e-5 mV during a
    0.2 ms EPSC (tested against a tight ODE solution). Holding the currents fixed over the
    step instead would be first order for fast synapses (NEST's ``tau_syn_ex`` is 0.2 ms:
    ~0.2 mV off per 1 nA EPSC). Only the upswing of a spike is stiff: there ``V``
    diverges within the step, the step overshoots ``V_peak`` and the spike, with its
    reset, lands at the end of the step (NEST resets inside the step). So each spike
    lags the exact one by under a step and the lags add up over a train (~0.4 ms after
    six spikes of the Brette & Gerstner cell at 800 pA); use a smaller dt for precise
    spike times. As in NEST, ``V`` on the right-hand side is taken as ``min(V, V_peak)``,
    and the exponent is further capped at 50 (it only binds for ``Δ_T`` below
    ``(V_peak − V_T)/50``), so an overshooting stage stays finite, in float32 too; both
    caps act only where ``V`` is already diverging towards the spike.

    Args:
        c_m: membrane capacitance ``C_m`` [pF].
        g_l: leak conductance ``g_L`` [nS].
        e_l: leak reversal potential ``E_L`` [mV].
        v_th: spike initiation threshold ``V_T`` (NEST's ``V_th``) [mV].
        delta_t: slope factor ``Δ_T`` [mV] (≥ 0; 0 makes ``v_th`` a hard threshold).
        v_peak: spike detection potential ``V_peak`` [mV] (≥ ``v_th``; the paper uses
            20 mV, NEST 0 mV; with ``delta_t = 0`` the spike test uses ``v_th``).
        v_reset: reset potential [mV] (< ``v_peak``).
        t_ref: refractory period [ms].
        a: subthreshold adaptation ``a`` [nS].
        b: spike-triggered adaptation ``b`` [pA].
        tau_w: adaptation time constant ``τ_w`` [ms].
        i_e: constant external current [pA].
        tau_syn_exc: excitatory current time constant [ms] (NEST's ``tau_syn_ex``).
        tau_syn_inh: inhibitory current time constant [ms] (NEST's ``tau_syn_in``).
        v_init: initial membrane potential [mV] (default ``e_l``); ``w`` starts at 0 (the
            state field ``w_adapt``, recorded with ``Monitor(pop, "w_adapt")``).

    Raises:
        ValueError: a parameter out of range (its name, the value and the range).

    Example:
        >>> cell = AdEx(c_m=281.0, v_reset=-70.6, i_e=800.0)  # Brette & Gerstner (2005)
        >>> bursting = AdEx.from_preset("bursting")  # Naud et al. (2008), I = 210 pA

    References:
        Brette & Gerstner (2005), J. Neurophysiol. 94:3637.
        Naud, Marcille, Clopath & Gerstner (2008), Biol. Cybern. 99:335.
    """

    c_m: Array
    g_l: Array
    e_l: Array
    v_th: Array
    delta_t: Array
    v_peak: Array
    v_reset: Array
    t_ref: Array
    a: Array
    b: Array
    tau_w: Array
    i_e: Array
    tau_syn_exc: Array
    tau_syn_inh: Array
    v_init: Array

    def __init__(
        self,
        c_m: float = 281.0,
        g_l: float = 30.0,
        e_l: float = -70.6,
        v_th: float = -50.4,
        delta_t: float = 2.0,
        v_peak: float = 0.0,
        v_reset: float = -60.0,
        t_ref: float = 0.0,
        a: float = 4.0,
        b: float = 80.5,
        tau_w: float = 144.0,
        i_e: float = 0.0,
        tau_syn_exc: float = 0.2,
        tau_syn_inh: float = 2.0,
        v_init: float | None = None,
    ):
        where = "AdEx: "
        for name, value in (
            ("c_m", c_m),
            ("g_l", g_l),
            ("tau_w", tau_w),
            ("tau_syn_exc", tau_syn_exc),
            ("tau_syn_inh", tau_syn_inh),
        ):
            check_positive(name, value, where)
        check_nonnegative("delta_t", delta_t, where)
        check_nonnegative("t_ref", t_ref, where)
        v_init = e_l if v_init is None else v_init
        hard = _concrete(delta_t)  # where delta_t = 0, v_th is a hard threshold
        _check_below("v_reset", v_reset, "v_peak", v_peak, strict=True)
        _check_below("v_th", v_th, "v_peak", v_peak, strict=False)
        _check_below("v_init", v_init, "v_peak", v_peak, strict=True)
        for name, value in (("v_reset", v_reset), ("v_init", v_init)):
            if hard is not None:
                why = " when delta_t = 0 (v_th is then the threshold)"
                _check_below(name, value, "v_th", v_th, strict=True, mask=hard == 0, why=why)
        self.c_m, self.g_l, self.e_l = as_param(c_m), as_param(g_l), as_param(e_l)
        self.v_th, self.delta_t, self.v_peak = as_param(v_th), as_param(delta_t), as_param(v_peak)
        self.v_reset, self.t_ref = as_param(v_reset), as_param(t_ref)
        self.a, self.b, self.tau_w = as_param(a), as_param(b), as_param(tau_w)
        self.i_e = as_param(i_e)
        self.tau_syn_exc, self.tau_syn_inh = as_param(tau_syn_exc), as_param(tau_syn_inh)
        self.v_init = as_param(v_init)

    @classmethod
    def from_preset(cls, name: str, **overrides: float) -> AdEx:
        """The Naud et al. (2008) cell ``name`` of ``ADEX_PRESETS``, driven by its step current.

        Args:
            name: one of ``ADEX_PRESETS`` ("tonic", "adapting", "initial_burst", "bursting").
            **overrides: keyword arguments of :class:`AdEx` replacing the preset's values
                (e.g. ``i_e=0.0`` to remove the step current).
        """
        if name not in ADEX_PRESETS:
            raise ValueError(f"AdEx: preset must be one of {sorted(ADEX_PRESETS)}, got {name!r}.")
        return cls(**{**ADEX_PRESETS[name], **overrides})

    def init(self, n: int, dt: float) -> AdExState:
        zeros = jnp.zeros(n, float)
        return AdExState(
            jnp.broadcast_to(self.v_init, (n,)).astype(float),
            zeros,
            zeros,
            zeros,
            jnp.zeros(n, jnp.int32),
        )

    def _derivatives(self, v: Array, w: Array, current: Array) -> tuple[Array, Array]:
        """``(dV/dt [mV/ms], dw/dt [pA/ms])`` at ``v``, ``w`` and total current [pA]."""
        # NEST evaluates the right-hand side at min(V, V_peak); the exponent cap keeps a
        # tiny delta_t finite too. The safe divisor keeps delta_t = 0 free of NaN (and of
        # NaN gradients, which jnp.where would not mask).
        v = jnp.minimum(v, self.v_peak)
        positive = self.delta_t > 0
        slope = jnp.where(positive, self.delta_t, 1.0)
        exponent = jnp.minimum((v - self.v_th) / slope, _EXP_CAP)
        spike_current = jnp.where(positive, self.g_l * self.delta_t * jnp.exp(exponent), 0.0)
        dv = (-self.g_l * (v - self.e_l) + spike_current - w + current) / self.c_m
        dw = (self.a * (v - self.e_l) - w) / self.tau_w
        return dv, dw

    def step(self, state: AdExState, inputs: dict[str, Array], drive: Any, dt: float):
        i_exc = state.i_exc + inputs["exc"]
        i_inh = state.i_inh + inputs["inh"]
        half_exc, full_exc = jnp.exp(-0.5 * dt / self.tau_syn_exc), jnp.exp(-dt / self.tau_syn_exc)
        half_inh, full_inh = jnp.exp(-0.5 * dt / self.tau_syn_inh), jnp.exp(-dt / self.tau_syn_inh)
        current_0 = i_exc + i_inh + self.i_e
        current_half = i_exc * half_exc + i_inh * half_inh + self.i_e
        current_1 = i_exc * full_exc + i_inh * full_inh + self.i_e

        v, w = state.v, state.w_adapt
        k1v, k1w = self._derivatives(v, w, current_0)
        k2v, k2w = self._derivatives(v + 0.5 * dt * k1v, w + 0.5 * dt * k1w, current_half)
        k3v, k3w = self._derivatives(v + 0.5 * dt * k2v, w + 0.5 * dt * k2w, current_half)
        k4v, k4w = self._derivatives(v + dt * k3v, w + dt * k3w, current_1)
        v_integrated = v + (dt / 6.0) * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
        w_integrated = w + (dt / 6.0) * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)
        # Refractory: V is clamped, so w is linear and relaxes exactly.
        w_rest = self.a * (self.v_reset - self.e_l)
        w_clamped = w_rest + (w - w_rest) * jnp.exp(-dt / self.tau_w)
        free = state.refractory <= 0

        spike_at = jnp.where(self.delta_t > 0, self.v_peak, self.v_th)
        n_ref = refractory_steps(self.t_ref, dt)
        v, refractory, spikes = fire_and_reset(
            v, v_integrated, state.refractory, spike_at, self.v_reset, n_ref
        )
        w = jnp.where(free, w_integrated, w_clamped)
        w = jnp.where(spikes, w + self.b, w)
        return AdExState(v, w, i_exc * full_exc, i_inh * full_inh, refractory), spikes


def _check_below(
    low_name: str,
    low: Any,
    high_name: str,
    high: Any,
    *,
    strict: bool,
    mask: Any = True,
    why: str = "",
) -> None:
    """Raise ValueError unless ``low < high`` (``<=`` if not strict) wherever ``mask``."""
    lo, hi = _concrete(low), _concrete(high)
    if lo is None or hi is None:
        return  # traced: nothing to check before the values are concrete
    ok = lo < hi if strict else lo <= hi
    if not np.all(ok | ~np.asarray(mask, bool)):
        relation = "below" if strict else "at most"
        raise ValueError(
            f"AdEx: {low_name} must be {relation} {high_name}{why}, got {low_name}={low}, "
            f"{high_name}={high}."
        )
