"""CSR connectivity: synapses stored sorted by presynaptic neuron."""

from __future__ import annotations

import numpy as np

from ._sparse import AbstractSparse


class CSR(AbstractSparse):
    """Compressed sparse rows: synapses sorted by (pre, post), rows found by ``pre_ptr``.

    The storage order is the canonical order, so an ``on_pre`` event reads one contiguous
    row; ``on_post`` events go through the post→synapse index.

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
