"""Spike sources: populations whose spikes come from outside the network."""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from ..neurons._base import AbstractPopulationModel


class AbstractInput(AbstractPopulationModel):
    """A spike source whose spikes for a chunk are made by ``drive`` in one vectorised call.

    Its state is empty and ``step`` returns this step's row of the drive. A source
    accepts projections (their input is ignored), so that plasticity protocols can set
    both the pre- and the postsynaptic spike times.
    """

    receptors: ClassVar[tuple[str, ...]] = ("exc", "inh")

    def init(self, n: int, dt: float) -> tuple:
        return ()

    def step(self, state: tuple, inputs: dict[str, Array], drive: Any, dt: float):
        return state, drive


def step_keys(key: Array, steps: Int[Array, " T"]) -> Array:
    """One key per absolute step, ``fold_in(key, step)``: chunk-size independent."""
    return jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, steps)


def uniforms(key: Array, steps: Int[Array, " T"], shape: tuple[int, ...]) -> Array:
    """Uniform [0, 1) draws of ``shape`` for each step, in one vectorised call."""
    keys = step_keys(key, steps)
    return jax.vmap(lambda k: jax.random.uniform(k, shape))(keys)


def spike_probability(rate_hz: Array, dt: float) -> Array:
    """Probability of a spike in one step of ``dt`` [ms] at ``rate_hz`` [Hz]."""
    return rate_hz * (dt * 1e-3)


def count_invalid_probabilities(p: Array) -> Array:
    """Entries that are not a probability (rate < 0, rate·dt > 1 or not finite)."""
    bad: Bool[Array, "..."] = ~jnp.isfinite(p) | (p < 0) | (p > 1)
    return jnp.sum(bad).astype(jnp.int32)
