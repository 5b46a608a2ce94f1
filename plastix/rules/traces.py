"""Exponentially decaying spike traces, integrated exactly.

A trace obeys ``dx/dt = -x/tau`` between spikes and jumps at each spike: by 1
(all-to-all interaction: every earlier spike counts) or to 1 (nearest-spike: only the
latest spike counts). Decay over a step is the exact factor ``exp(-dt/tau)``.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Bool, Float


def decay_trace(x: Float[Array, "..."], dt: float, tau: Array) -> Float[Array, "..."]:
    """The trace ``x`` after ``dt`` [ms] without spikes (time constant ``tau`` [ms])."""
    return x * jnp.exp(-dt / tau)


def bump_trace(
    x: Float[Array, "..."], spikes: Bool[Array, "..."], nearest: bool
) -> Float[Array, "..."]:
    """The trace after this step's ``spikes``: ``x + 1`` (all-to-all) or ``1`` (nearest)."""
    if nearest:
        return jnp.where(spikes, 1.0, x).astype(x.dtype)
    return x + spikes.astype(x.dtype)
