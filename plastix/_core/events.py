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
same synapses with the same values. On a CPU the spikes are also found by a loop
(``_loop_search``) where XLA compiles it whole, rather than by ~17 small kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from .._backend import skips_work

_WORD = 32
"""Spikes per word in the CPU search for spikes (``_first_spikes``)."""

_BLOCK_WORK = 256
"""Synapse slots worth one round of the CPU event loop: rounds of fewer events than
this would cost more in loop overhead than they save."""


class EventBuffer(NamedTuple):
    """Indices of spiking neurons (padded with ``n``) and how many spiked."""

    ids: Int[Array, " capacity"]
    count: Int[Array, ""]

    def overflowed(self) -> Bool[Array, ""]:
        return self.count > self.ids.shape[0]


def _first_spikes(spikes: Bool[Array, " n"], k: int) -> tuple[Int[Array, " k"], Int[Array, ""]]:
    """The first ``k`` spiking neurons (``n`` for missing ones) and how many spiked.

    On a CPU a cumulative sum over ``n`` entries costs ~3 ns per entry (XLA lowers it as
    a reduce-window): 10 µs for 3162 neurons. So the spikes are packed 32 to a word, the
    cumulative sum runs over the words' bit counts, and the wanted spike inside its word
    is found by halving the word five times (elementwise over the ``k`` slots): 2 µs.
    """
    n = spikes.shape[0]
    n_words = -(-n // _WORD)
    words = _packed(spikes.astype(bool))
    counts = jax.lax.population_count(words).astype(jnp.int32)
    upto = jnp.cumsum(counts, dtype=jnp.int32)  # upto[i]: spikes in words 0..i
    wanted = jnp.arange(1, k + 1, dtype=jnp.int32)
    word = jnp.searchsorted(upto, wanted, side="left", method="scan_unrolled")
    word = jnp.minimum(word.astype(jnp.int32), n_words - 1)
    rank = wanted - (upto[word] - counts[word])  # 1-based, among the spikes of the word
    value, position = words[word], jnp.zeros_like(wanted)
    for width in (16, 8, 4, 2, 1):  # is the wanted spike above the lowest `width` bits?
        low = value >> position.astype(jnp.uint32) & jnp.uint32((1 << width) - 1)
        below = jax.lax.population_count(low).astype(jnp.int32)
        above = rank > below
        position = position + jnp.where(above, width, 0)
        rank = rank - jnp.where(above, below, 0)
    count = upto[-1]
    return jnp.where(wanted <= count, word * _WORD + position, n), count


def _packed(spikes: Bool[Array, " n"]) -> Array:
    """The spikes as ``uint32`` words, 32 to a word (bit ``j`` of word ``i``: unit
    ``32·i + j``). The whole words and the last, partial one are packed apart: padding
    the spikes to whole words first made XLA pack a row read at a step-dependent offset
    (a delay's history row) 4x slower on a CPU (3.3 instead of 0.8 us for 3162 units)."""
    n = spikes.shape[0]
    full = n // _WORD
    shifts = jnp.arange(_WORD, dtype=jnp.uint32)
    head = spikes[: full * _WORD].reshape(full, _WORD).astype(jnp.uint32)
    words = jnp.sum(head << shifts, axis=1, dtype=jnp.uint32)
    if n == full * _WORD:
        return words
    tail = spikes[full * _WORD :].astype(jnp.uint32) << shifts[: n - full * _WORD]
    return jnp.concatenate([words, jnp.sum(tail, dtype=jnp.uint32)[None]])


def gather_events(spikes: Bool[Array, " n"], capacity: int, loop: bool = True) -> EventBuffer:
    """The event buffer of ``spikes`` with ``capacity`` slots: the spiking neurons in
    increasing order, then ``n``.

    With more spikes than slots, the buffer holds ``capacity`` of them (the first ones,
    except on a CPU with ``loop``, where it may hold others); an overflowing buffer is
    never used as it is (the step takes the all-synapse path, or the run reports it).
    ``loop`` (on a CPU): search with a small loop that XLA compiles whole (see
    ``_loop_search``) where it does; otherwise (and under ``vmap``, where the loop would
    run for the slowest instance) with vector operations (``_first_spikes``).
    """
    n = spikes.shape[0]
    if not skips_work():
        (ids,) = jnp.nonzero(spikes, size=capacity, fill_value=n)
        return EventBuffer(ids, jnp.sum(spikes, dtype=jnp.int32))
    if loop and _loop_search_compiles_whole(n, capacity):
        return EventBuffer(*_loop_search(spikes, capacity))
    return EventBuffer(*_first_spikes(spikes, capacity))


def _packed_strided(spikes: Bool[Array, " n"]) -> Array:
    """The spikes as ``m = ceil(n / 32)`` ``uint32`` words, unit ``j·m + i`` in bit ``j``
    of word ``i``: a sum over the major axis of the ``[n // m, m]`` whole rows, which XLA
    vectorises over the words (~0.1 ns per unit on a CPU; packing 32 consecutive units to
    a word is a sum over a minor axis of 32, one unit at a time: ~4x slower), and the
    last, partial row apart (padding the whole row first made XLA pack a history row of
    2000 units read at a step-dependent offset unvectorised: 0.7 instead of 0.1 µs)."""
    n = spikes.shape[0]
    m = -(-n // _WORD)
    units = spikes.astype(jnp.uint32)
    rows = n // m  # whole rows of m units (at most 32)
    shifts = jnp.arange(rows, dtype=jnp.uint32)[:, None]
    words = jnp.sum(units[: rows * m].reshape(rows, m) << shifts, axis=0, dtype=jnp.uint32)
    if rows * m == n:
        return words
    last = jnp.pad(units[rows * m :], (0, m - (n - rows * m)))
    return words | (last << jnp.uint32(rows))


def _loop_search(spikes: Bool[Array, " n"], k: int) -> tuple[Int[Array, " k"], Int[Array, ""]]:
    """``k`` spiking neurons in increasing order (all of them when at most ``k`` spiked;
    ``n`` for missing ones) and how many spiked, by a loop over the packed spikes.

    On a CPU, ``_first_spikes`` costs ~3.5 µs for 8000 neurons in ~17 small kernels
    (a cumulative sum, a search, five halvings), whatever the number of spikes. This is
    two nested while loops without a scatter, which XLA compiles whole
    (``plastix._xla_options``): the inner one skips empty words, the outer one takes the
    lowest spike of the word and inserts it into the sorted slots, until ``k`` are found
    or the words run out (~1.2 µs for 8000 neurons with ~2 spikes). The words hold the
    units in strided order (``_packed_strided``), hence the insertion; so when more than
    ``k`` spiked, the slots hold ``k`` of them, not necessarily the first.
    """
    n = spikes.shape[0]
    words = _packed_strided(spikes.astype(bool))
    m = words.shape[0]
    count = jnp.sum(jax.lax.population_count(words), dtype=jnp.int32)
    slots = jnp.arange(k, dtype=jnp.int32)

    def word_at(i: Array) -> Array:
        return jax.lax.dynamic_index_in_dim(words, i, keepdims=False)

    def skip_empty(i: Array, word: Array) -> tuple[Array, Array]:
        """The next nonempty word from ``i`` on (the last word when none is)."""
        return jax.lax.while_loop(
            lambda s: (s[1] == 0) & (s[0] + 1 < m),
            lambda s: (s[0] + 1, word_at(s[0] + 1)),
            (i, word),
        )

    def more(state: tuple[Array, ...]) -> Array:
        i, _, found, _ = state
        return (i < m) & (found < k)

    def take(state: tuple[Array, ...]) -> tuple[Array, ...]:
        i, word, found, ids = state
        i, word = skip_empty(i, word)
        lowest = word & (~word + jnp.uint32(1))
        bit = (_WORD - 1 - jax.lax.clz(lowest)).astype(jnp.int32)
        unit = bit * m + i
        at = jnp.sum(ids < unit, dtype=jnp.int32)  # its place among the sorted slots
        shifted = jnp.concatenate([ids[:1], ids[:-1]])
        inserted = jnp.where(slots < at, ids, jnp.where(slots == at, unit, shifted))
        done = word == 0  # only when the words ran out
        return (
            jnp.where(done, m, i),
            word ^ lowest,
            found + 1,
            jnp.where(done, ids, inserted),
        )

    start = (jnp.int32(0), words[0], jnp.int32(0), jnp.full(k, n, jnp.int32))
    return jax.lax.while_loop(more, take, start)[3], count


@cache
def _loop_search_compiles_whole(n: int, k: int) -> bool:
    """Whether XLA compiles both loops of ``_loop_search`` for ``n`` neurons and ``k``
    slots whole (checked once per size, by compiling it alone; measured: it does for
    W1–W3's sizes even with XLA's default 1 kB threshold, as each iteration touches a
    few bytes). Run as a sequence of kernels, its loops would cost ~0.1 µs per word."""
    if n == 0 or k == 0:
        return False
    example = jax.ShapeDtypeStruct((n,), jnp.bool_)
    compiled = jax.jit(lambda s: _loop_search(s, k)).lower(example).compile()
    return compiled.as_text().count('xla_cpu_small_call="true"') >= 2  # inner and outer


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
    block_work: int = _BLOCK_WORK,
) -> Any:
    """``carry = fn(carry, ids, *aligned_slots)`` over the slots of ``buffer``.

    ``fn`` must give the same result whether it gets all slots at once or consecutive
    blocks of them in order (true for updates of disjoint synapses, and for sums taken
    in slot order). ``aligned`` holds arrays indexed like the slots (a value per event);
    ``fill`` is the index of unused slots; ``width`` the synapse slots one event visits.

    With ``loop`` on a CPU: blocks of ``max(1, block_work // width)`` slots, in a
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
    block = min(capacity, max(1, block_work // max(width, 1)))
    n_blocks = -(-capacity // block)
    pad = n_blocks * block - capacity
    ids = jnp.pad(buffer.ids, (0, pad), constant_values=fill)
    aligned = tuple(jnp.pad(a, [(0, pad)] + [(0, 0)] * (a.ndim - 1)) for a in aligned)
    used = _used(buffer.count, capacity, after)
    round_fn, consts = _hoisted(fn, carry, ids[:block], *(a[:block] for a in aligned))
    return _walk(round_fn, block, n_blocks, carry, ids, aligned, used, consts)


def _used(count: Array, size: int, after: Array | None) -> Array:
    """Slots the walk must visit: ``count`` (at most ``size``), made to depend on
    ``after`` (all slots if ``after[0]`` is NaN; see ``for_events``)."""
    used = jnp.minimum(count, size)
    if after is None:
        return used
    return jnp.where(jnp.isnan(after.reshape(-1)[0]), size, used)


def _hoisted(fn: Callable[..., Any], *example: Any) -> tuple[Callable[..., Any], tuple]:
    """``fn`` with every value it closes over made an explicit trailing argument, and
    those values: the custom JVP of the walk then differentiates with respect to them (a
    closed-over value cannot be differentiated), and none leaks from the trace that made
    it (``jax.closure_convert`` hoists only values that may be perturbed, and leaves
    integers, such as a step index inside a scan, closed over)."""
    flat, in_tree = jax.tree_util.tree_flatten(example)
    closed, out_shape = jax.make_jaxpr(
        lambda *leaves: fn(*jax.tree_util.tree_unflatten(in_tree, leaves)), return_shape=True
    )(*flat)
    out_tree = jax.tree_util.tree_structure(out_shape)
    n_args = len(example)

    def converted(*args_and_consts: Any) -> Any:
        args, consts = args_and_consts[:n_args], args_and_consts[n_args:]
        leaves = jax.tree_util.tree_leaves(args)
        out = jax.core.eval_jaxpr(closed.jaxpr, consts, *leaves)
        return jax.tree_util.tree_unflatten(out_tree, out)

    return converted, tuple(closed.consts)


def for_numbers(
    count: Array,
    size: int,
    fn: Callable[..., Any],
    carry: Any,
    *,
    width: int = 1,
    loop: bool = True,
    after: Array | None = None,
    block_work: int = _BLOCK_WORK,
) -> Any:
    """``for_events`` over the numbers ``0 … size − 1``, of which the first ``count`` are
    used, without a buffer holding them (XLA would rebuild it every step): ``fn(carry,
    numbers)`` must leave the values alone for numbers ``>= count``."""
    if not (loop and skips_work()):
        return fn(carry, jnp.arange(size, dtype=jnp.int32))
    block = min(size, max(1, block_work // max(width, 1)))
    used = _used(count, size, after)
    round_fn, consts = _hoisted(fn, carry, jnp.arange(block, dtype=jnp.int32))
    return _walk(round_fn, block, -(-size // block), carry, None, (), used, consts)


def _round(
    fn: Callable[..., Any],
    block: int,
    carry: Any,
    ids: Array | None,
    aligned: tuple[Array, ...],
    consts: tuple[Array, ...],
    start: Array,
) -> Any:
    """One round of the walk: ``fn`` over the ``block`` slots from ``start`` (over the
    numbers from ``start`` when ``ids`` is None: ``for_numbers``)."""

    def take(a: Array) -> Array:
        return jax.lax.dynamic_slice_in_dim(a, start, block)

    numbers = start + jnp.arange(block, dtype=jnp.int32) if ids is None else take(ids)
    return fn(carry, numbers, *map(take, aligned), *consts)


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
