"""Reward-modulated (three-factor) STDP: eligibility traces gated by a neuromodulator."""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._backend import branch
from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule, period_steps
from .traces import bump_trace, decay_trace


class RewardSTDPState(NamedTuple):
    """Traces and neuromodulator of :class:`RewardSTDP`."""

    x: Float[Array, " n_pre"]
    """Presynaptic STDP trace (dimensionless)."""
    y: Float[Array, " n_post"]
    """Postsynaptic STDP trace (dimensionless)."""
    dopamine: Float[Array, ""]
    """Neuromodulator concentration ``d`` (dimensionless, above the tonic level)."""
    steps: Int[Array, ""]
    """Steps simulated so far, this one included (for the period of the weight update)."""


class RewardSTDP(AbstractRule):
    """Reward-modulated STDP with a synaptic eligibility trace (Izhikevich 2007).

    Pair STDP does not change the weight directly but an eligibility trace ``c`` per
    synapse:

    * presynaptic spike arrives: ``c ← c − a_minus·y``
    * postsynaptic spike: ``c ← c + a_plus·x``

    with pre/post traces ``x`` (``tau_plus``) and ``y`` (``tau_minus``) raised by 1 (or set
    to 1 when ``nearest``) at a spike. Every ``period`` [ms] the weight follows the
    eligibility, gated by the neuromodulator ``d`` above its tonic level ``tonic``:
    ``w ← clip(w + eta·(tonic + d)·c, w_min, w_max)``, then ``c ← c·exp(−period/tau_c)``
    (``period = dt`` gives the continuous form ``dw/dt ∝ (tonic + d)·c``). ``d`` decays
    with ``tau_d`` and jumps by ``reward`` at each spike of the projection's
    ``modulator`` population (a spike source or any population: "dopamine" neurons);
    between runs it can also be set from Python through the rule state.

    Args:
        tau_plus, tau_minus: STDP trace time constants [ms].
        a_plus, a_minus: eligibility increments, >= 0 (the sign is in the formula).
        tau_c: eligibility time constant [ms].
        tau_d: neuromodulator time constant [ms].
        reward: jump of ``d`` per modulator spike.
        tonic: tonic neuromodulator level added to ``d`` in the weight update.
        eta: learning rate of the weight update.
        period: interval of the weight update [ms] (a multiple of dt).
        w_min, w_max: weight bounds.
        nearest: STDP traces set to 1 at a spike (Izhikevich's) instead of raised by 1.

    References:
        Izhikevich (2007), Cereb. Cortex 17:2443 ("Solving the distal reward problem").
    """

    tau_plus: Array
    tau_minus: Array
    a_plus: Array
    a_minus: Array
    tau_c: Array
    tau_d: Array
    reward: Array
    tonic: Array
    eta: Array
    w_min: Array
    w_max: Array
    period: float = eqx.field(static=True)
    nearest: bool = eqx.field(static=True)

    def __init__(
        self,
        tau_plus: float = 20.0,
        tau_minus: float = 20.0,
        a_plus: float = 1.0,
        a_minus: float = 1.5,
        tau_c: float = 1000.0,
        tau_d: float = 200.0,
        reward: float = 0.5,
        tonic: float = 0.0,
        eta: float = 1.0,
        period: float = 1.0,
        w_min: float = 0.0,
        w_max: float = 4.0,
        nearest: bool = False,
    ):
        where = "RewardSTDP: "
        for name, value in (
            ("tau_plus", tau_plus),
            ("tau_minus", tau_minus),
            ("tau_c", tau_c),
            ("tau_d", tau_d),
            ("period", period),
        ):
            check_positive(name, value, where)
        for name, value in (("a_plus", a_plus), ("a_minus", a_minus), ("eta", eta)):
            check_nonnegative(name, value, where)
        if not jnp.all(as_param(w_max) > as_param(w_min)):
            raise ValueError(f"{where}w_max must be > w_min, got w_min={w_min}, w_max={w_max}.")
        self.tau_plus, self.tau_minus = as_param(tau_plus), as_param(tau_minus)
        self.a_plus, self.a_minus = as_param(a_plus), as_param(a_minus)
        self.tau_c, self.tau_d = as_param(tau_c), as_param(tau_d)
        self.reward, self.tonic, self.eta = as_param(reward), as_param(tonic), as_param(eta)
        self.w_min, self.w_max = as_param(w_min), as_param(w_max)
        self.period, self.nearest = float(period), bool(nearest)

    clock_driven = True

    def prepare(self, dt: float) -> None:
        period_steps(self.period, dt, "RewardSTDP: ")

    def init(self, n_pre: int, n_post: int) -> RewardSTDPState:
        zero = jnp.zeros((), float)
        return RewardSTDPState(
            jnp.zeros(n_pre, float), jnp.zeros(n_post, float), zero, jnp.zeros((), jnp.int32)
        )

    def init_synapses(self, w: Array) -> Array:
        return jnp.zeros_like(w)  # the eligibility trace c

    def decay(self, state: RewardSTDPState, dt: float) -> RewardSTDPState:
        return RewardSTDPState(
            decay_trace(state.x, dt, self.tau_plus),
            decay_trace(state.y, dt, self.tau_minus),
            decay_trace(state.dopamine, dt, self.tau_d),
            state.steps + 1,
        )

    def on_pre(self, state: RewardSTDPState, values: tuple, pre: Array, post: Array) -> tuple:
        w, c = values
        return w, c - self.a_minus * state.y[post]

    def on_post(self, state: RewardSTDPState, values: tuple, pre: Array, post: Array) -> tuple:
        w, c = values
        return w, c + self.a_plus * state.x[pre]

    def increment_pre(self, state: RewardSTDPState, pre: Array) -> RewardSTDPState:
        return state._replace(x=bump_trace(state.x, pre, self.nearest))

    def increment_post(self, state: RewardSTDPState, post: Array) -> RewardSTDPState:
        return state._replace(y=bump_trace(state.y, post, self.nearest))

    def update(
        self,
        state: RewardSTDPState,
        values: tuple,
        pre: Array,
        post: Array,
        dt: float,
        key: Array,
    ) -> tuple:
        """The clock-driven weight update, on all synapses, at the end of every period."""
        every = period_steps(self.period, dt, "RewardSTDP: ")

        def apply(values: tuple) -> tuple:
            w, c = values
            w = jnp.clip(w + self.eta * (self.tonic + state.dopamine) * c, self.w_min, self.w_max)
            return w, c * jnp.exp(-self.period / self.tau_c)

        due = state.steps % every == 0  # steps counts this step (decay raised it)
        return branch(due, apply, lambda v: v, values)

    def modulate(self, state: RewardSTDPState, spikes: Array) -> RewardSTDPState:
        """Add ``reward`` per spike of the modulator population this step."""
        count = jnp.sum(spikes).astype(state.dopamine.dtype)
        return state._replace(dopamine=state.dopamine + self.reward * count)
