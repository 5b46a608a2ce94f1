"""Spikes at given times: a spike-time array source."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from ._base import AbstractInput


class SpikeTimesInput(AbstractInput):
    """Units that spike at the given times (each time falls in the step ``round(t/dt)``).

    Args:
        times: spike times [ms], >= 0.
        indices: the unit of each spike.

    Raises:
        ValueError: mismatched shapes, negative or non-finite times, an index outside the
            population, or two spikes of one unit in the same step (one would be lost).
    """

    times: Array
    indices: Int[Array, " k"]

    def __init__(self, times: Array, indices: Array):
        t, idx = np.asarray(times, dtype=float), np.asarray(indices)
        if t.ndim != 1 or idx.shape != t.shape:
            raise ValueError(
                "SpikeTimesInput: times and indices must be 1-D arrays of equal length, got "
                f"shapes {t.shape} and {idx.shape}."
            )
        if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
            raise ValueError(f"SpikeTimesInput: times must be finite and >= 0 [ms], got {t.min()}.")
        if idx.size and idx.dtype.kind not in "iu":
            raise ValueError(f"SpikeTimesInput: indices must be integers, got dtype {idx.dtype}.")
        self.times, self.indices = jnp.asarray(t), jnp.asarray(idx.astype(np.int64))

    def _steps(self, dt: float) -> np.ndarray:
        return np.round(np.asarray(self.times) / dt).astype(np.int64)

    def prepare(self, n: int, dt: float) -> None:
        idx = np.asarray(self.indices)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            bad = idx[(idx < 0) | (idx >= n)][0]
            raise ValueError(
                f"SpikeTimesInput: index {int(bad)} is out of range for a population of {n}."
            )
        steps = self._steps(dt)
        pairs = steps * n + idx
        unique, counts = np.unique(pairs, return_counts=True)
        if np.any(counts > 1):
            first = unique[counts > 1][0]
            raise ValueError(
                f"SpikeTimesInput: unit {int(first % n)} has {int(counts.max())} spikes in "
                f"step {int(first // n)} (t ≈ {float(first // n) * dt} ms); at most one spike "
                f"per unit and step of dt={dt} ms can be represented: use a smaller dt."
            )

    def drive(self, key: Array, steps: Int[Array, " T"], n: int, dt: float) -> Array:
        offset = jnp.round(self.times / dt).astype(steps.dtype) - steps[0]
        length = steps.shape[0]
        row = jnp.where((offset >= 0) & (offset < length), offset, length)
        return jnp.zeros((length, n), bool).at[row, self.indices].set(True, mode="drop")
