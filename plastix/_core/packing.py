"""Packing a model's per-unit state variables into one array per dtype for the scan carry.

XLA on a CPU compiles an elementwise update of several state arrays into one kernel per
array (it does not fuse sibling outputs), and copies an old array before overwriting it
while another kernel still reads it. A neuron model with four float variables thus costs
four kernels and up to four copies per step, ~70 ns each, whatever the number of
neurons. Carried as rows of one ``[k, n]`` array, the same update is one kernel: the
rows are sliced out at the start of a step (slices fuse into their readers) and stacked
at its end (the stack is the root of one fused kernel). Values are unchanged: stacking
and slicing copy bits.

Only one-dimensional leaves (one value per unit) are packed, and only where at least two
share a shape and dtype; the rest are carried as they are, and so are the fields a model
returns unchanged (``AbstractPopulationModel.unchanged``): a while loop carries those
without touching them, where in a packed array they would be stacked and copied.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array


class Packing(NamedTuple):
    """How the leaves of one state are grouped (static: built from shapes only)."""

    treedef: Any
    groups: tuple[tuple[int, ...], ...]
    """Leaf indices stacked together, in the order of the packed tuple's first entries."""
    loose: tuple[int, ...]
    """Leaf indices carried unpacked, after the groups in the packed tuple."""


def packing_for(state: Any, unchanged: tuple[str, ...] = ()) -> Packing:
    """The packing of ``state`` (a PyTree of arrays): one group per (shape, dtype) of
    one-dimensional leaves that occurs at least twice, leaving out the leaves under the
    fields named in ``unchanged``."""
    with_paths, treedef = jax.tree_util.tree_flatten_with_path(state)
    by_kind: dict[tuple, list[int]] = defaultdict(list)
    for i, (path, leaf) in enumerate(with_paths):
        if jnp.ndim(leaf) == 1 and getattr(path[0], "name", None) not in unchanged:
            by_kind[(jnp.shape(leaf), jnp.result_type(leaf))].append(i)
    groups = tuple(tuple(idx) for idx in by_kind.values() if len(idx) >= 2)
    grouped = {i for g in groups for i in g}
    loose = tuple(i for i in range(len(with_paths)) if i not in grouped)
    return Packing(treedef, groups, loose)


def pack(packing: Packing, state: Any) -> tuple[Array, ...]:
    """``state`` as a flat tuple: one ``[k, n]`` array per group, then the loose leaves."""
    leaves = jax.tree_util.tree_leaves(state)
    stacked = tuple(jnp.stack([leaves[i] for i in g]) for g in packing.groups)
    return stacked + tuple(leaves[i] for i in packing.loose)


def unpack(packing: Packing, packed: tuple[Array, ...]) -> Any:
    """The state that ``pack`` packed."""
    leaves: list[Any] = [None] * packing.treedef.num_leaves
    n_groups = len(packing.groups)
    for rows, g in zip(packed[:n_groups], packing.groups, strict=True):
        for row, i in enumerate(g):
            leaves[i] = rows[row]
    for value, i in zip(packed[n_groups:], packing.loose, strict=True):
        leaves[i] = value
    return jax.tree_util.tree_unflatten(packing.treedef, leaves)
