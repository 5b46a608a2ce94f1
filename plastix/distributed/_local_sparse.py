"""One device's block of a sparse projection: the synapses onto its postsynaptic block."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool

from ..connectivity._sparse import AbstractSparse, _index


class LocalSparse(AbstractSparse):
    """The synapses of a CSR or COO projection whose postsynaptic neuron lies in one
    device's block, in the global storage order, padded to the same length on every
    device.

    ``post`` is local to the block; padding synapses (``valid`` False) point at the
    out-of-range postsynaptic index ``n_post``, are left out of the pre/post event
    indices and are masked by ``exists()``: they never transmit and never learn.
    ``max_out``/``max_in`` are the largest over all devices, so every device's block has
    the same static shape.
    """

    valid: Bool[Array, " n_syn"]

    def __init__(
        self,
        pre: np.ndarray,
        post: np.ndarray,
        valid: np.ndarray,
        n_pre: int,
        n_post: int,
        max_out: int,
        max_in: int,
    ):
        self.n_pre, self.n_post = n_pre, n_post
        self.max_out, self.max_in = max_out, max_in
        positions = np.nonzero(valid)[0]

        def index(groups: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
            ptr, perm, _ = _index(groups[positions], n)
            full = np.zeros(valid.size, np.int64)
            full[: perm.size] = positions[perm]
            return ptr, full

        pre_ptr, pre_perm = index(pre, n_pre)
        post_ptr, post_perm = index(post, n_post)
        self.pre, self.post = jnp.asarray(pre), jnp.asarray(post)
        self.pre_ptr, self.pre_perm = jnp.asarray(pre_ptr), jnp.asarray(pre_perm)
        self.post_ptr, self.post_perm = jnp.asarray(post_ptr), jnp.asarray(post_perm)
        self.post_pre = jnp.asarray(np.asarray(pre)[post_perm])
        self.canonical = jnp.arange(valid.size)
        self.valid = jnp.asarray(valid, bool)

    def exists(self) -> Bool[Array, " n_syn"]:
        return self.valid
