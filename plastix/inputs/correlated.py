"""Correlated Poisson spike trains: copies of a shared train (multiple-interaction process)."""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Int

from .._checks import check_nonnegative
from ._base import AbstractInput, spike_probability, step_keys


class CorrelatedPoissonInput(AbstractInput):
    """Poisson trains with pairwise correlation ``c`` (Kuhn et al. 2003, MIP).

    A shared *mother* train spikes with rate ``rate/c``; each unit copies each mother
    spike independently with probability ``c``. Every unit is then Poisson at ``rate``
    and the spike-count correlation of any two units is ``c``; ``c = 1`` makes all units
    share one train, ``c = 0`` makes them independent.

    Args:
        rate: rate of each unit [Hz].
        c: correlation in [0, 1].

    References:
        Kuhn, Aertsen & Rotter (2003), Neural Comput. 15:67.
    """

    rate: Array
    c: Array
    drive_error_message: ClassVar[str] = "rate·dt/c must be <= 1 (mother-train rate too high)"

    def __init__(self, rate: float, c: float):
        check_nonnegative("rate", rate, "CorrelatedPoissonInput: ")
        if not 0.0 <= float(c) <= 1.0:
            raise ValueError(f"CorrelatedPoissonInput: c must lie in [0, 1], got {c!r}.")
        self.rate, self.c = jnp.asarray(rate, dtype=float), jnp.asarray(c, dtype=float)

    def prepare(self, n: int, dt: float) -> None:
        p = float(spike_probability(self.rate, dt))
        if float(self.c) > 0 and p / float(self.c) > 1:
            raise ValueError(
                f"CorrelatedPoissonInput: rate·dt/c = {p / float(self.c):.3g} must be <= 1 "
                f"(the mother train spikes at rate/c); raise c or lower dt."
            )

    def drive(self, key: Array, steps: Int[Array, " T"], n: int, dt: float) -> Array:
        p = spike_probability(self.rate, dt)

        def one_step(k: Array) -> Array:
            k_mother, k_copy = jax.random.split(k)
            u_copy = jax.random.uniform(k_copy, (n,))
            # c == 0: independent trains (no mother); otherwise copy the mother's spike.
            mother = jax.random.uniform(k_mother) < p / jnp.where(self.c > 0, self.c, 1.0)
            return jnp.where(self.c > 0, mother & (u_copy < self.c), u_copy < p)

        return jax.vmap(one_step)(step_keys(key, steps))
