"""Poisson spike trains with constant or time-varying rates."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from ._base import (
    AbstractInput,
    count_invalid_probabilities,
    spike_probability,
    uniforms,
)
from ._gaps import bernoulli_spikes, spikes_per_block_bound, unpack_units

RateFn = Callable[[Array], Array]


class PoissonInput(AbstractInput):
    """Independent Poisson spike trains (at most one spike per unit and step).

    A unit spikes in a step with probability ``rate·dt``. The spikes of a whole chunk are
    drawn in one vectorised call and do not depend on the chunk size. A constant rate is
    drawn spike by spike (geometric gaps between spikes, in blocks of ``block`` ms keyed
    by ``fold_in(key, block)``), so it costs one random number per spike rather than one
    per unit and step; a rate function draws one uniform per unit and step, keyed by
    ``fold_in(key, step)``.

    Args:
        rate: rate [Hz]: a number, an array of one rate per unit, or a function of time
            ``t`` [ms] (an array of shape ``[T]``) returning ``[T]`` or ``[T, n]`` rates,
            written with ``jax.numpy``.
        block: length of the blocks of a constant-rate train [ms]. The spike buffer of a
            block is sized from the largest rate given here; a rate raised later (a
            replaced leaf) that overflows it is reported after the chunk.

    Raises:
        ValueError: a negative or non-finite constant rate. A rate function that returns
            a negative rate or one with ``rate·dt > 1`` is reported after the chunk.
    """

    rate: Array | None
    rate_fn: RateFn | None = eqx.field(static=True)
    block: float = eqx.field(static=True)
    max_spikes: int = eqx.field(static=True)
    drive_error_message: ClassVar[str] = (
        "rates are negative, not finite, too high for dt (rate·dt must be <= 1), or higher "
        "than the rate the source was built with (its per-block spike buffer is sized "
        "from it; build a new PoissonInput with the higher rate)"
    )

    def __init__(self, rate: float | Array | RateFn, block: float = 100.0):
        if not (isinstance(block, int | float) and math.isfinite(block) and block > 0):
            raise ValueError(
                f"PoissonInput: block must be a positive duration [ms], got {block!r}."
            )
        self.block = float(block)
        if callable(rate):
            self.rate, self.rate_fn, self.max_spikes = None, rate, 0
            return
        values = np.asarray(rate, dtype=float)
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"PoissonInput: rate must be finite and >= 0 [Hz], got {rate!r}.")
        self.rate, self.rate_fn = jnp.asarray(rate, dtype=float), None
        self.max_spikes = spikes_per_block_bound(float(values.max()) * self.block * 1e-3)

    def prepare(self, n: int, dt: float) -> None:
        if self.rate is None:
            return
        if self.rate.ndim > 1 or (self.rate.ndim == 1 and self.rate.shape[0] != n):
            raise ValueError(
                f"PoissonInput: rate must be a number or have shape ({n},) (one per unit), "
                f"got shape {tuple(self.rate.shape)}."
            )
        top = float(jnp.max(self.rate))
        if top * dt * 1e-3 > 1:
            raise ValueError(
                f"PoissonInput: rate {top} Hz is too high for dt={dt} ms: rate·dt must be "
                f"<= 1 (at most one spike per step); use a smaller dt."
            )

    def _probability(self, steps: Int[Array, " T"], n: int, dt: float) -> Array:
        if self.rate_fn is None:
            rate = jnp.broadcast_to(self.rate, (n,))[None, :]
        else:
            rate = jnp.asarray(self.rate_fn(steps * dt))
            rate = rate[:, None] if rate.ndim == 1 else rate
        return jnp.broadcast_to(spike_probability(rate, dt), (steps.shape[0], n))

    def _block_steps(self, dt: float) -> int:
        return max(1, round(self.block / dt))

    def drive(self, key: Array, steps: Int[Array, " T"], n: int, dt: float) -> dict:
        block_steps = self._block_steps(dt)
        if self.rate_fn is None and 4 * self.max_spikes < block_steps:
            p = jnp.broadcast_to(spike_probability(self.rate, dt), (n,))
            packed, overflowed = bernoulli_spikes(key, steps, p, n, block_steps, self.max_spikes)
            errors = (count_invalid_probabilities(p) + overflowed).astype(jnp.int32)
            # scan needs a T axis: the chunk's count goes in the first row.
            invalid = jnp.zeros(steps.shape[0], jnp.int32).at[0].set(errors)
            return {"packed": packed, "invalid": invalid}
        p = self._probability(steps, n, dt)
        spikes = uniforms(key, steps, (n,)) < p
        invalid = jax.vmap(count_invalid_probabilities)(p)  # per step: scan needs a T axis
        return {"spikes": spikes, "invalid": invalid}

    def drive_errors(self, drive: dict) -> Array:
        return jnp.sum(drive["invalid"])

    def expand_drive(self, drive: dict, n: int) -> dict:
        """The drive with its spikes as booleans ``[T, n]`` (a packed drive is unpacked)."""
        if "packed" not in drive:
            return drive
        return {"spikes": unpack_units(drive["packed"], n), "invalid": drive["invalid"]}

    def step(self, state: tuple, inputs: dict[str, Array], drive: dict, dt: float):
        if "packed" in drive:  # a source's inputs hold one entry per unit
            return state, unpack_units(drive["packed"], inputs["exc"].shape[-1])
        return state, drive["spikes"]
