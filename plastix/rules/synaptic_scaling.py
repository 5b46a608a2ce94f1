"""Synaptic scaling (van Rossum, Bi & Turrigiano 2000): incoming weights follow the rate."""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._backend import branch
from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule, period_steps
from .traces import decay_trace


class SynapticScalingState(NamedTuple):
    """State of :class:`SynapticScaling`."""

    rate: Float[Array, " n_post"]
    """Running estimate of each postsynaptic neuron's rate [Hz]."""
    steps: Int[Array, ""]
    """Steps simulated so far, this one included (for the period of the update)."""


class SynapticScaling(AbstractRule):
    """Multiplicative scaling of every incoming weight toward a target postsynaptic rate.

    Each postsynaptic neuron keeps a rate estimate ``r`` [Hz], an exponential filter of
    its spike train: ``dr/dt = −r/tau_rate`` and ``r ← r + 1000/tau_rate`` at a spike
    (``tau_rate`` in ms). Every ``period`` [ms] each incoming weight is scaled,

        ``w ← clip(w·(1 + eta·period·(target − r)), w_min, w_max)``,

    the Euler step over ``period`` of ``dw/dt = eta·w·(target − r)`` (``eta`` in
    1/(Hz·ms)): a neuron firing below ``target`` strengthens all its inputs in
    proportion, one firing above weakens them, and the ratios between its weights (what
    Hebbian learning stored) are kept. Chain it after a Hebbian rule:
    ``chain(PairSTDP(...), SynapticScaling(...))``.

    Args:
        target: target rate [Hz], > 0.
        eta: scaling rate [1/(Hz·ms)], >= 0; ``eta·period·|target − r|`` should stay
            well below 1.
        tau_rate: time constant of the rate estimate [ms], > 0.
        period: interval between scalings [ms], a whole multiple of dt.
        w_min, w_max: weight bounds (w_max > w_min).

    References:
        van Rossum, Bi & Turrigiano (2000), J. Neurosci. 20:8812; Turrigiano et al.
        (1998), Nature 391:892.
    """

    target: Array
    eta: Array
    tau_rate: Array
    w_min: Array
    w_max: Array
    period: float = eqx.field(static=True)

    def __init__(
        self,
        target: float = 5.0,
        eta: float = 1e-6,
        tau_rate: float = 1000.0,
        period: float = 100.0,
        w_min: float = 0.0,
        w_max: float = float("inf"),
    ):
        where = "SynapticScaling: "
        check_positive("target", target, where)
        check_nonnegative("eta", eta, where)
        check_positive("tau_rate", tau_rate, where)
        check_positive("period", period, where)
        if not jnp.all(as_param(w_max) > as_param(w_min)):
            raise ValueError(f"{where}w_max must be > w_min, got w_min={w_min}, w_max={w_max}.")
        self.target, self.eta, self.tau_rate = as_param(target), as_param(eta), as_param(tau_rate)
        self.w_min, self.w_max = as_param(w_min), as_param(w_max)
        self.period = float(period)

    clock_driven = True

    def prepare(self, dt: float) -> None:
        period_steps(self.period, dt, "SynapticScaling: ")

    def init(self, n_pre: int, n_post: int) -> SynapticScalingState:
        rate = jnp.broadcast_to(self.target, (n_post,)).astype(float)  # start at the target
        return SynapticScalingState(rate, jnp.zeros((), jnp.int32))

    def decay(self, state: SynapticScalingState, dt: float) -> SynapticScalingState:
        return SynapticScalingState(decay_trace(state.rate, dt, self.tau_rate), state.steps + 1)

    def on_pre(self, state, w, pre, post):
        return w

    def on_post(self, state, w, pre, post):
        return w

    def increment_pre(self, state: SynapticScalingState, pre: Array) -> SynapticScalingState:
        return state

    def increment_post(self, state: SynapticScalingState, post: Array) -> SynapticScalingState:
        bump = 1000.0 / self.tau_rate
        return state._replace(rate=state.rate + bump * post.astype(state.rate.dtype))

    def update(self, state, w, pre, post, dt, key):
        """Scale the weights at the end of every period (all synapses)."""
        every = period_steps(self.period, dt, "SynapticScaling: ")

        def scale(w: Array) -> Array:
            error = self.target - state.rate.at[post].get(mode="fill", fill_value=0.0)
            return jnp.clip(w * (1.0 + self.eta * self.period * error), self.w_min, self.w_max)

        return branch(state.steps % every == 0, scale, lambda w: w, w)
