"""Pair-based STDP: additive, multiplicative (Gütig μ), all-to-all or nearest-spike."""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._backend import skips_work
from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule
from .traces import bump_trace, decay_trace


class PairSTDPState(NamedTuple):
    """Traces of pair STDP."""

    x: Float[Array, " n_pre"]
    """Presynaptic trace, one per presynaptic slot (dimensionless)."""
    y: Float[Array, " n_post"]
    """Postsynaptic trace, one per postsynaptic neuron (dimensionless)."""


def _power(distance: Array, mu: Array) -> Array:
    positive = distance > 0
    safe = jnp.where(positive, distance, 1.0)
    return jnp.where(positive, jnp.power(safe, mu), jnp.where(mu == 0, 1.0, 0.0))


@jax.custom_jvp
def weight_dependence(distance: Array, mu: Array) -> Array:
    """``distance**mu`` for a distance in [0, 1], with ``0**0 = 1`` and finite gradients.

    A plain ``jnp.power`` has a NaN gradient at ``distance = 0`` (a weight on its bound),
    which would poison ``jax.grad`` through any run where a weight saturates. The common
    exponents 0 (additive) and 1 (multiplicative) skip the power, which would otherwise
    dominate a CPU step; the derivative with respect to ``mu`` stays exact.
    """
    branches = (
        lambda d, m: jnp.ones_like(d * m),
        lambda d, m: jnp.broadcast_to(jnp.where(d > 0, d, 0.0), jnp.shape(d * m)),
        _power,
    )
    if not skips_work():  # on an accelerator the power is cheaper than a branch
        return _power(distance, mu)
    which = jnp.where(jnp.all(mu == 0), 0, jnp.where(jnp.all(mu == 1), 1, 2))
    return jax.lax.switch(which, branches, distance, mu)


@weight_dependence.defjvp
def _weight_dependence_jvp(primals, tangents):
    distance, mu = primals
    d_distance, d_mu = tangents
    out = weight_dependence(distance, mu)
    positive = distance > 0
    safe = jnp.where(positive, distance, 1.0)
    by_distance = jnp.where(positive, mu * jnp.power(safe, mu - 1), 0.0)
    by_mu = jnp.where(positive, out * jnp.log(safe), 0.0)
    return out, by_distance * d_distance + by_mu * d_mu


class PairSTDP(AbstractRule):
    """Pair-based STDP with exponential traces (Song et al. 2000; Gütig et al. 2003).

    Traces: ``dx/dt = -x/tau_plus`` (pre), ``dy/dt = -y/tau_minus`` (post), each raised
    by 1 at its neuron's spike (or set to 1 when ``nearest``). With
    ``f₊(w) = ((w_max − w)/(w_max − w_min))^mu_plus`` and
    ``f₋(w) = ((w − w_min)/(w_max − w_min))^mu_minus``:

    * presynaptic spike arrives: ``w ← clip(w − a_minus·f₋(w)·y, w_min, w_max)``
    * postsynaptic spike: ``w ← clip(w + a_plus·f₊(w)·x, w_min, w_max)``

    An isolated pair with ``Δt = t_post − t_pre`` changes ``w`` by
    ``a_plus·exp(−Δt/tau_plus)`` (Δt > 0) or ``−a_minus·exp(Δt/tau_minus)`` (Δt < 0).
    ``mu = 0`` is additive STDP with hard bounds; ``mu = 1`` multiplicative (soft bounds).

    Args:
        tau_plus: presynaptic trace time constant [ms].
        tau_minus: postsynaptic trace time constant [ms].
        a_plus: potentiation amplitude [weight units], >= 0.
        a_minus: depression amplitude [weight units], >= 0 (the sign is in the formula).
        w_min: lower weight bound [weight units].
        w_max: upper weight bound [weight units], > w_min.
        mu_plus: weight dependence of potentiation (0 additive, 1 multiplicative).
        mu_minus: weight dependence of depression.
        nearest: nearest-spike interaction (traces set to 1) instead of all-to-all.

    References:
        Song, Miller & Abbott (2000), Nat. Neurosci. 3:919. Gütig, Aharonov, Rotter &
        Sompolinsky (2003), J. Neurosci. 23:3697.
    """

    tau_plus: Array
    tau_minus: Array
    a_plus: Array
    a_minus: Array
    w_min: Array
    w_max: Array
    mu_plus: Array
    mu_minus: Array
    nearest: bool = eqx.field(static=True)

    def __init__(
        self,
        tau_plus: float = 20.0,
        tau_minus: float = 20.0,
        a_plus: float = 0.01,
        a_minus: float = 0.0105,
        w_min: float = 0.0,
        w_max: float = 1.0,
        mu_plus: float = 0.0,
        mu_minus: float = 0.0,
        nearest: bool = False,
    ):
        where = "PairSTDP: "
        check_positive("tau_plus", tau_plus, where)
        check_positive("tau_minus", tau_minus, where)
        check_nonnegative("a_plus", a_plus, where)
        check_nonnegative("a_minus", a_minus, where)
        check_nonnegative("mu_plus", mu_plus, where)
        check_nonnegative("mu_minus", mu_minus, where)
        if not jnp.all(as_param(w_max) > as_param(w_min)):
            raise ValueError(f"{where}w_max must be > w_min, got w_min={w_min}, w_max={w_max}.")
        self.tau_plus, self.tau_minus = as_param(tau_plus), as_param(tau_minus)
        self.a_plus, self.a_minus = as_param(a_plus), as_param(a_minus)
        self.w_min, self.w_max = as_param(w_min), as_param(w_max)
        self.mu_plus, self.mu_minus = as_param(mu_plus), as_param(mu_minus)
        self.nearest = bool(nearest)

    def init(self, n_pre: int, n_post: int) -> PairSTDPState:
        return PairSTDPState(jnp.zeros(n_pre, float), jnp.zeros(n_post, float))

    def decay(self, state: PairSTDPState, dt: float) -> PairSTDPState:
        return PairSTDPState(
            decay_trace(state.x, dt, self.tau_plus), decay_trace(state.y, dt, self.tau_minus)
        )

    def _span(self) -> Array:
        return self.w_max - self.w_min

    def on_pre(self, state: PairSTDPState, w: Array, pre: Array, post: Array) -> Array:
        depression = weight_dependence((w - self.w_min) / self._span(), self.mu_minus)
        return jnp.clip(w - self.a_minus * depression * state.y[post], self.w_min, self.w_max)

    def on_post(self, state: PairSTDPState, w: Array, pre: Array, post: Array) -> Array:
        potentiation = weight_dependence((self.w_max - w) / self._span(), self.mu_plus)
        return jnp.clip(w + self.a_plus * potentiation * state.x[pre], self.w_min, self.w_max)

    def increment_pre(self, state: PairSTDPState, pre: Array) -> PairSTDPState:
        return state._replace(x=bump_trace(state.x, pre, self.nearest))

    def increment_post(self, state: PairSTDPState, post: Array) -> PairSTDPState:
        return state._replace(y=bump_trace(state.y, post, self.nearest))
