"""Rate sources: populations that emit given or random rates (one value per unit and step)."""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ._base import AbstractInput, step_keys


class RateArrayInput(AbstractInput):
    """Units that emit the rows of an array as rates, one row per step.

    Step ``k`` (absolute, counted from the start of the first run) emits ``values[k]``;
    with ``cycle=True`` it emits ``values[k mod T]``. The values take the place of spikes
    (see :class:`~plastix.neurons.RateNeuron`): a projection delivers ``w·value`` one
    delay later, and a rate-based rule (``Oja``, ``BCM``) reads them as its
    presynaptic activity ``x``.

    Args:
        values: ``[T, n]`` finite values (any unit: the unit of the rates), one row per
            step.
        cycle: start again at row 0 after the last row instead of raising.

    Raises:
        ValueError: values that are not a finite ``[T, n]`` array, or whose ``n`` is not
            the population's size (when the network is built). Without ``cycle``, a run
            past the last row is reported after the chunk (a SimulationError).
    """

    values: Float[Array, "T n"]
    cycle: bool = eqx.field(static=True)
    emits_rates: ClassVar[bool] = True
    drive_error_message: ClassVar[str] = (
        "the run went past the last row of its values (one row per step; entries = steps "
        "past the end): give more rows, run for fewer steps, or pass cycle=True"
    )

    def __init__(self, values: Array, cycle: bool = False):
        array = np.asarray(values, dtype=float)
        if array.ndim != 2 or array.shape[0] == 0:
            raise ValueError(
                f"RateArrayInput: values must be a [T, n] array (one row per step, T >= 1), "
                f"got shape {array.shape}."
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(
                f"RateArrayInput: values must be finite, got {array[~np.isfinite(array)][:3]}."
            )
        self.values, self.cycle = jnp.asarray(array), bool(cycle)

    def prepare(self, n: int, dt: float) -> None:
        if self.values.shape[1] != n:
            raise ValueError(
                f"RateArrayInput: values must have one column per unit, shape (T, {n}), got "
                f"shape {tuple(self.values.shape)}."
            )

    def drive(self, key: Array, steps: Int[Array, " T"], n: int, dt: float) -> dict:
        length = self.values.shape[0]
        rows = steps % length if self.cycle else jnp.minimum(steps, length - 1)
        past = jnp.zeros_like(steps) if self.cycle else (steps >= length)
        return {"rates": self.values[rows], "past_end": past.astype(jnp.int32)}

    def drive_errors(self, drive: dict) -> Array:
        return jnp.sum(drive["past_end"])

    def step(self, state: tuple, inputs: dict[str, Array], drive: dict, dt: float):
        return state, drive["rates"]


class GaussianRateInput(AbstractInput):
    """Units that emit a fresh Gaussian sample ``x ~ N(mean, cov)`` at every step.

    Each step's sample is drawn from ``fold_in(key, step)`` with the absolute step, a
    whole chunk in one vectorised call, so results do not depend on the chunk size. The
    sample is ``mean + L·z`` with ``z`` standard normal and ``L = V·sqrt(Λ)`` from the
    eigendecomposition ``cov = V·Λ·Vᵀ`` (a singular covariance is allowed).

    Args:
        cov: covariance (unit of the rates, squared): a ``[n, n]`` symmetric positive
            semi-definite matrix, ``[n]`` variances of independent units, or one variance
            for all units.
        mean: mean (unit of the rates): a number or one per unit.

    Raises:
        ValueError: a covariance that is not finite, not square, not symmetric or has a
            negative eigenvalue (or variance); a non-finite mean; or sizes that do not
            match the population (when the network is built).
    """

    cov: Array
    mean: Array
    emits_rates: ClassVar[bool] = True

    def __init__(self, cov: float | Array, mean: float | Array = 0.0):
        where = "GaussianRateInput: "
        c, m = np.asarray(cov, dtype=float), np.asarray(mean, dtype=float)
        if c.ndim > 2 or not np.all(np.isfinite(c)) or c.size == 0:
            raise ValueError(
                f"{where}cov must be a finite number, [n] variances or a [n, n] matrix, got "
                f"shape {c.shape}{'' if np.all(np.isfinite(c)) else ' with non-finite entries'}."
            )
        if c.ndim == 2:
            if c.shape[0] != c.shape[1]:
                raise ValueError(f"{where}cov must be a square [n, n] matrix, got shape {c.shape}.")
            scale = max(float(np.abs(c).max()), 1e-300)
            if not np.allclose(c, c.T, rtol=0, atol=1e-10 * scale):
                raise ValueError(
                    f"{where}cov must be symmetric, got max |cov − covᵀ| = "
                    f"{float(np.abs(c - c.T).max()):g}."
                )
            smallest = float(np.linalg.eigvalsh(c).min())
            if smallest < -1e-10 * scale:
                raise ValueError(
                    f"{where}cov must be positive semi-definite, got an eigenvalue {smallest:g}."
                )
        elif np.any(c < 0):
            raise ValueError(f"{where}cov (variances) must be >= 0, got {c[c < 0][:3]}.")
        if m.ndim > 1 or not np.all(np.isfinite(m)):
            raise ValueError(f"{where}mean must be a finite number or [n] values, got {mean!r}.")
        self.cov, self.mean = jnp.asarray(c), jnp.asarray(m)

    def prepare(self, n: int, dt: float) -> None:
        for name, value in (("cov", self.cov), ("mean", self.mean)):
            if value.ndim >= 1 and value.shape[0] != n:
                raise ValueError(
                    f"GaussianRateInput: {name} has shape {tuple(value.shape)} but the "
                    f"population has {n} units."
                )

    def _factor(self, n: int) -> Array:
        """``L`` with ``L·Lᵀ = cov`` as an ``[n, n]`` matrix."""
        if self.cov.ndim < 2:
            return jnp.diag(jnp.broadcast_to(jnp.sqrt(self.cov), (n,)))
        eigenvalues, vectors = jnp.linalg.eigh(self.cov)
        return vectors * jnp.sqrt(jnp.maximum(eigenvalues, 0.0))

    def drive(self, key: Array, steps: Int[Array, " T"], n: int, dt: float) -> Array:
        z = jax.vmap(lambda k: jax.random.normal(k, (n,), float))(step_keys(key, steps))
        return jnp.broadcast_to(self.mean, (n,)) + z @ self._factor(n).T
