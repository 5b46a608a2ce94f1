"""Weight-dependent exponential STDP (Diehl & Cook 2015; ngc-learn's ExpSTDPSynapse)."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule
from .traces import bump_trace, decay_trace


class ExpSTDPState(NamedTuple):
    """Traces of exponential STDP (dimensionless)."""

    x: Float[Array, " n_pre"]
    """Presynaptic trace (``tau_plus``)."""
    y: Float[Array, " n_post"]
    """Postsynaptic trace (``tau_minus``)."""


class ExpSTDP(AbstractRule):
    """Weight-dependent exponential STDP with a presynaptic trace target.

    The update of ngc-learn's ``ExpSTDPSynapse`` (after Diehl & Cook 2015), applied at the
    spikes that trigger it:

    * postsynaptic spike:
      ``w ← w + eta·a_plus·(x·e^(−beta·w) − x_target·e^(−beta·(w_max − w)))``
    * presynaptic spike arrives: ``w ← w − eta·a_minus·y·e^(−beta·w)``

    after each of which ``w`` is clipped into ``[eps, w_max − eps]``. The traces ``x``
    (``tau_plus``) and ``y`` (``tau_minus``) jump by 1 at their neuron's spike, or to 1
    when ``nearest`` (Diehl & Cook's own traces). ``x_target`` makes inputs that were
    silent before a post spike lose weight. Masked synapses (a ``Dense`` mask or absent
    synapses) are never touched, so they stay at 0.

    Args:
        tau_plus, tau_minus: trace time constants [ms].
        eta: global learning rate.
        a_plus, a_minus: potentiation and depression amplitudes [weight units], >= 0.
        beta: weight-dependence strength [1/weight units], >= 0 (0: no dependence).
        x_target: presynaptic trace target (ngc-learn ``pretrace_target``).
        w_max: upper weight bound (ngc-learn ``w_bound``), > 2·eps.
        eps: margin kept from the bounds.
        nearest: traces set to 1 at a spike instead of raised by 1.

    References:
        Diehl & Cook (2015), Front. Comput. Neurosci. 9:99. ngc-learn ``ExpSTDPSynapse``.
    """

    pre_state_shifts: ClassVar[bool] = True

    tau_plus: Array
    tau_minus: Array
    eta: Array
    a_plus: Array
    a_minus: Array
    beta: Array
    x_target: Array
    w_max: Array
    eps: Array
    nearest: bool = eqx.field(static=True)

    def __init__(
        self,
        tau_plus: float = 20.0,
        tau_minus: float = 20.0,
        eta: float = 1.0,
        a_plus: float = 1e-2,
        a_minus: float = 1e-4,
        beta: float = 1.0,
        x_target: float = 0.0,
        w_max: float = 1.0,
        eps: float = 1e-7,
        nearest: bool = True,
    ):
        where = "ExpSTDP: "
        check_positive("tau_plus", tau_plus, where)
        check_positive("tau_minus", tau_minus, where)
        for name, value in (
            ("eta", eta),
            ("a_plus", a_plus),
            ("a_minus", a_minus),
            ("beta", beta),
            ("x_target", x_target),
            ("eps", eps),
        ):
            check_nonnegative(name, value, where)
        if not jnp.all(as_param(w_max) > 2 * as_param(eps)):
            raise ValueError(f"{where}w_max must be > 2·eps, got w_max={w_max}, eps={eps}.")
        self.tau_plus, self.tau_minus = as_param(tau_plus), as_param(tau_minus)
        self.eta, self.a_plus, self.a_minus = as_param(eta), as_param(a_plus), as_param(a_minus)
        self.beta, self.x_target = as_param(beta), as_param(x_target)
        self.w_max, self.eps = as_param(w_max), as_param(eps)
        self.nearest = bool(nearest)

    def init(self, n_pre: int, n_post: int) -> ExpSTDPState:
        return ExpSTDPState(jnp.zeros(n_pre, float), jnp.zeros(n_post, float))

    def decay(self, state: ExpSTDPState, dt: float) -> ExpSTDPState:
        return ExpSTDPState(
            decay_trace(state.x, dt, self.tau_plus), decay_trace(state.y, dt, self.tau_minus)
        )

    def _clip(self, w: Array) -> Array:
        return jnp.clip(w, self.eps, self.w_max - self.eps)

    def on_pre(self, state: ExpSTDPState, w: Array, pre: Array, post: Array) -> Array:
        return self._clip(w - self.eta * self.a_minus * state.y[post] * jnp.exp(-self.beta * w))

    def on_post(self, state: ExpSTDPState, w: Array, pre: Array, post: Array) -> Array:
        toward = state.x[pre] * jnp.exp(-self.beta * w)
        away = self.x_target * jnp.exp(-self.beta * (self.w_max - w))
        return self._clip(w + self.eta * self.a_plus * (toward - away))

    def increment_pre(self, state: ExpSTDPState, pre: Array) -> ExpSTDPState:
        return state._replace(x=bump_trace(state.x, pre, self.nearest))

    def increment_post(self, state: ExpSTDPState, post: Array) -> ExpSTDPState:
        return state._replace(y=bump_trace(state.y, post, self.nearest))
