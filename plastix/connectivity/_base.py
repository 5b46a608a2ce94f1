"""The connectivity interface: which synapses a spike touches.

A connectivity format stores *which* synapses exist, never their weights: weights and
other per-synapse variables live in the network state as arrays of
``synapse_shape`` (``(n_pre, n_post)`` for :class:`Dense`, ``(n_synapses,)`` for the
sparse formats). Every format offers two paths for each operation:

* the **all-synapse path** (``propagate``, ``apply_masked``): every synapse is visited
  and masked by whether its neuron spiked; always available, and the reference that the
  event path is tested against;
* the **event path** (``propagate_events``, ``apply_pre_events``, ``apply_post_events``):
  only the synapses of the neurons listed in a fixed-capacity buffer of spiking neuron
  indices are visited. Unused buffer slots hold the out-of-range index ``n`` and are
  dropped.

A plasticity update is a function ``fn(values, pre, post, synapse) -> values`` applied
elementwise to the gathered per-synapse values (a PyTree of arrays), with the presynaptic
neuron, postsynaptic neuron and flat synapse index of each one.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

SynapseFn = Callable[[Any, Array, Array, Array], Any]


class AbstractConnectivity(eqx.Module):
    """Which synapses exist between ``n_pre`` and ``n_post`` neurons.

    Synapses have a *canonical order*, sorted by (pre, post): initial values drawn per
    synapse in that order make every format give the same network.
    """

    n_pre: eqx.AbstractVar[int]
    n_post: eqx.AbstractVar[int]

    @property
    @abc.abstractmethod
    def synapse_shape(self) -> tuple[int, ...]:
        """Shape of per-synapse arrays in this format."""

    @property
    @abc.abstractmethod
    def n_synapses(self) -> int:
        """Number of existing synapses."""

    @abc.abstractmethod
    def canonical_indices(self) -> tuple[np.ndarray, np.ndarray]:
        """(pre, post) NumPy index arrays of the synapses in canonical order."""

    @abc.abstractmethod
    def from_canonical(self, values: Array) -> Array:
        """A per-synapse array of ``synapse_shape`` from values in canonical order."""

    @abc.abstractmethod
    def to_canonical(self, values: Array) -> Array:
        """Per-synapse values in canonical order (length ``n_synapses``)."""

    @abc.abstractmethod
    def synapse_indices(self) -> tuple[Array, Array, Array]:
        """(pre, post, flat synapse index), each broadcastable to ``synapse_shape``."""

    @abc.abstractmethod
    def exists(self) -> Bool[Array, "..."] | None:
        """Mask of existing synapses over ``synapse_shape``, or None when all exist."""

    @abc.abstractmethod
    def propagate(self, w: Array, arrived: Array) -> Array:
        """Summed weight of arrived presynaptic spikes per postsynaptic neuron [n_post].

        ``arrived`` [n_pre] holds booleans (spikes) or numbers (rates, or spikes scaled
        by short-term plasticity): each synapse contributes ``w * arrived[pre]``."""

    @abc.abstractmethod
    def propagate_synapses(self, w: Array, arrived: Array) -> Array:
        """Like ``propagate`` with an arrival value per synapse (per-synapse delays)."""

    @abc.abstractmethod
    def propagate_events(
        self,
        w: Array,
        pre_ids: Int[Array, " k"],
        scale: Array | None = None,
        into: Array | None = None,
    ) -> Array:
        """Event path of ``propagate``: ``pre_ids`` lists the arrived presynaptic neurons,
        ``scale`` [k] (optional) what each of them transmits (1 when None); the sums are
        added to ``into`` [n_post] (optional; updated in place by the sparse formats)."""

    @abc.abstractmethod
    def apply_pre_events(self, values: Any, pre_ids: Int[Array, " k"], fn: SynapseFn) -> Any:
        """Apply ``fn`` to the synapses of the presynaptic neurons in ``pre_ids``."""

    @abc.abstractmethod
    def apply_post_events(self, values: Any, post_ids: Int[Array, " k"], fn: SynapseFn) -> Any:
        """Apply ``fn`` to the synapses of the postsynaptic neurons in ``post_ids``."""

    # -- shared by every format --------------------------------------------------------

    def event_widths(self) -> tuple[int, int]:
        """Synapse slots that one presynaptic and one postsynaptic event visit."""
        return self.n_post, self.n_pre

    def from_matrix(self, matrix: Array) -> Array:
        """Per-synapse values gathered from a full ``[n_pre, n_post]`` matrix."""
        pre, post = self.canonical_indices()
        return self.from_canonical(jnp.asarray(matrix)[pre, post])

    def to_dense(self, values: Array) -> Array:
        """A ``[n_pre, n_post]`` matrix of per-synapse values (0 where no synapse;
        multapses are summed)."""
        pre, post = self.canonical_indices()
        dense = jnp.zeros((self.n_pre, self.n_post), jnp.result_type(values))
        return dense.at[pre, post].add(self.to_canonical(values))

    def apply_masked(self, values: Any, selected: Bool[Array, "..."], fn: SynapseFn) -> Any:
        """All-synapse path: apply ``fn`` where ``selected`` (over ``synapse_shape``)."""
        exists = self.exists()
        if exists is not None:
            selected = selected & exists
        pre, post, syn = self.synapse_indices()
        updated = fn(values, pre, post, syn)
        return jax.tree_util.tree_map(
            lambda new, old: jnp.where(selected, new, old), updated, values
        )

    def pre_selected(self, fired: Bool[Array, " n_pre"]) -> Bool[Array, "..."]:
        """Per-synapse flag: the synapse's presynaptic neuron is in ``fired``."""
        pre, _, _ = self.synapse_indices()
        return jnp.broadcast_to(fired[pre], self.synapse_shape)

    def post_selected(self, fired: Bool[Array, " n_post"]) -> Bool[Array, "..."]:
        """Per-synapse flag: the synapse's postsynaptic neuron is in ``fired``."""
        _, post, _ = self.synapse_indices()
        return jnp.broadcast_to(fired[post], self.synapse_shape)


def weighted(w: Array, arrived: Array) -> Array:
    """``w`` where a spike arrived (booleans), else ``w * arrived`` (numbers)."""
    if arrived.dtype == jnp.bool_:
        return jnp.where(arrived, w, 0)
    return w * arrived.astype(w.dtype)


def check_indices(
    pre: np.ndarray, post: np.ndarray, n_pre: int, n_post: int, where: str = ""
) -> None:
    """Raise ValueError for index arrays of different shapes or with out-of-range entries."""
    if pre.ndim != 1 or post.shape != pre.shape:
        raise ValueError(
            f"{where}pre and post must be 1-D index arrays of equal length, got shapes "
            f"{pre.shape} and {post.shape}."
        )
    for name, idx, n in (("pre", pre, n_pre), ("post", post, n_post)):
        if idx.size and (idx.dtype.kind not in "iu"):
            raise ValueError(f"{where}{name} indices must be integers, got dtype {idx.dtype}.")
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            bad = idx[(idx < 0) | (idx >= n)][0]
            raise ValueError(
                f"{where}{name} index {int(bad)} is out of range: {name} indices must lie in "
                f"[0, {n - 1}] for n_{name}={n}."
            )
