"""Leaky integrate-and-fire neuron with exponential synaptic currents."""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._checks import as_param, check_nonnegative, check_positive
from ..surrogate import AbstractSurrogate
from ._base import AbstractThresholdNeuron, fire_and_reset, refractory_steps


class LIFState(NamedTuple):
    """State of :class:`LIF`."""

    v: Float[Array, " n"]
    """Membrane potential [mV]."""
    i_exc: Float[Array, " n"]
    """Excitatory synaptic current [pA]."""
    i_inh: Float[Array, " n"]
    """Inhibitory synaptic current [pA] (negative for inhibition)."""
    refractory: Int[Array, " n"]
    """Refractory steps left."""
    theta: Float[Array, " n"]
    """Adaptive threshold offset [mV] (stays 0 unless ``theta_plus > 0``)."""


class LIF(AbstractThresholdNeuron):
    """Current-based LIF with exponential synaptic currents, integrated exactly.

    ``dv/dt = (v_rest − v)/tau_m + (i_exc + i_inh + i_e)/c_m``,
    ``di_x/dt = −i_x/tau_syn_x``; an arriving spike adds its weight [pA] to ``i_x``.
    Spike when ``v ≥ v_th + theta``; then ``v ← v_reset`` for ``t_ref``. The linear system
    is integrated with its exact propagator (as NEST's ``iaf_psc_exp``); see
    ``docs/semantics.md`` for the step order. Adaptive threshold (intrinsic plasticity,
    homeostasis of the rate): ``dtheta/dt = −theta/tau_theta``, ``theta ← theta +
    theta_plus`` at each spike (``theta`` starts at 0; off with the default
    ``theta_plus = 0``, and then free: a run that starts with ``theta_plus`` and
    ``theta`` at 0 neither updates nor reads it, see ``specialized``).

    Args:
        tau_m: membrane time constant [ms].
        c_m: membrane capacitance [pF].
        v_rest: resting potential [mV].
        v_th: threshold [mV].
        v_reset: reset potential [mV].
        tau_syn_exc: excitatory current time constant [ms] (≠ tau_m).
        tau_syn_inh: inhibitory current time constant [ms] (≠ tau_m).
        t_ref: refractory period [ms].
        i_e: constant external current [pA].
        v_init: initial membrane potential [mV] (default ``v_rest``).
        theta_plus: threshold increase per spike [mV], >= 0 (0: fixed threshold).
        tau_theta: decay time constant of ``theta`` [ms], > 0 (``inf``: no decay).
        surrogate: a surrogate spike function (``plastix.surrogate``) or None. With one,
            the neuron emits float spikes 0.0/1.0 (identical forward) whose surrogate
            derivative lets gradients flow; the reset is detached (see ``fire_and_reset``).
    """

    tau_m: Array
    c_m: Array
    v_rest: Array
    v_th: Array
    v_reset: Array
    tau_syn_exc: Array
    tau_syn_inh: Array
    t_ref: Array
    i_e: Array
    v_init: Array
    theta_plus: Array
    tau_theta: Array
    surrogate: AbstractSurrogate | None = eqx.field(static=True)
    threshold_fixed: bool = eqx.field(static=True)
    """Whether ``theta`` is known to stay 0 in this run (see ``specialized``)."""

    def __init__(
        self,
        tau_m: float = 10.0,
        c_m: float = 250.0,
        v_rest: float = -70.0,
        v_th: float = -55.0,
        v_reset: float = -70.0,
        tau_syn_exc: float = 2.0,
        tau_syn_inh: float = 2.0,
        t_ref: float = 2.0,
        i_e: float = 0.0,
        v_init: float | None = None,
        theta_plus: float = 0.0,
        tau_theta: float = 1e7,
        surrogate: AbstractSurrogate | None = None,
    ):
        check_nonnegative("theta_plus", theta_plus, "LIF: ")
        if not np.all(np.asarray(tau_theta, dtype=float) > 0):  # inf allowed: no decay
            raise ValueError(f"LIF: tau_theta must be > 0 [ms] (inf: no decay), got {tau_theta!r}.")
        for name, value in (
            ("tau_m", tau_m),
            ("c_m", c_m),
            ("tau_syn_exc", tau_syn_exc),
            ("tau_syn_inh", tau_syn_inh),
        ):
            check_positive(name, value, "LIF: ")
        check_nonnegative("t_ref", t_ref, "LIF: ")
        for name, value in (("tau_syn_exc", tau_syn_exc), ("tau_syn_inh", tau_syn_inh)):
            if jnp.any(as_param(value) == as_param(tau_m)):
                raise ValueError(
                    f"LIF: {name} must differ from tau_m (the exact propagator divides by "
                    f"their difference), got both = {tau_m}; change one by a small amount."
                )
        self.tau_m, self.c_m = as_param(tau_m), as_param(c_m)
        self.v_rest, self.v_th, self.v_reset = as_param(v_rest), as_param(v_th), as_param(v_reset)
        self.tau_syn_exc, self.tau_syn_inh = as_param(tau_syn_exc), as_param(tau_syn_inh)
        self.t_ref, self.i_e = as_param(t_ref), as_param(i_e)
        self.v_init = as_param(v_rest if v_init is None else v_init)
        self.theta_plus, self.tau_theta = as_param(theta_plus), as_param(tau_theta)
        if surrogate is not None and not isinstance(surrogate, AbstractSurrogate):
            raise TypeError(
                f"{type(self).__name__}: surrogate must be a plastix.surrogate spike function "
                f"(e.g. plastix.surrogate.fast_sigmoid(1.0)) or None, got {surrogate!r}."
            )
        self.surrogate = surrogate
        self.threshold_fixed = False

    @property
    def emits_float(self) -> bool:
        """True with a surrogate: spikes are floats 0.0/1.0 that carry gradients."""
        return self.surrogate is not None

    def init(self, n: int, dt: float) -> LIFState:
        zeros = jnp.zeros(n, float)
        return LIFState(
            jnp.broadcast_to(self.v_init, (n,)).astype(float),
            zeros,
            zeros,
            jnp.zeros(n, jnp.int32),
            zeros,
        )

    def _current_propagator(self, tau_syn: Array, dt: float) -> Array:
        """Voltage change [mV] per pA of a synaptic current decaying over the step."""
        return (self.tau_m * tau_syn / (self.c_m * (tau_syn - self.tau_m))) * (
            jnp.exp(-dt / tau_syn) - jnp.exp(-dt / self.tau_m)
        )

    def step(self, state: LIFState, inputs: dict[str, Array], drive: None, dt: float):
        i_exc = state.i_exc + inputs["exc"]
        i_inh = state.i_inh + inputs["inh"]
        decay = jnp.exp(-dt / self.tau_m)
        v_integrated = (
            self.v_rest
            + (state.v - self.v_rest) * decay
            + i_exc * self._current_propagator(self.tau_syn_exc, dt)
            + i_inh * self._current_propagator(self.tau_syn_inh, dt)
            + self.i_e * (self.tau_m / self.c_m) * (1.0 - decay)
        )
        v, refractory, spikes = fire_and_reset(
            state.v,
            v_integrated,
            state.refractory,
            self.threshold(state.theta),
            self.v_reset,
            refractory_steps(self.t_ref, dt),
            self.surrogate,
        )
        new = LIFState(
            v,
            i_exc * jnp.exp(-dt / self.tau_syn_exc),
            i_inh * jnp.exp(-dt / self.tau_syn_inh),
            refractory,
            self.next_theta(state.theta, spikes, dt),
        )
        return new, spikes
