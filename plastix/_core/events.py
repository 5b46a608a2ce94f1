"""Fixed-capacity event buffers: the indices of spiking neurons, padded, with a count.

Under ``jit`` shapes are static, so the spiking neurons of a step are gathered into a
buffer of ``capacity`` slots; unused slots hold the out-of-range index ``n`` and are
dropped by every scatter. When more neurons spike than the buffer holds, the count says
by how much, so the host can raise (or the projection can take the all-synapse path for
that step): a spike is never dropped silently.

How a buffer is walked depends on the backend (``plastix._backend``). On an accelerator
every slot is processed at once, used or not. On a CPU, where a scatter costs per
element, ``for_events`` visits the slots in blocks and stops after the last spike,
so the work follows the spikes of the step rather than the capacity (measured on
W3, benchmarks/results: a buffer of 16 slots held ~2 spikes per step). Both visit the
same synapses with the same values.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from .._backend import skips_work

_BLOCK = 32
"""Neurons per block in the CPU search for spikes (two small searches instead of one
over all neurons: ``jnp.nonzero`` costs ~10 ns per neuron on a CPU)."""

_BLOCK_WORK = 256
"""Synapse slots worth one round of the CPU event loop: rounds of fewer events than
this would cost more in loop overhead than they save."""


class EventBuffer(NamedTuple):
    """Indices of spiking neurons (padded with ``n``) and how many spiked."""

    ids: Int[Array, " capacity"]
    count: Int[Array, ""]

    def overflowed(self) -> Bool[Array, ""]:
        return self.count > self.ids.shape[0]


def _first_true(mask: Bool[Array, " m"], k: int) -> Int[Array, " k"]:
    """Positions of the first ``k`` true entries of ``mask``, ``m`` for missing ones."""
    rank = jnp.cumsum(mask, dtype=jnp.int32)  # rank[i]: true entries in mask[: i + 1]
    wanted = jnp.arange(1, k + 1, dtype=jnp.int32)
    return jnp.searchsorted(rank, wanted, side="left", method="scan_unrolled").astype(jnp.int32)


def _blocked_nonzero(spikes: Bool[Array, " n"], capacity: int) -> Int[Array, " capacity"]:
    """``jnp.nonzero(spikes, size=capacity, fill_value=n)``, found block by block: the
    first ``capacity`` blocks holding a spike contain the first ``capacity`` spikes."""
    n = spikes.shape[0]
    n_blocks = -(-n // _BLOCK)
    blocks = jnp.pad(spikes, (0, n_blocks * _BLOCK - n)).reshape(n_blocks, _BLOCK)
    block_ids = _first_true(jnp.any(blocks, axis=1), capacity)  # n_blocks where missing
    rows = blocks.at[block_ids].get(mode="fill", fill_value=False)  # [capacity, _BLOCK]
    flat = _first_true(rows.reshape(-1), capacity)
    block = block_ids.at[flat // _BLOCK].get(mode="fill", fill_value=n_blocks)
    return jnp.where(flat < capacity * _BLOCK, block * _BLOCK + flat % _BLOCK, n)


def gather_events(spikes: Bool[Array, " n"], capacity: int) -> EventBuffer:
    """The event buffer of ``spikes`` with ``capacity`` slots: the spiking neurons in
    increasing order, then ``n``."""
    n = spikes.shape[0]
    if not skips_work():
        (ids,) = jnp.nonzero(spikes, size=capacity, fill_value=n)
    elif capacity * _BLOCK < n:
        ids = _blocked_nonzero(spikes, capacity)
    else:  # a buffer nearly as large as the population: one search
        ids = _first_true(spikes, capacity)
    return EventBuffer(ids, jnp.sum(spikes, dtype=jnp.int32))


def overflow_needed(buffer: EventBuffer) -> Int[Array, ""]:
    """The count when the buffer overflowed, else 0 (kept as a running maximum in state)."""
    return jnp.where(buffer.overflowed(), buffer.count, 0)


def for_events(
    buffer: EventBuffer,
    fn: Callable[..., Any],
    carry: Any,
    *,
    fill: int,
    width: int,
    aligned: tuple[Array, ...] = (),
    loop: bool = True,
    after: Array | None = None,
) -> Any:
    """``carry = fn(carry, ids, *aligned_slots)`` over the slots of ``buffer``.

    ``fn`` must give the same result whether it gets all slots at once or consecutive
    blocks of them in order (true for updates of disjoint synapses, and for sums taken
    in slot order). ``aligned`` holds arrays indexed like the slots (a value per event);
    ``fill`` is the index of unused slots; ``width`` the synapse slots one event visits.

    With ``loop`` on a CPU: blocks of ``max(1, _BLOCK_WORK // width)`` slots, in a
    ``lax.while_loop`` that stops after the block holding the last spike. A while loop
    has no reverse-mode derivative, so derivatives (forward and reverse) are taken
    through a ``lax.scan`` over all blocks whose rounds after the last spike are skipped
    by ``lax.cond``: same blocks, same order, same values. Otherwise: one call with all
    slots (what ``vmap`` wants: under it a skipped round would still touch every
    synapse).

    ``after`` (optional) is an array the loop must run after: the output of every other
    reader of the values that ``fn`` updates in place. Without that data dependence XLA
    cannot order the loop after those reads and copies the whole array each step
    (measured on W3: 21 instead of 3.2 s per simulated s). The loop depends on it only
    formally: a NaN in ``after[0]`` makes it visit every slot, and unused slots change
    nothing.
    """
    capacity = buffer.ids.shape[0]
    if not (loop and skips_work()):
        return fn(carry, buffer.ids, *aligned)
    block = min(capacity, max(1, _BLOCK_WORK // max(width, 1)))
    n_blocks = -(-capacity // block)
    pad = n_blocks * block - capacity
    ids = jnp.pad(buffer.ids, (0, pad), constant_values=fill)
    aligned = tuple(jnp.pad(a, [(0, pad)] + [(0, 0)] * (a.ndim - 1)) for a in aligned)
    used = jnp.minimum(buffer.count, capacity)
    if after is not None:
        used = jnp.where(jnp.isnan(after.reshape(-1)[0]), capacity, used)
    # Values ``fn`` closes over become explicit arguments, so that the custom JVP below
    # differentiates with respect to them (a closed-over value cannot be differentiated).
    round_fn, consts = jax.closure_convert(fn, carry, ids[:block], *(a[:block] for a in aligned))
    return _walk(round_fn, block, n_blocks, carry, ids, aligned, used, tuple(consts))


def _round(
    fn: Callable[..., Any],
    block: int,
    carry: Any,
    ids: Array,
    aligned: tuple[Array, ...],
    consts: tuple[Array, ...],
    start: Array,
) -> Any:
    """One round of the walk: ``fn`` over the ``block`` slots from ``start``."""

    def take(a: Array) -> Array:
        return jax.lax.dynamic_slice_in_dim(a, start, block)

    return fn(carry, take(ids), *map(take, aligned), *consts)


def _walk_scan(
    fn: Callable[..., Any],
    block: int,
    n_blocks: int,
    carry: Any,
    ids: Array,
    aligned: tuple[Array, ...],
    used: Array,
    consts: tuple[Array, ...],
) -> Any:
    """The walk as a scan over all blocks whose rounds after the last spike are skipped
    by ``lax.cond``: reverse-mode differentiable."""

    def visit(carry: Any, start: Array) -> tuple[Any, None]:
        def run(c: Any) -> Any:
            return _round(fn, block, c, ids, aligned, consts, start)

        return jax.lax.cond(start < used, run, lambda c: c, carry), None

    starts = jnp.arange(n_blocks, dtype=jnp.int32) * block
    return jax.lax.scan(visit, carry, starts)[0]


@partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2))
def _walk(
    fn: Callable[..., Any],
    block: int,
    n_blocks: int,
    carry: Any,
    ids: Array,
    aligned: tuple[Array, ...],
    used: Array,
    consts: tuple[Array, ...],
) -> Any:
    """The walk as a ``while_loop`` that stops after the last used block: a skipped
    round of the scan still costs its branch and loop bookkeeping (five kernels per
    round on a CPU, in 15 of W3's 16 rounds per buffer). Differentiated through
    ``_walk_scan``, which visits the same blocks in the same order, so values and
    derivatives are those of the scan."""

    def more(state: tuple[Array, Any]) -> Array:
        return state[0] < used

    def visit(state: tuple[Array, Any]) -> tuple[Array, Any]:
        start, c = state
        return start + block, _round(fn, block, c, ids, aligned, consts, start)

    del n_blocks  # ``used`` <= capacity: the loop never leaves the buffer
    return jax.lax.while_loop(more, visit, (jnp.int32(0), carry))[1]


@_walk.defjvp
def _walk_jvp(fn, block, n_blocks, primals, tangents):
    def scan(*args: Any) -> Any:
        return _walk_scan(fn, block, n_blocks, *args)

    return jax.jvp(scan, primals, tangents)
