"""Inhibitory STDP (Vogels et al. 2011): a symmetric rule that holds a target rate."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule
from .traces import bump_trace, decay_trace


class InhibitorySTDPState(NamedTuple):
    """Traces of inhibitory STDP (dimensionless)."""

    x: Float[Array, " n_pre"]
    """Presynaptic trace."""
    y: Float[Array, " n_post"]
    """Postsynaptic trace."""


class InhibitorySTDP(AbstractRule):
    """Inhibitory STDP of Vogels, Sprekeler, Zenke, Clopath & Gerstner (2011).

    Traces ``x`` (pre) and ``y`` (post) decay with ``tau`` and jump by 1 at a spike.

    * presynaptic (inhibitory) spike arrives: ``w ← clip(w + eta·(y − alpha))``
    * postsynaptic spike: ``w ← clip(w + eta·x)``

    with ``alpha = 2·rho0·tau`` (``rho0`` in Hz, ``tau`` in ms, so ``alpha`` is
    dimensionless). Near-coincident spikes strengthen inhibition; lone presynaptic spikes
    weaken it, so the postsynaptic rate settles near ``rho0``. Weights stay in
    ``[w_min, w_max]`` (inhibitory weights are positive magnitudes onto an inhibitory
    receptor).

    Args:
        tau: trace time constant [ms].
        eta: learning rate [weight units].
        rho0: target postsynaptic rate [Hz], >= 0.
        w_min: lower bound [weight units] (0).
        w_max: upper bound [weight units], > w_min (default: unbounded).

    References:
        Vogels, Sprekeler, Zenke, Clopath & Gerstner (2011), Science 334:1569.
    """

    pre_state_shifts: ClassVar[bool] = True

    tau: Array
    eta: Array
    rho0: Array
    w_min: Array
    w_max: Array

    def __init__(
        self,
        tau: float = 20.0,
        eta: float = 1e-3,
        rho0: float = 5.0,
        w_min: float = 0.0,
        w_max: float = float("inf"),
    ):
        where = "InhibitorySTDP: "
        check_positive("tau", tau, where)
        check_nonnegative("eta", eta, where)
        check_nonnegative("rho0", rho0, where)
        if not jnp.all(as_param(w_max) > as_param(w_min)):
            raise ValueError(f"{where}w_max must be > w_min, got w_min={w_min}, w_max={w_max}.")
        self.tau, self.eta, self.rho0 = as_param(tau), as_param(eta), as_param(rho0)
        self.w_min, self.w_max = as_param(w_min), as_param(w_max)

    @property
    def alpha(self) -> Array:
        """Depression offset ``2·rho0·tau`` (dimensionless; rho0 [Hz] × tau [ms] / 1000)."""
        return 2.0 * self.rho0 * self.tau * 1e-3

    def init(self, n_pre: int, n_post: int) -> InhibitorySTDPState:
        return InhibitorySTDPState(jnp.zeros(n_pre, float), jnp.zeros(n_post, float))

    def decay(self, state: InhibitorySTDPState, dt: float) -> InhibitorySTDPState:
        return InhibitorySTDPState(
            decay_trace(state.x, dt, self.tau), decay_trace(state.y, dt, self.tau)
        )

    def on_pre(self, state: InhibitorySTDPState, w: Array, pre: Array, post: Array) -> Array:
        return jnp.clip(w + self.eta * (state.y[post] - self.alpha), self.w_min, self.w_max)

    def on_post(self, state: InhibitorySTDPState, w: Array, pre: Array, post: Array) -> Array:
        return jnp.clip(w + self.eta * state.x[pre], self.w_min, self.w_max)

    def increment_pre(self, state: InhibitorySTDPState, pre: Array) -> InhibitorySTDPState:
        return state._replace(x=bump_trace(state.x, pre, False))

    def increment_post(self, state: InhibitorySTDPState, post: Array) -> InhibitorySTDPState:
        return state._replace(y=bump_trace(state.y, post, False))
