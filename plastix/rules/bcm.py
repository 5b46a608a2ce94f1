"""The BCM rule (Bienenstock, Cooper & Munro 1982) with a sliding threshold."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule
from .oja import check_bounds


class BCMState(NamedTuple):
    """State of :class:`BCM`."""

    x: Float[Array, " n_pre"]
    """Presynaptic value that arrived this step (a rate, or 1 for an arrived spike)."""
    y: Float[Array, " n_post"]
    """Postsynaptic value of this step (a rate, or 1 for a spike)."""
    theta: Float[Array, " n_post"]
    """Sliding threshold ``θ_M`` (unit of y) of this step's weight update: the y of
    this step enters it at the start of the next step."""
    target: Float[Array, " n_post"]
    """``y²/y0`` of this step (unit of y), the value ``θ_M`` relaxes toward next."""


class BCM(AbstractRule):
    """BCM: Hebbian LTP above a sliding threshold, LTD below it (Intrator–Cooper form).

    Clock-driven: at every step, after the neurons stepped, every synapse ``(i, j)``
    takes the Euler step of ``dw_ij/dt = eta·x_i·y_j·(y_j − θ_j)``,

        ``w_ij ← clip(w_ij + eta·dt·x_i·y_j·(y_j − θ_j), w_min, w_max)``,

    and *then* each postsynaptic threshold follows ``y_j²/y0`` exactly (a low-pass filter
    with time constant ``tau_theta`` [ms], the input held over the step):

        ``θ_j ← y_j²/y0 + (θ_j − y_j²/y0)·exp(−dt/tau_theta)``

    (applied at the start of the next step, which is the same: a step's weight update
    uses the θ from before that step's y; ``state.theta`` is that θ).

    ``x_i`` is the presynaptic value that *arrived* this step (after the projection's
    delay) and ``y_j`` the postsynaptic value of this step; a spike counts as 1. With
    ``K`` equiprobable orthonormal patterns and a linear unit ``y = wᵀx``, the stable
    fixed points are selective: one pattern gives ``y = K·y0``, the others 0. The
    threshold must be faster than the weights: roughly ``tau_theta < 1/(eta·y0)``
    (with ``dt = 1`` ms), or the weights oscillate.

    Args:
        eta: learning rate [1/ms per unit of x·y²], >= 0.
        tau_theta: time constant of the threshold [ms], > 0.
        y0: scale of the threshold, ``θ_M → E[y²]/y0`` (unit of y), > 0.
        theta_init: initial threshold (unit of y), >= 0.
        w_min, w_max: weight bounds (default none; w_max > w_min).

    References:
        Bienenstock, Cooper & Munro (1982), J. Neurosci. 2:32; Intrator & Cooper (1992),
        Neural Networks 5:3 (the ``θ_M = E[y²]`` form); Cooper, Intrator, Blais &
        Shouval (2004), "Theory of Cortical Plasticity" (``y²/y0``).
    """

    eta: Array
    tau_theta: Array
    y0: Array
    theta_init: Array
    w_min: Array
    w_max: Array

    def __init__(
        self,
        eta: float = 1e-3,
        tau_theta: float = 100.0,
        y0: float = 1.0,
        theta_init: float = 0.0,
        w_min: float = -float("inf"),
        w_max: float = float("inf"),
    ):
        where = "BCM: "
        check_nonnegative("eta", eta, where)
        check_positive("tau_theta", tau_theta, where)
        check_positive("y0", y0, where)
        check_nonnegative("theta_init", theta_init, where)
        check_bounds(w_min, w_max, where)
        self.eta, self.tau_theta, self.y0 = as_param(eta), as_param(tau_theta), as_param(y0)
        self.theta_init = as_param(theta_init)
        self.w_min, self.w_max = as_param(w_min), as_param(w_max)

    clock_driven: ClassVar[bool] = True
    accepts_rates: ClassVar[bool] = True

    def init(self, n_pre: int, n_post: int) -> BCMState:
        theta = jnp.broadcast_to(self.theta_init, (n_post,)).astype(float)
        # target = theta: the first decay leaves θ at theta_init exactly.
        return BCMState(jnp.zeros(n_pre, float), jnp.zeros(n_post, float), theta, theta)

    def decay(self, state: BCMState, dt: float) -> BCMState:
        """θ takes in the previous step's ``y²/y0`` (after that step's weight update)."""
        target = state.target
        theta = target + (state.theta - target) * jnp.exp(-dt / self.tau_theta)
        return state._replace(theta=theta)

    def on_pre(self, state: BCMState, w: Array, pre: Array, post: Array) -> Array:
        return w  # clock-driven only: see update

    def on_post(self, state: BCMState, w: Array, pre: Array, post: Array) -> Array:
        return w

    def increment_pre(self, state: BCMState, pre: Array) -> BCMState:
        return state._replace(x=jnp.asarray(pre, state.x.dtype))

    def increment_post(self, state: BCMState, post: Array) -> BCMState:
        y = jnp.asarray(post, state.y.dtype)
        return state._replace(y=y, target=y * y / self.y0)

    def update(
        self, state: BCMState, values: Array, pre: Array, post: Array, dt: float, key: Array
    ) -> Array:
        """One Euler step of the BCM rule on every synapse, with θ from before this step."""
        x, y, theta = state.x[pre], state.y[post], state.theta[post]
        return jnp.clip(values + self.eta * dt * x * y * (y - theta), self.w_min, self.w_max)
