"""Leaky integrate-and-fire neuron with exponential synaptic conductances."""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._checks import as_param, check_nonnegative, check_positive
from ..surrogate import AbstractSurrogate
from ._base import AbstractThresholdNeuron, fire_and_reset, refractory_steps


class LIFCondState(NamedTuple):
    """State of :class:`LIFCond`."""

    v: Float[Array, " n"]
    """Membrane potential [mV]."""
    g_exc: Float[Array, " n"]
    """Excitatory conductance [units of the leak conductance]."""
    g_inh: Float[Array, " n"]
    """Inhibitory conductance [units of the leak conductance]."""
    refractory: Int[Array, " n"]
    """Refractory steps left."""
    theta: Float[Array, " n"]
    """Adaptive threshold offset [mV] (stays 0 unless ``theta_plus > 0``)."""


class LIFCond(AbstractThresholdNeuron):
    """Conductance-based LIF (the Song, Miller & Abbott 2000 form), optionally with an
    adaptive threshold (Diehl & Cook 2015).

    ``tau_m·dv/dt = (e_leak − v) + g_exc·(e_exc − v) + g_inh·(e_inh − v)``,
    ``dg_x/dt = −g_x/tau_x``; conductances are in units of the leak conductance and an
    arriving spike adds its weight to ``g_x``. Over a step the conductances are held
    fixed, which makes the voltage equation linear and solved exactly (exponential
    Euler); they then decay exactly. Spike when ``v ≥ v_th + theta``; ``v ← v_reset`` for
    ``t_ref``.

    The adaptive threshold (intrinsic plasticity, Diehl & Cook 2015) is
    ``dtheta/dt = −theta/tau_theta`` with ``theta ← theta + theta_plus`` at each spike;
    ``theta`` starts at 0. With the default ``theta_plus = 0`` it stays 0 and the neuron
    is the plain LIF above, bit for bit (and as fast: a run that starts with
    ``theta_plus`` and ``theta`` at 0 neither updates nor reads it, see ``specialized``).
    Diehl & Cook write the threshold as ``v_th − offset + theta`` with ``theta`` starting
    at ``offset = 20`` mV, which is this model with ``theta`` shifted by 20 mV (except
    that their ``theta`` decays toward ``−offset``, a drift of < 2 mV over 10⁴ s at
    ``tau_theta = 10⁷`` ms).

    Args:
        tau_m: membrane time constant [ms].
        e_leak: leak reversal (resting) potential [mV].
        v_th: threshold [mV].
        v_reset: reset potential [mV].
        e_exc: excitatory reversal potential [mV].
        e_inh: inhibitory reversal potential [mV].
        tau_exc: excitatory conductance time constant [ms].
        tau_inh: inhibitory conductance time constant [ms].
        t_ref: refractory period [ms].
        v_init: initial membrane potential [mV] (default ``e_leak``).
        theta_plus: threshold increase per spike [mV], >= 0 (0: fixed threshold).
        tau_theta: decay time constant of ``theta`` [ms], > 0; ``inf`` freezes ``theta``
            (with ``theta_plus = 0``: a learned threshold kept fixed, e.g. for testing).
        surrogate: a surrogate spike function (``plastix.surrogate``) or None. With one,
            the neuron emits float spikes 0.0/1.0 (identical forward) whose surrogate
            derivative lets gradients flow; the reset is detached (see ``fire_and_reset``).

    References:
        Song, Miller & Abbott (2000), Nat. Neurosci. 3:919.
        Diehl & Cook (2015), Front. Comput. Neurosci. 9:99 (adaptive threshold).
    """

    tau_m: Array
    e_leak: Array
    v_th: Array
    v_reset: Array
    e_exc: Array
    e_inh: Array
    tau_exc: Array
    tau_inh: Array
    t_ref: Array
    v_init: Array
    theta_plus: Array
    tau_theta: Array
    surrogate: AbstractSurrogate | None = eqx.field(static=True)
    threshold_fixed: bool = eqx.field(static=True)
    """Whether ``theta`` is known to stay 0 in this run (see ``specialized``)."""

    def __init__(
        self,
        tau_m: float = 10.0,
        e_leak: float = -74.0,
        v_th: float = -54.0,
        v_reset: float = -60.0,
        e_exc: float = 0.0,
        e_inh: float = -70.0,
        tau_exc: float = 5.0,
        tau_inh: float = 5.0,
        t_ref: float = 0.0,
        v_init: float | None = None,
        theta_plus: float = 0.0,
        tau_theta: float = 1e7,
        surrogate: AbstractSurrogate | None = None,
    ):
        for name, value in (("tau_m", tau_m), ("tau_exc", tau_exc), ("tau_inh", tau_inh)):
            check_positive(name, value, "LIFCond: ")
        check_nonnegative("t_ref", t_ref, "LIFCond: ")
        check_nonnegative("theta_plus", theta_plus, "LIFCond: ")
        if not np.all(np.asarray(tau_theta, dtype=float) > 0):  # inf allowed: no decay
            raise ValueError(
                f"LIFCond: tau_theta must be > 0 [ms] (inf: no decay), got {tau_theta!r}."
            )
        self.tau_m, self.e_leak = as_param(tau_m), as_param(e_leak)
        self.v_th, self.v_reset = as_param(v_th), as_param(v_reset)
        self.e_exc, self.e_inh = as_param(e_exc), as_param(e_inh)
        self.tau_exc, self.tau_inh = as_param(tau_exc), as_param(tau_inh)
        self.t_ref = as_param(t_ref)
        self.v_init = as_param(e_leak if v_init is None else v_init)
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

    def init(self, n: int, dt: float) -> LIFCondState:
        zeros = jnp.zeros(n, float)
        return LIFCondState(
            jnp.broadcast_to(self.v_init, (n,)).astype(float),
            zeros,
            zeros,
            jnp.zeros(n, jnp.int32),
            zeros,
        )

    def step(self, state: LIFCondState, inputs: dict[str, Array], drive: None, dt: float):
        g_exc = state.g_exc + inputs["exc"]
        g_inh = state.g_inh + inputs["inh"]
        g_total = 1.0 + g_exc + g_inh
        v_inf = (self.e_leak + g_exc * self.e_exc + g_inh * self.e_inh) / g_total
        v_integrated = v_inf + (state.v - v_inf) * jnp.exp(-dt * g_total / self.tau_m)
        v, refractory, spikes = fire_and_reset(
            state.v,
            v_integrated,
            state.refractory,
            self.threshold(state.theta),
            self.v_reset,
            refractory_steps(self.t_ref, dt),
            self.surrogate,
        )
        new = LIFCondState(
            v,
            g_exc * jnp.exp(-dt / self.tau_exc),
            g_inh * jnp.exp(-dt / self.tau_inh),
            refractory,
            self.next_theta(state.theta, spikes, dt),
        )
        return new, spikes
