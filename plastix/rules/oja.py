"""Oja's rule (1982): Hebbian learning with a decay that keeps the weight norm at one."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_param, check_nonnegative
from ._base import AbstractRule


class OjaState(NamedTuple):
    """The activities of one step, read by :class:`Oja` and :class:`BCM`."""

    x: Float[Array, " n_pre"]
    """Presynaptic value that arrived this step (a rate, or 1 for an arrived spike)."""
    y: Float[Array, " n_post"]
    """Postsynaptic value of this step (a rate, or 1 for a spike)."""


def check_bounds(w_min: float, w_max: float, where: str) -> None:
    """Raise ValueError unless ``w_max > w_min`` everywhere."""
    if not jnp.all(as_param(w_max) > as_param(w_min)):
        raise ValueError(f"{where}w_max must be > w_min, got w_min={w_min}, w_max={w_max}.")


def activities(n_pre: int, n_post: int) -> OjaState:
    """Zero activities for ``n_pre`` presynaptic slots and ``n_post`` neurons."""
    return OjaState(jnp.zeros(n_pre, float), jnp.zeros(n_post, float))


class Oja(AbstractRule):
    """Oja's rule: a Hebbian term and a decay ``∝ y²`` that normalises the weights.

    Clock-driven: at every step, after the neurons stepped, every synapse ``(i, j)``
    changes by the Euler step of ``dw_ij/dt = eta·y_j·(x_i − y_j·w_ij)``,

        ``w_ij ← clip(w_ij + eta·dt·y_j·(x_i − y_j·w_ij), w_min, w_max)``,

    with ``x_i`` the presynaptic value that *arrived* this step (after the projection's
    delay) and ``y_j`` the postsynaptic value of this step. With ``dt = 1`` ms and one
    sample per step this is Oja's online update with learning rate ``eta``. For a linear
    unit ``y = wᵀx`` fed by the same ``x`` (a ``RateNeuron`` whose input arrives through
    this projection), ``w`` converges to the unit principal eigenvector of
    ``E[x·xᵀ]`` when ``eta`` is small. A spiking population's spike counts as 1.

    Args:
        eta: learning rate [1/ms per unit of x·y], >= 0.
        w_min, w_max: weight bounds (default none; w_max > w_min).

    References:
        Oja (1982), J. Math. Biol. 15:267 ("A simplified neuron model as a principal
        component analyzer").
    """

    eta: Array
    w_min: Array
    w_max: Array

    def __init__(
        self, eta: float = 1e-3, w_min: float = -float("inf"), w_max: float = float("inf")
    ):
        check_nonnegative("eta", eta, "Oja: ")
        check_bounds(w_min, w_max, "Oja: ")
        self.eta, self.w_min, self.w_max = as_param(eta), as_param(w_min), as_param(w_max)

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

    def update(
        self, state: OjaState, values: Array, pre: Array, post: Array, dt: float, key: Array
    ) -> Array:
        """One Euler step of Oja's rule on every synapse."""
        x, y = state.x[pre], state.y[post]
        return jnp.clip(values + self.eta * dt * y * (x - y * values), self.w_min, self.w_max)
