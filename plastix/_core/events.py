"""Fixed-capacity event buffers: the indices of spiking neurons, padded, with a count.

Under ``jit`` shapes are static, so the spiking neurons of a step are gathered into a
buffer of ``capacity`` slots (``jnp.nonzero(..., size=capacity)``); unused slots hold the
out-of-range index ``n`` and are dropped by every scatter. When more neurons spike than
the buffer holds, the count says by how much, so the host can raise (or the projection
can take the all-synapse path for that step): a spike is never dropped silently.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Bool, Int


class EventBuffer(NamedTuple):
    """Indices of spiking neurons (padded with ``n``) and how many spiked."""

    ids: Int[Array, " capacity"]
    count: Int[Array, ""]

    def overflowed(self) -> Bool[Array, ""]:
        return self.count > self.ids.shape[0]


def gather_events(spikes: Bool[Array, " n"], capacity: int) -> EventBuffer:
    """The event buffer of ``spikes`` with ``capacity`` slots."""
    n = spikes.shape[0]
    (ids,) = jnp.nonzero(spikes, size=capacity, fill_value=n)
    return EventBuffer(ids, jnp.sum(spikes, dtype=jnp.int32))


def overflow_needed(buffer: EventBuffer) -> Int[Array, ""]:
    """The count when the buffer overflowed, else 0 (kept as a running maximum in state)."""
    return jnp.where(buffer.overflowed(), buffer.count, 0)
