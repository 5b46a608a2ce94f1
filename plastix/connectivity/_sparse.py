"""Shared machinery of the sparse formats (CSR and COO): a list of synapses.

Per-synapse arrays are vectors over the synapses in storage order. Two index structures
make the event path work in either direction: ``pre_ptr``/``pre_perm`` list the synapses
of each presynaptic neuron and ``post_ptr``/``post_perm`` those of each postsynaptic
neuron (the post→synapse index). A buffer of ``k`` spiking neurons then visits
``k × max_out`` (or ``k × max_in``) synapse slots, never all synapses.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from .._checks import check_int_at_least
from ._base import AbstractConnectivity, SynapseFn, check_indices, weighted


def _index(groups: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(ptr, perm, max group size): synapses ``perm[ptr[i]:ptr[i+1]]`` belong to group i."""
    perm = np.argsort(groups, kind="stable")
    counts = np.bincount(groups, minlength=n)
    ptr = np.concatenate([[0], np.cumsum(counts)])
    return ptr, perm, int(counts.max(initial=0))


def positions(ptr: Array, groups: Array, width: int) -> tuple[Array, Array]:
    """Positions ``[k, width]`` in an index ``ptr`` (group ``i`` owns positions
    ``ptr[i]:ptr[i+1]``) of the members of ``groups``, and which slots are theirs (groups
    out of range own none)."""
    start = ptr.at[groups].get(mode="fill", fill_value=0)
    stop = ptr.at[groups + 1].get(mode="fill", fill_value=0)
    lane = jnp.arange(width, dtype=start.dtype)
    return start[:, None] + lane[None, :], lane[None, :] < (stop - start)[:, None]


def contiguous(ptr: Array, group: Array, length: int, width: int) -> tuple[Array, Array]:
    """Where to slice ``width`` entries of an array of ``length`` that hold ``group``'s
    positions ``ptr[group]:ptr[group+1]`` (the start clamped as ``lax.dynamic_slice``
    clamps it), and which of the sliced entries are the group's; an out-of-range group
    (an unused buffer slot) owns none."""
    start = ptr.at[group].get(mode="fill", fill_value=0)
    stop = ptr.at[group + 1].get(mode="fill", fill_value=0)
    base = jnp.clip(start, 0, length - width)
    position = base + jnp.arange(width, dtype=base.dtype)
    return base, (position >= start) & (position < stop)


def window(
    ptr: Array, members: Array, groups: Array, width: int, missing: int, *aligned: Array
) -> tuple[Array, tuple[Array, ...]]:
    """The members ``[k, width]`` of ``groups`` in the index ``ptr``/``members``
    (``missing`` in unused slots) and, in the same slots, the entries of each ``aligned``
    array (indexed like ``members``; arbitrary in unused slots).

    One group (``k = 1``, the CPU event loop's rounds) is read as contiguous slices:
    measured on W3's ``on_post`` (903 slots), ~25 % faster than gathering the positions
    one by one, as XLA fuses such a gather into the random reads that follow it.
    """
    if groups.shape[0] == 1 and members.shape[0] >= width:
        base, inside = contiguous(ptr, groups[0], members.shape[0], width)

        def take(a: Array) -> Array:
            return jax.lax.dynamic_slice_in_dim(a, base, width)

        found = jnp.where(inside, take(members), missing)
        return found[None], tuple(take(a)[None] for a in aligned)
    position, inside = positions(ptr, groups, width)
    found = members.at[position].get(mode="fill", fill_value=0)
    return jnp.where(inside, found, missing), tuple(
        a.at[position].get(mode="clip") for a in aligned
    )


class AbstractSparse(AbstractConnectivity):
    """A list of synapses ``(pre[s], post[s])`` with indices for both event directions."""

    n_pre: int = eqx.field(static=True)
    n_post: int = eqx.field(static=True)
    max_out: int = eqx.field(static=True)
    max_in: int = eqx.field(static=True)
    pre: Int[Array, " n_syn"]
    post: Int[Array, " n_syn"]
    pre_ptr: Int[Array, " n_pre+1"]
    pre_perm: Int[Array, " n_syn"]
    post_ptr: Int[Array, " n_post+1"]
    post_perm: Int[Array, " n_syn"]
    post_pre: Int[Array, " n_syn"]
    """``pre[post_perm]``: the presynaptic neuron of each synapse in the post→synapse
    index's order, so that a postsynaptic event reads them as one window (a random
    access per synapse into ``pre`` cost as much as the one into the weights)."""
    canonical: Int[Array, " n_syn"]

    def __init__(self, pre: Any, post: Any, n_pre: int, n_post: int):
        name = type(self).__name__
        self.n_pre = check_int_at_least("n_pre", n_pre, 1, f"{name}: ")
        self.n_post = check_int_at_least("n_post", n_post, 1, f"{name}: ")
        pre_np, post_np = np.asarray(pre), np.asarray(post)
        check_indices(pre_np, post_np, n_pre, n_post, f"{name}: ")
        pre_np, post_np = pre_np.astype(np.int64), post_np.astype(np.int64)
        pre_np, post_np = self._storage_order(pre_np, post_np)
        pre_ptr, pre_perm, self.max_out = _index(pre_np, n_pre)
        post_ptr, post_perm, self.max_in = _index(post_np, n_post)
        self.pre, self.post = jnp.asarray(pre_np), jnp.asarray(post_np)
        self.pre_ptr, self.pre_perm = jnp.asarray(pre_ptr), jnp.asarray(pre_perm)
        self.post_ptr, self.post_perm = jnp.asarray(post_ptr), jnp.asarray(post_perm)
        self.post_pre = jnp.asarray(pre_np[post_perm])
        self.canonical = jnp.asarray(np.lexsort((post_np, pre_np)))

    @staticmethod
    def _storage_order(pre: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The synapses in the order this format stores them."""
        return pre, post

    @property
    def synapse_shape(self) -> tuple[int, ...]:
        return (int(self.pre.shape[0]),)

    @property
    def n_synapses(self) -> int:
        return int(self.pre.shape[0])

    def canonical_indices(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.asarray(self.canonical)
        return np.asarray(self.pre)[order], np.asarray(self.post)[order]

    def from_canonical(self, values: Array) -> Array:
        values = jnp.asarray(values)
        return jnp.zeros(self.synapse_shape, values.dtype).at[self.canonical].set(values)

    def to_canonical(self, values: Array) -> Array:
        return values[self.canonical]

    def synapse_indices(self) -> tuple[Array, Array, Array]:
        return self.pre, self.post, jnp.arange(self.n_synapses)

    def exists(self) -> None:
        return None

    def event_widths(self) -> tuple[int, int]:
        return self.max_out, self.max_in

    def propagate(self, w: Array, arrived: Array) -> Array:
        return self.propagate_synapses(w, arrived[self.pre])

    def propagate_synapses(self, w: Array, arrived: Array) -> Array:
        return jax.ops.segment_sum(weighted(w, arrived), self.post, self.n_post)

    def _gather(
        self, ids: Array, ptr: Array, perm: Array, width: int, *aligned: Array
    ) -> tuple[Array, tuple[Array, ...]]:
        """Synapse ids ``[k, width]`` of the neurons ``ids`` (unused slots hold n_syn), and
        the entries of the ``aligned`` arrays (indexed like ``perm``) in those slots."""
        return window(ptr, perm, ids, width, self.n_synapses, *aligned)

    def _apply_to(
        self,
        values: Any,
        syn: Array,
        fn: SynapseFn,
        pre: Array | None = None,
        post: Array | None = None,
    ) -> Any:
        """``fn`` on the synapses ``syn``; ``pre``/``post``: their neurons when the caller
        has them at hand (else read from ``self.pre``/``self.post`` per synapse)."""
        gathered = jax.tree_util.tree_map(lambda a: a.at[syn].get(mode="clip"), values)
        pre = self.pre.at[syn].get(mode="clip") if pre is None else pre
        post = self.post.at[syn].get(mode="clip") if post is None else post
        new = fn(gathered, pre, post, syn)
        return jax.tree_util.tree_map(lambda a, n: a.at[syn].set(n, mode="drop"), values, new)

    def _total(self, into: Array | None, w: Array) -> Array:
        """What event sums are added to: ``into``, or zeros."""
        return jnp.zeros(self.n_post, w.dtype) if into is None else into

    def propagate_events(
        self,
        w: Array,
        pre_ids: Int[Array, " k"],
        scale: Array | None = None,
        into: Array | None = None,
    ) -> Array:
        syn, _ = self._gather(pre_ids, self.pre_ptr, self.pre_perm, self.max_out)
        weight = w.at[syn].get(mode="fill", fill_value=0)
        if scale is not None:
            weight = weight * scale[:, None]
        post = self.post.at[syn].get(mode="fill", fill_value=self.n_post)
        return self._total(into, w).at[post].add(weight, mode="drop")

    def apply_pre_events(self, values: Any, pre_ids: Int[Array, " k"], fn: SynapseFn) -> Any:
        syn, _ = self._gather(pre_ids, self.pre_ptr, self.pre_perm, self.max_out)
        return self._apply_to(values, syn, fn)

    def apply_post_events(self, values: Any, post_ids: Int[Array, " k"], fn: SynapseFn) -> Any:
        # the presynaptic neurons read as one window; the postsynaptic ones are the events
        syn, (pre,) = self._gather(
            post_ids, self.post_ptr, self.post_perm, self.max_in, self.post_pre
        )
        post = jnp.broadcast_to(jnp.clip(post_ids, 0, self.n_post - 1)[:, None], syn.shape)
        return self._apply_to(values, syn, fn, pre, post)
