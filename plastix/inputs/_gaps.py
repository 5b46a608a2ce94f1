"""Bernoulli spike trains drawn spike by spike (geometric gaps), in fixed time blocks.

Drawing one uniform number per unit and step costs ``n·T`` random numbers a chunk, and
on a CPU the random numbers dominate a whole simulation (1000 inputs at dt = 0.1 ms:
10⁷ numbers per simulated second). A Bernoulli(p) train is the same as a train whose
gaps between spikes are geometric, ``P(gap = k) = (1 − p)^(k−1)·p``, so drawing the gaps
costs one number per *spike* instead.

To keep results independent of the chunk size, time is cut into fixed blocks of
``block_steps`` steps; block ``b`` is drawn from ``fold_in(key, b)`` alone and a chunk
takes the rows it covers. A Bernoulli process has no memory, so restarting the gaps at
each block boundary is exact. Each unit may spike at most ``max_spikes`` times per block
(a static buffer); a block that would need more is counted as an overflow, never dropped
silently.

The spikes are returned packed, 32 units to a ``uint32`` word (unit ``k`` is bit
``k % 32`` of word ``k // 32``; ``unpack_units``), and
each step unpacks its row: a chunk's raster is 32× smaller, which matters when it is
large (64 vmapped W1 instances: ~380 MB of booleans per 5000-step chunk, written and
transposed several times, were more than half the time of the whole run).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int, UInt32

from .._backend import running_sum

WORD = 32
"""Units per packed word."""


def n_words(n: int) -> int:
    """Packed words holding ``n`` units."""
    return -(-n // WORD)


def unpack_units(words: UInt32[Array, "... w"], n: int) -> Bool[Array, "... n"]:
    """The ``n`` spikes packed along the last axis of ``words``: unit ``k`` is bit
    ``k % 32`` of word ``k // 32``."""
    shifts = jnp.arange(WORD, dtype=jnp.uint32)
    bits = (words[..., None] >> shifts) & jnp.uint32(1)
    return bits.astype(bool).reshape(words.shape[:-1] + (-1,))[..., :n]


def spikes_per_block_bound(expected: float) -> int:
    """A per-block spike buffer for ``expected`` spikes per unit and block.

    ``expected + 8·sqrt(expected) + 8`` leaves a Poisson tail probability below ~1e-12.
    """
    return int(math.ceil(expected + 8.0 * math.sqrt(expected) + 8.0))


def _block(key: Array, p: Array, n: int, block_steps: int, max_spikes: int):
    """One block's packed spikes ``[block_steps, n_words(n)]`` and the number of units
    that overflowed."""
    u = 1.0 - jax.random.uniform(key, (max_spikes, n))  # in (0, 1]
    log_q = jnp.log1p(-jnp.clip(p, 0.0, 1.0))  # <= 0; 0 when p = 0
    ratio = jnp.log(u) / jnp.where(log_q < 0, log_q, -1.0)
    never = (log_q == 0) | ~jnp.isfinite(ratio)
    gap = jnp.where(never, block_steps + 1, jnp.minimum(jnp.floor(ratio), block_steps) + 1)
    position = running_sum(gap.astype(jnp.int32)) - 1  # [max_spikes, n]
    units = jnp.broadcast_to(jnp.arange(n, dtype=jnp.uint32), position.shape)
    # A unit's positions differ (gaps >= 1), so adding its bit is setting it.
    bits = jnp.left_shift(jnp.uint32(1), units % WORD)
    spikes = (
        jnp.zeros((block_steps, n_words(n)), jnp.uint32)
        .at[position, units // WORD]
        .add(bits, mode="drop")
    )
    # Room for more spikes after the last buffered one: the buffer was too small.
    overflowed = jnp.sum(position[-1] < block_steps - 1).astype(jnp.int32)
    return spikes, overflowed


def bernoulli_spikes(
    key: Array,
    steps: Int[Array, " T"],
    p: Array,
    n: int,
    block_steps: int,
    max_spikes: int,
) -> tuple[UInt32[Array, "T w"], Array]:
    """Spikes with probability ``p`` (scalar or ``[n]``) per unit and step, packed
    (``[T, n_words(n)]``, see ``unpack_units``).

    ``steps`` are consecutive absolute steps; block ``b`` uses ``fold_in(key, b)``.

    Returns:
        The packed spikes and the number of (block, unit) buffers that overflowed.
    """
    length = steps.shape[0]
    n_blocks = -(-length // block_steps) + 1  # blocks a window of ``length`` can touch
    first_block = steps[0] // block_steps
    blocks = first_block + jnp.arange(n_blocks, dtype=steps.dtype)
    keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, blocks)
    p = jnp.broadcast_to(p, (n,))
    spikes, overflowed = jax.vmap(lambda k: _block(k, p, n, block_steps, max_spikes))(keys)
    spikes = spikes.reshape(n_blocks * block_steps, n_words(n))
    start = steps[0] - first_block * block_steps
    window = jax.lax.dynamic_slice_in_dim(spikes, start, length, axis=0)
    # Only the blocks the window touches count.
    last_block = (steps[-1]) // block_steps
    touched = blocks <= last_block
    return window, jnp.sum(jnp.where(touched, overflowed, 0))
