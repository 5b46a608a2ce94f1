"""CSR connectivity: synapses stored sorted by presynaptic neuron."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from ._base import SynapseFn
from ._sparse import AbstractSparse, contiguous


class CSR(AbstractSparse):
    """Compressed sparse rows: synapses sorted by (pre, post), rows found by ``pre_ptr``.

    The storage order is the canonical order, so an ``on_pre`` event reads one contiguous
    row; ``on_post`` events go through the post→synapse index. One presynaptic event at a
    time (the CPU event loop, ``plastix._core.events.for_events``) reads and writes its row
    as one contiguous window instead of gathering it synapse by synapse (measured: ~4x
    faster per event on a CPU).

    Args:
        pre: presynaptic index of each synapse.
        post: postsynaptic index of each synapse.
        n_pre: number of presynaptic neurons.
        n_post: number of postsynaptic neurons.
    """

    @staticmethod
    def _storage_order(pre: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.lexsort((post, pre))
        return pre[order], post[order]

    def _window(self, i: Int[Array, ""]) -> tuple[Array, Array, Bool[Array, " max_out"]]:
        """Start and synapse ids of the ``max_out`` storage slots that hold row ``i`` (the
        start clamped as ``lax.dynamic_slice`` clamps it), and which of those slots are
        row ``i``'s; an out-of-range ``i`` (an unused buffer slot) owns none."""
        base, mine = contiguous(self.pre_ptr, i, self.n_synapses, self.max_out)
        return base, base + jnp.arange(self.max_out), mine

    def _slice(self, a: Array, base: Array) -> Array:
        return jax.lax.dynamic_slice_in_dim(a, base, self.max_out)

    def propagate_events(
        self,
        w: Array,
        pre_ids: Int[Array, " k"],
        scale: Array | None = None,
        into: Array | None = None,
    ) -> Array:
        if pre_ids.shape[0] != 1:
            return super().propagate_events(w, pre_ids, scale, into)
        base, _, mine = self._window(pre_ids[0])
        weight = self._slice(w, base)
        if scale is not None:
            weight = weight * scale[0]
        post = jnp.where(mine, self._slice(self.post, base), self.n_post)
        return self._total(into, w).at[post].add(weight, mode="drop")

    def apply_pre_events(self, values: Any, pre_ids: Int[Array, " k"], fn: SynapseFn) -> Any:
        if pre_ids.shape[0] != 1:
            return super().apply_pre_events(values, pre_ids, fn)
        base, syn, mine = self._window(pre_ids[0])
        old = jax.tree_util.tree_map(lambda a: self._slice(a, base), values)
        new = fn(old, self._slice(self.pre, base), self._slice(self.post, base), syn)

        def write(a: Array, n: Array, o: Array) -> Array:
            keep = mine.reshape(mine.shape + (1,) * (o.ndim - 1))
            return jax.lax.dynamic_update_slice_in_dim(a, jnp.where(keep, n, o), base, 0)

        return jax.tree_util.tree_map(write, values, new, old)
