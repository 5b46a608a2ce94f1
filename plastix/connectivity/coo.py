"""COO connectivity: synapses stored in the order given."""

from __future__ import annotations

from ._sparse import AbstractSparse


class COO(AbstractSparse):
    """Coordinate list: synapses kept in the order given (per-synapse arrays follow it).

    Suits synapse-parallel work (the all-synapse path is one fused elementwise pass);
    the event path goes through the pre→synapse and post→synapse indices.

    Args:
        pre: presynaptic index of each synapse.
        post: postsynaptic index of each synapse.
        n_pre: number of presynaptic neurons.
        n_post: number of postsynaptic neurons.
    """
