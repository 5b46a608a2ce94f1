"""Initial values drawn per synapse, in canonical (pre, post) order, from a key."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array

Initializer = Callable[[Array, int], Array]


def uniform(low: float, high: float) -> Initializer:
    """Values drawn uniformly in ``[low, high)``."""
    if not high >= low:
        raise ValueError(f"uniform: high must be >= low, got low={low}, high={high}.")

    def draw(key: Array, n: int) -> Array:
        return jax.random.uniform(key, (n,), float, low, high)

    return draw


def normal(mean: float, std: float) -> Initializer:
    """Values drawn from a normal distribution with ``mean`` and ``std`` (>= 0)."""
    if not std >= 0:
        raise ValueError(f"normal: std must be >= 0, got {std}.")

    def draw(key: Array, n: int) -> Array:
        return mean + std * jax.random.normal(key, (n,), float)

    return draw


def constant(value: float) -> Initializer:
    """The same value for every synapse."""

    def draw(key: Array, n: int) -> Array:
        return jnp.full((n,), value, float)

    return draw
