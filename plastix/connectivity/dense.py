"""Dense connectivity: per-synapse arrays are ``[n_pre, n_post]`` matrices."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from .._checks import check_int_at_least
from ._base import AbstractConnectivity, SynapseFn, weighted


class _HostIndices:
    """NumPy (pre, post) indices kept as a static, hashable field: they are read at trace
    time (recording a masked matrix's weights inside a jitted run)."""

    def __init__(self, pre: np.ndarray, post: np.ndarray):
        self.pre, self.post = pre, post
        self._key = (pre.tobytes(), post.tobytes())

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _HostIndices) and self._key == other._key


class Dense(AbstractConnectivity):
    """All-to-all synapses, or those of a boolean ``mask``, stored as full matrices.

    Propagation is a matrix-vector product (all-synapse path) or a sum of the rows of the
    spiking neurons (event path); plasticity updates rows (``on_pre``) and columns
    (``on_post``). Multapses cannot be represented.

    Args:
        n_pre: number of presynaptic neurons.
        n_post: number of postsynaptic neurons.
        mask: optional boolean ``[n_pre, n_post]`` array of existing synapses.
    """

    n_pre: int = eqx.field(static=True)
    n_post: int = eqx.field(static=True)
    mask: Bool[Array, "n_pre n_post"] | None
    _existing: _HostIndices | None = eqx.field(static=True)

    def __init__(self, n_pre: int, n_post: int, mask: Any = None):
        self.n_pre = check_int_at_least("n_pre", n_pre, 1, "Dense: ")
        self.n_post = check_int_at_least("n_post", n_post, 1, "Dense: ")
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (n_pre, n_post):
                raise ValueError(
                    f"Dense: mask must have shape (n_pre, n_post) = {(n_pre, n_post)}, "
                    f"got {mask.shape}."
                )
            mask = mask.astype(bool)
            self._existing = _HostIndices(*np.nonzero(mask))
            mask = jnp.asarray(mask)
        else:
            self._existing = None
        self.mask = mask

    @property
    def synapse_shape(self) -> tuple[int, ...]:
        return (self.n_pre, self.n_post)

    @property
    def n_synapses(self) -> int:
        if self._existing is None:
            return self.n_pre * self.n_post
        return int(self._existing.pre.size)

    def canonical_indices(self) -> tuple[np.ndarray, np.ndarray]:
        if self._existing is None:
            pre, post = np.indices((self.n_pre, self.n_post))
            return pre.ravel(), post.ravel()
        return self._existing.pre, self._existing.post

    def from_canonical(self, values: Array) -> Array:
        if self.mask is None:
            return jnp.reshape(values, self.synapse_shape)
        pre, post = self.canonical_indices()
        return jnp.zeros(self.synapse_shape, jnp.result_type(values)).at[pre, post].set(values)

    def to_canonical(self, values: Array) -> Array:
        pre, post = self.canonical_indices()
        return values[pre, post]

    def synapse_indices(self) -> tuple[Array, Array, Array]:
        pre = jnp.arange(self.n_pre)[:, None]
        post = jnp.arange(self.n_post)[None, :]
        return pre, post, pre * self.n_post + post

    def exists(self) -> Bool[Array, "n_pre n_post"] | None:
        return self.mask

    def _masked_weights(self, w: Array) -> Array:
        return w if self.mask is None else jnp.where(self.mask, w, 0)

    def propagate(self, w: Array, arrived: Array) -> Array:
        return arrived.astype(w.dtype) @ self._masked_weights(w)

    def propagate_synapses(self, w: Array, arrived: Array) -> Array:
        return jnp.sum(weighted(self._masked_weights(w), arrived), axis=0)

    def propagate_events(
        self,
        w: Array,
        pre_ids: Int[Array, " k"],
        scale: Array | None = None,
        into: Array | None = None,
    ) -> Array:
        rows = self._masked_weights(w).at[pre_ids].get(mode="fill", fill_value=0)
        if scale is not None:
            rows = rows * scale[:, None]
        total = jnp.sum(rows, axis=0)
        return total if into is None else into + total

    def apply_pre_events(self, values: Any, pre_ids: Int[Array, " k"], fn: SynapseFn) -> Any:
        pre = pre_ids[:, None]
        post = jnp.arange(self.n_post)[None, :]
        rows = jax.tree_util.tree_map(lambda a: a.at[pre_ids].get(mode="clip"), values)
        new = fn(rows, pre, post, pre * self.n_post + post)
        if self.mask is not None:
            keep = self.mask.at[pre_ids].get(mode="fill", fill_value=False)
            new = jax.tree_util.tree_map(lambda n, o: jnp.where(keep, n, o), new, rows)
        return jax.tree_util.tree_map(lambda a, n: a.at[pre_ids].set(n, mode="drop"), values, new)

    def apply_post_events(self, values: Any, post_ids: Int[Array, " k"], fn: SynapseFn) -> Any:
        pre = jnp.arange(self.n_pre)[:, None]
        post = post_ids[None, :]
        cols = jax.tree_util.tree_map(lambda a: a.at[:, post_ids].get(mode="clip"), values)
        new = fn(cols, pre, post, pre * self.n_post + post)
        if self.mask is not None:
            keep = self.mask.at[:, post_ids].get(mode="fill", fill_value=False)
            new = jax.tree_util.tree_map(lambda n, o: jnp.where(keep, n, o), new, cols)
        return jax.tree_util.tree_map(
            lambda a, n: a.at[:, post_ids].set(n, mode="drop"), values, new
        )
