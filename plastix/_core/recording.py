"""What monitors record inside a chunk, as static descriptions and pure functions."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .spec import NetworkSpec, NetworkState


class Recording(NamedTuple):
    """A static description of one monitor (hashable, so it can key a compiled chunk).

    ``kind`` is ``"spikes"`` (every step, of population ``target``), ``"state"`` (the
    variable ``variable`` of population ``target``) or ``"weights"`` (of projection
    ``target``, canonical synapse order). ``indices`` selects units or synapses (None:
    all); ``every`` is the recording period in steps.
    """

    kind: str
    target: int
    variable: str = ""
    every: int = 1
    indices: tuple[int, ...] | None = None


def periodic_value(spec: NetworkSpec, state: NetworkState, rec: Recording) -> Array:
    """The value a periodic recording takes from ``state``."""
    if rec.kind == "weights":
        proj = spec.projections[rec.target]
        value = proj.connectivity.to_canonical(state.projections[rec.target].w)
    else:
        value = getattr(state.populations[rec.target], rec.variable)
    return value if rec.indices is None else value[jnp.asarray(rec.indices)]


def periodic_rows(n_steps: int, every: int) -> int:
    """Rows a buffer needs to hold the records of ``n_steps`` steps (any phase)."""
    return -(-n_steps // every)


def recorded_steps(first_step: int, n_steps: int, every: int) -> np.ndarray:
    """The absolute steps in ``[first_step, first_step + n_steps)`` that are recorded."""
    start = first_step + (-first_step) % every
    return np.arange(start, first_step + n_steps, every)
