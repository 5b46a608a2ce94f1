"""Per-synapse delays on the event path: each spike's synapses scheduled by delay.

A spike of presynaptic neuron ``p`` in step ``k`` reaches its synapses of delay ``d``
(steps) in step ``k + d``. When ``p`` spikes, its synapses (stored by neuron, then
delay) are written into the arrival lists of the steps they reach: ``L`` lists, one per
step ahead (``L``: the longest delay), row ``k mod L`` for step ``k``. Each step then
delivers and runs ``on_pre`` over its own list only, so the work follows the synaptic
events, not the number of synapses (``schedule``, ``deliver``, ``apply_arrivals``).

A rule's presynaptic variables (its traces per presynaptic slot) that change only by
``decay`` and ``increment_pre`` are a function of the spike train; a synapse of delay
``d`` sees its neuron's train shifted by ``d`` steps, so its value in step ``t`` is its
neuron's value in step ``t − d``. They are therefore kept per neuron, with their values
of the last ``L`` steps before and after each step's increment (two rings ``[L, n_pre]``
per variable, slot ``k mod L`` holding step ``k``). A synapse's presynaptic *slot* is then
the flat index ``((t − d) mod L)·n_pre + p`` into a ring, which the rule indexes as it
would index a per-synapse trace: the rule needs no change, only the declaration
``AbstractRule.pre_state_shifts``. A ring holds the initial values before step 0, so the
initial presynaptic values must be zero (what a per-synapse trace decays from otherwise).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from ..connectivity._base import AbstractConnectivity
from ..connectivity._sparse import positions, window
from ..rules._base import AbstractRule
from .events import EventBuffer, for_events, for_numbers, gather_events, overflow_needed
from .leaves import leaf_kinds

_SCHEDULE_BLOCK = 16
"""Spikes per round of ``schedule``'s walk: a round takes a cumulative sum over its
spikes × delays (~3 ns per entry on a CPU), so rounds stay small."""


_LIST_BLOCK = 256
"""Fewest entries per round of the walks over an arrival list (``_list_block``)."""


def _ints(values: np.ndarray) -> Array:
    """An index array as int32 (int64 only when the values need it)."""
    big = values.size and int(values.max()) >= np.iinfo(np.int32).max
    return jnp.asarray(values.astype(np.int64 if big else np.int32))


def pre_leaves(rule: AbstractRule, n_pre: int, n_post: int) -> tuple[bool, ...]:
    """Per leaf of ``rule.init(n_pre, n_post)``: whether its first axis is the
    presynaptic slot (and no other axis follows a size). Raises ValueError for a leaf
    with several such axes."""
    return tuple(kind == (0, 0) for kind in leaf_kinds(rule.init, (n_pre, n_post)))


def unsupported(rule: AbstractRule | None, n_pre: int, n_post: int) -> str | None:
    """Why ``rule`` cannot take the delayed event path (None: it can)."""
    if rule is None:
        return None
    name = type(rule).__name__
    if type(rule).transmit is not AbstractRule.transmit:
        return f"rule {name} scales transmission (short-term plasticity)"
    if not rule.pre_state_shifts:
        return f"rule {name} does not declare pre_state_shifts"
    try:
        kinds = pre_leaves(rule, n_pre, n_post)
    except ValueError as error:
        return f"rule {name}: {error}"
    leaves = jax.tree_util.tree_leaves(rule.init(n_pre, n_post))
    for leaf, is_pre in zip(leaves, kinds, strict=True):
        if is_pre and bool(jnp.any(leaf != 0)):
            return f"rule {name} starts a presynaptic variable at a nonzero value"
    return None


class DelayIndex(eqx.Module):
    """The synapses of a projection with per-synapse delays, by presynaptic neuron and
    delay, and by postsynaptic neuron.

    Positions ``pre_ptr[p]:pre_ptr[p+1]`` of the arrays ``by_pre_*`` list the synapses of
    presynaptic neuron ``p`` in increasing delay: their flat synapse ids (flat over
    ``synapse_shape``), postsynaptic neurons, delays [steps], ranks among the synapses of
    ``p`` with the same delay, and ``lag = ((−d) mod L)·n_pre + p`` (adding
    ``(t mod L)·n_pre`` and wrapping gives the synapse's ring slot in step ``t``).
    ``counts[p, d − 1]`` is how many synapses of ``p`` have delay ``d``. ``lag`` is also
    kept per synapse (``synapse_shape``) and in the order of the post index
    ``post_ptr``/``post_syn``.
    """

    n_pre: int = eqx.field(static=True)
    n_post: int = eqx.field(static=True)
    n_flat: int = eqx.field(static=True)
    length: int = eqx.field(static=True)
    max_out: int = eqx.field(static=True)
    """Most synapses of one presynaptic neuron (slots one spike visits when scheduled)."""
    width: int = eqx.field(static=True)
    """Most synapses of one presynaptic neuron with one delay."""
    post_width: int = eqx.field(static=True)
    capacity: int = eqx.field(static=True)
    """Slots of the spike buffer of one step (at most ``n_pre``)."""
    list_size: int = eqx.field(static=True)
    """Entries of one step's arrival list: the most arrivals one step can have, the
    smallest of ``L·capacity·width``, ``min(n_pre, L·capacity)·max_out`` (a neuron's
    spikes of the last ``L`` steps reach each of its synapses once) and the number of
    synapses; so a list cannot overflow unless the spike buffer does."""
    pre_leaves: tuple[bool, ...] = eqx.field(static=True)
    """Which leaves of the rule state are presynaptic variables (kept in rings)."""
    pre_ptr: Int[Array, " n_pre+1"]
    by_pre_syn: Int[Array, " n_syn"]
    by_pre_post: Int[Array, " n_syn"]
    by_pre_delay: Int[Array, " n_syn"]
    by_pre_rank: Int[Array, " n_syn"]
    by_pre_lag: Int[Array, " n_syn"]
    counts: Int[Array, "n_pre length"]
    lag: Int[Array, "..."]
    post_ptr: Int[Array, " n_post+1"]
    post_syn: Int[Array, " n_syn"]
    post_lag: Int[Array, " n_syn"]

    @property
    def n_slots(self) -> int:
        """Ring slots of one presynaptic variable: ``L·n_pre``."""
        return self.length * self.n_pre


def build_index(
    conn: AbstractConnectivity,
    delays: Any,
    length: int,
    rule: AbstractRule | None,
    capacity: int,
) -> DelayIndex:
    """The index of ``conn``'s synapses with ``delays`` (steps, 1…``length``, in
    ``synapse_shape``), for spike buffers of ``capacity`` slots."""
    shape, n_pre, n_post = conn.synapse_shape, conn.n_pre, conn.n_post
    pre, post, _ = conn.synapse_indices()
    pre = np.broadcast_to(np.asarray(pre), shape).reshape(-1).astype(np.int64)
    post = np.broadcast_to(np.asarray(post), shape).reshape(-1).astype(np.int64)
    d = np.asarray(delays).reshape(-1).astype(np.int64)
    exists = conn.exists()
    keep = np.arange(d.size) if exists is None else np.flatnonzero(np.asarray(exists).reshape(-1))
    order = keep[np.lexsort((d[keep], pre[keep]))]  # by neuron, then delay
    segment = pre[order] * length + d[order] - 1
    counts = np.bincount(segment, minlength=n_pre * length)
    first = np.concatenate([[0], np.cumsum(counts)])[segment]
    rank = np.arange(order.size) - first
    out = np.bincount(pre[order], minlength=n_pre)
    post_order = keep[np.argsort(post[keep], kind="stable")]
    post_counts = np.bincount(post[keep], minlength=n_post)
    lag = ((-d) % length) * n_pre + pre
    capacity = min(capacity, n_pre)
    width, max_out = int(counts.max(initial=0)), int(out.max(initial=0))
    list_size = min(length * capacity * width, min(n_pre, length * capacity) * max_out, keep.size)
    return DelayIndex(
        n_pre=n_pre,
        n_post=n_post,
        n_flat=d.size,
        length=length,
        max_out=max_out,
        width=width,
        post_width=int(post_counts.max(initial=0)),
        capacity=capacity,
        list_size=max(1, list_size),
        pre_leaves=() if rule is None else pre_leaves(rule, n_pre, n_post),
        pre_ptr=_ints(np.concatenate([[0], np.cumsum(out)])),
        by_pre_syn=_ints(order),
        by_pre_post=_ints(post[order]),
        by_pre_delay=_ints(d[order]),
        by_pre_rank=_ints(rank),
        by_pre_lag=_ints(lag[order]),
        counts=_ints(counts.reshape(n_pre, length)),
        lag=_ints(lag).reshape(shape),
        post_ptr=_ints(np.concatenate([[0], np.cumsum(post_counts)])),
        post_syn=_ints(post_order),
        post_lag=_ints(lag[post_order]),
    )


def fits(index: DelayIndex) -> bool:
    """Whether the arrival lists (``L × list_size`` int32) take at most 64 MiB, or four
    numbers per synapse: beyond that the all-synapse path is the better trade."""
    return index.length * index.list_size <= max(4 * index.n_flat, 1 << 24)


class DelayState(NamedTuple):
    """What a projection with per-synapse delays keeps between steps."""

    scheduled: Int[Array, "length arrivals"]
    """Row ``k mod L``: the synapses whose spike arrives in step ``k``, as positions in
    the ``by_pre`` arrays, in the first ``filled`` entries (the rest is left over)."""
    filled: Int[Array, " length"]
    incomplete: Bool[Array, " length"]
    """A spike buffer overflowed while the row was being filled: its list misses some
    arrivals (the step then takes the all-synapse path, or the run reports it)."""
    before: tuple[Array, ...]
    """Per presynaptic variable of the rule, ``[L, n_pre, ...]``: its values in each of
    the last ``L`` steps before that step's spikes were added (slot ``k mod L``)."""
    after: tuple[Array, ...]
    """The same after the spikes were added."""


def init_state(index: DelayIndex, rule_state: Any) -> DelayState:
    """Nothing scheduled; the rings at the initial values of the presynaptic variables."""
    leaves = jax.tree_util.tree_leaves(rule_state)
    rings = tuple(
        jnp.broadcast_to(leaf, (index.length,) + leaf.shape) + jnp.zeros((), leaf.dtype)
        for leaf, is_pre in zip(leaves, index.pre_leaves, strict=True)
        if is_pre
    )
    return DelayState(
        jnp.zeros((index.length, index.list_size), jnp.int32),
        jnp.zeros(index.length, jnp.int32),
        jnp.zeros(index.length, bool),
        rings,
        rings,
    )


def lagged(index: DelayIndex, state: Any, rings: tuple[Array, ...]) -> Any:
    """The rule state with each presynaptic variable replaced by its ring, flat over
    ``L·n_pre`` slots: what a rule indexes with the slots of the synapses."""
    leaves, treedef = jax.tree_util.tree_flatten(state)
    rings_left = iter(rings)
    out = [
        next(rings_left).reshape((-1,) + leaf.shape[1:]) if is_pre else leaf
        for leaf, is_pre in zip(leaves, index.pre_leaves, strict=True)
    ]
    return jax.tree_util.tree_unflatten(treedef, out)


def _now(index: DelayIndex, lag: Array, step: Array) -> Array:
    """Ring slots in step ``step`` of synapses with offsets ``lag``."""
    flat = lag + (step % index.length).astype(lag.dtype) * index.n_pre
    return jnp.where(flat >= index.n_slots, flat - index.n_slots, flat)


def slots_now(index: DelayIndex, step: Array) -> Int[Array, "..."]:
    """Every synapse's ring slot in step ``step`` (``synapse_shape``)."""
    return _now(index, index.lag, step)


def _apply(values: Any, syn: Array, fn: Any, pre: Array, post: Array) -> Any:
    """``values`` (leaves of ``synapse_shape``) with ``fn(gathered, pre, post)`` written
    to the synapses ``syn`` (ids ``>= n_flat`` are left alone)."""

    def flat(a: Array) -> Array:
        return a.reshape(-1)

    gathered = jax.tree_util.tree_map(lambda a: flat(a).at[syn].get(mode="clip"), values)
    new = fn(gathered, pre, post)
    return jax.tree_util.tree_map(
        lambda a, n: flat(a).at[syn].set(n, mode="drop").reshape(a.shape), values, new
    )


def _row(state: DelayState, step: Array) -> Int[Array, ""]:
    return step % state.filled.shape[0]


def incomplete(state: DelayState, step: Array) -> Bool[Array, ""]:
    """Whether step ``step``'s arrival list misses arrivals (a spike buffer overflowed)."""
    return state.incomplete[_row(state, step)]


def _arrived(
    index: DelayIndex, state: DelayState, step: Array, k: Array
) -> tuple[Array, Array, Array]:
    """Synapse (``n_flat`` past the list's end), postsynaptic neuron (``n_post`` there)
    and ring slot of entries ``k`` of step ``step``'s arrival list."""
    row = _row(state, step)
    used = k < state.filled[row]
    size = state.scheduled.shape[1]
    position = state.scheduled.reshape(-1).at[row * size + k].get(mode="clip")
    syn = jnp.where(used, index.by_pre_syn.at[position].get(mode="clip"), index.n_flat)
    post = jnp.where(used, index.by_pre_post.at[position].get(mode="clip"), index.n_post)
    return syn, post, _now(index, index.by_pre_lag.at[position].get(mode="clip"), step)


def _list_block(index: DelayIndex) -> int:
    """Entries per round of the walks over an arrival list: rounds cost ~8 kernels, so
    a list expected to be long (the spike capacity times the synapses per neuron) is
    walked in rounds of up to 2048 entries instead of 256."""
    return max(_LIST_BLOCK, min(8 * _LIST_BLOCK, index.capacity * index.max_out // 4))


def _count(state: DelayState, step: Array) -> Int[Array, ""]:
    """Length of step ``step``'s arrival list."""
    return state.filled[_row(state, step)]


def deliver(
    index: DelayIndex, w: Array, state: DelayState, step: Array, loop: bool = True
) -> Array:
    """Summed weights of the spikes arriving in step ``step`` per postsynaptic neuron."""
    flat_w = w.reshape(-1)

    def add(total: Array, k: Array) -> Array:
        syn, post, _ = _arrived(index, state, step, k)
        weight = flat_w.at[syn].get(mode="fill", fill_value=0)
        return total.at[post].add(weight, mode="drop")

    total = jnp.zeros(index.n_post, w.dtype)
    size = state.scheduled.shape[1]
    block = _list_block(index)
    return for_numbers(_count(state, step), size, add, total, loop=loop, block_work=block)


def apply_arrivals(
    index: DelayIndex,
    values: Any,
    state: DelayState,
    step: Array,
    fn: Any,
    loop: bool = True,
    after: Array | None = None,
) -> Any:
    """``fn(values, pre_slots, post)`` on the synapses whose spike arrives in step
    ``step`` (``on_pre``); ``pre_slots`` index the rings (see ``lagged``)."""

    def visit(v: Any, k: Array) -> Any:
        syn, post, slot = _arrived(index, state, step, k)
        return _apply(v, syn, fn, slot, jnp.minimum(post, index.n_post - 1))

    size = state.scheduled.shape[1]
    block = _list_block(index)
    count = _count(state, step)
    return for_numbers(count, size, visit, values, loop=loop, after=after, block_work=block)


def schedule(
    index: DelayIndex,
    state: DelayState,
    step: Array,
    spikes: Bool[Array, " n_pre"],
    loop: bool = True,
    after: Array | None = None,
) -> tuple[DelayState, Int[Array, ""]]:
    """Empty step ``step``'s (delivered) arrival list, then add the synapses of this
    step's spikes to the lists of the steps they reach; also returns the count when
    the spike buffer overflowed, else 0.

    A spike of neuron ``p`` goes to row ``(step + d) mod L`` for each of its delays
    ``d``: its synapses of delay ``d`` after those of the spikes before it in the
    buffer (``counts`` summed over them) and the row's earlier entries. Spikes are
    visited in blocks (``events.for_events``): the work follows this step's spikes.
    ``after``: what this step's readers of the lists produced (see ``for_events``;
    without it XLA copies the lists every step)."""
    length, size = state.scheduled.shape
    row_now = _row(state, step)
    filled = state.filled.at[row_now].set(0)
    done = state.incomplete.at[row_now].set(False)
    buffer = gather_events(spikes, index.capacity, loop)
    delays = jnp.arange(1, length + 1, dtype=jnp.int32)
    rows = (step + delays) % length  # the row of each delay

    def visit(carry: tuple, ids: Array) -> tuple:
        scheduled, filled = carry
        counts = index.counts.at[ids].get(mode="fill", fill_value=0)  # [k, L] by delay
        before = jnp.cumsum(counts, axis=0) - counts  # earlier spikes of this block
        position, inside = positions(index.pre_ptr, ids, max(index.max_out, 1))
        d = index.by_pre_delay.at[position].get(mode="fill", fill_value=1) - 1
        row = rows[d]
        spike = jnp.arange(ids.shape[0])[:, None]
        column = filled[row] + before[spike, d] + index.by_pre_rank.at[position].get(mode="clip")
        flat = jnp.where(inside, row * size + column, length * size)  # one index: a 2-D
        # scatter's index pairs made XLA compute every gather above twice
        scheduled = (
            scheduled.reshape(-1)
            .at[flat]
            .set(position.astype(scheduled.dtype), mode="drop")
            .reshape(length, size)
        )
        filled = filled.at[rows].add(jnp.sum(counts, axis=0, dtype=filled.dtype))
        return scheduled, filled

    scheduled, filled = for_events(
        buffer,
        visit,
        (state.scheduled, filled),
        fill=index.n_pre,
        width=max(index.max_out, 1),
        loop=loop,
        after=after,
        block_work=_SCHEDULE_BLOCK * max(index.max_out, 1),
    )
    done = done | buffer.overflowed()  # every row may miss one of its arrivals
    return state._replace(scheduled=scheduled, filled=filled, incomplete=done), overflow_needed(
        buffer
    )


def apply_post_events(
    index: DelayIndex,
    values: Any,
    buffer: EventBuffer,
    step: Array,
    fn: Any,
    loop: bool = True,
    after: Array | None = None,
) -> Any:
    """``fn(values, pre_slots, post)`` on the synapses of the postsynaptic neurons in
    ``buffer`` (``on_post``)."""

    def visit(v: Any, ids: Array) -> Any:
        syn, (lag,) = window(
            index.post_ptr, index.post_syn, ids, index.post_width, index.n_flat, index.post_lag
        )
        pre = _now(index, lag, step)
        post = jnp.broadcast_to(jnp.clip(ids, 0, index.n_post - 1)[:, None], syn.shape)
        return _apply(v, syn, fn, pre, post)

    return for_events(
        buffer, visit, values, fill=index.n_post, width=index.post_width, loop=loop, after=after
    )


def pre_values(index: DelayIndex, rule_state: Any) -> tuple[Array, ...]:
    """The presynaptic variables of a rule state (what the rings hold)."""
    leaves = jax.tree_util.tree_leaves(rule_state)
    return tuple(leaf for leaf, is_pre in zip(leaves, index.pre_leaves, strict=True) if is_pre)


def push_rings(
    state: DelayState,
    step: Array,
    before: tuple[Array, ...],
    after: tuple[Array, ...],
    order: Array | None = None,
) -> DelayState:
    """Write the presynaptic variables of step ``step``, before and after its spikes
    were added, into the rings.

    ``order`` (optional, a scalar from what this step's readers of the rings produced)
    orders the writes after those reads, so that XLA updates the rings in place instead
    of copying them (see ``step.push_history``): a NaN selects ``step + L``, the same slot.
    """
    length = state.filled.shape[0]
    slot = step if order is None else jnp.where(jnp.isnan(order), step + length, step)
    slot = slot % length
    return state._replace(
        before=tuple(r.at[slot].set(v) for r, v in zip(state.before, before, strict=True)),
        after=tuple(r.at[slot].set(v) for r, v in zip(state.after, after, strict=True)),
    )
