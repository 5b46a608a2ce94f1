"""A polynomial rate rule with learnable coefficients (Confavreux et al. 2020)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import _concrete, as_param, check_nonnegative, check_shape
from ._base import AbstractRule
from .oja import OjaState, activities, check_bounds

ORDER = 3
"""Powers 0, 1 and 2 of each of x, y and w."""


def _powers(v: Array) -> Array:
    """``[1, v, v²]`` stacked on a new leading axis (``0⁰ = 1`` exactly)."""
    return jnp.stack([jnp.ones_like(v), v, v * v])


class PolynomialRule(AbstractRule):
    """A rate rule whose weight change is a polynomial in ``x``, ``y`` and ``w``.

    Clock-driven: at every step, after the neurons stepped, every synapse ``(i, j)``
    changes by

        ``w_ij ← clip(w_ij + eta·dt·Σ_{α,β,γ ∈ {0,1,2}} θ_αβγ·x_iᵅ·y_jᵝ·w_ijᵞ, w_min, w_max)``,

    with ``x_i`` the presynaptic value that *arrived* this step (after the projection's
    delay), ``y_j`` the postsynaptic value of this step (both as for :class:`Oja`; a
    spike counts as 1) and ``0⁰ = 1``. The 27 coefficients ``θ`` are one ``[3, 3, 3]``
    array leaf indexed ``theta[α, β, γ]``, so ``jax.grad`` and ``jax.vmap`` reach them:
    this is the search space in which Confavreux et al. (2020) meta-learned Oja's rule.
    :meth:`oja` gives ``θ₁₁₀ = 1``, ``θ₀₂₁ = −1`` (``Δw = eta·dt·y·(x − y·w)``).

    The clipping to ``[w_min, w_max]`` is hard (a rule that diverges saturates instead
    of overflowing, and its gradient through a clipped weight is zero). Note that
    terms without ``x`` or ``y`` (``α = β = 0``) act even when nothing arrived.

    Args:
        theta: ``[3, 3, 3]`` finite coefficients (dimensionless; ``eta`` carries the unit).
        eta: learning rate [1/ms per unit of the polynomial], >= 0.
        w_min, w_max: weight bounds (default none; w_max > w_min).

    Raises:
        ValueError: ``theta`` of another shape or with non-finite entries, a negative
            ``eta``, or ``w_max <= w_min``.

    Example:
        >>> rule = PolynomialRule(jnp.zeros((3, 3, 3)), eta=0.005, w_min=-2.0, w_max=2.0)
        >>> rule = eqx.tree_at(lambda r: r.theta, rule, learned_theta)

    References:
        Confavreux, Zenke, Agnes, Lillicrap & Vogels (2020), "A meta-learning approach
        to (re)discover plasticity rules that carve a desired function into a neural
        network", NeurIPS 33. Oja (1982), J. Math. Biol. 15:267.
    """

    theta: Float[Array, "3 3 3"]
    eta: Array
    w_min: Array
    w_max: Array

    def __init__(
        self,
        theta: Array,
        eta: float = 1e-3,
        w_min: float = -float("inf"),
        w_max: float = float("inf"),
    ):
        where = "PolynomialRule: "
        check_shape("theta", theta, (ORDER,) * 3, where)
        concrete = _concrete(theta)
        if concrete is not None and not np.all(np.isfinite(concrete)):
            raise ValueError(f"{where}theta must be finite, got non-finite entries.")
        check_nonnegative("eta", eta, where)
        check_bounds(w_min, w_max, where)
        self.theta = as_param(theta)
        self.eta, self.w_min, self.w_max = as_param(eta), as_param(w_min), as_param(w_max)

    @classmethod
    def oja(
        cls, eta: float = 1e-3, w_min: float = -float("inf"), w_max: float = float("inf")
    ) -> PolynomialRule:
        """Oja's rule as a polynomial: ``θ₁₁₀ = 1`` (``x·y``), ``θ₀₂₁ = −1`` (``y²·w``)."""
        theta = np.zeros((ORDER,) * 3)
        theta[1, 1, 0], theta[0, 2, 1] = 1.0, -1.0
        return cls(theta, eta, w_min, w_max)

    clock_driven: ClassVar[bool] = True
    accepts_rates: ClassVar[bool] = True

    def init(self, n_pre: int, n_post: int) -> OjaState:
        return activities(n_pre, n_post)

    def decay(self, state: OjaState, dt: float) -> OjaState:
        return state  # the activities are replaced every step

    def on_pre(self, state: OjaState, w: Array, pre: Array, post: Array) -> Array:
        return w  # clock-driven only: see update

    def on_post(self, state: OjaState, w: Array, pre: Array, post: Array) -> Array:
        return w

    def increment_pre(self, state: OjaState, pre: Array) -> OjaState:
        return state._replace(x=jnp.asarray(pre, state.x.dtype))

    def increment_post(self, state: OjaState, post: Array) -> OjaState:
        return state._replace(y=jnp.asarray(post, state.y.dtype))

    def change(self, x: Array, y: Array, w: Array) -> Array:
        """``Σ θ_αβγ·xᵅ·yᵝ·wᵞ`` elementwise (broadcast ``x``, ``y`` and ``w`` alike)."""
        x, y, w = jnp.broadcast_arrays(x, y, w)
        return jnp.einsum("abc,a...,b...,c...->...", self.theta, _powers(x), _powers(y), _powers(w))

    def update(
        self, state: OjaState, values: Array, pre: Array, post: Array, dt: float, key: Array
    ) -> Array:
        """One Euler step of the polynomial on every synapse, then the hard bounds."""
        dw = self.eta * dt * self.change(state.x[pre], state.y[post], values)
        return jnp.clip(values + dw, self.w_min, self.w_max)
