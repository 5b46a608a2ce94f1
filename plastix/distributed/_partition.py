"""Splitting a network into postsynaptic blocks, one per device, and joining it back.

Every population of ``n`` units is cut into ``D`` blocks of ``B = ceil(n / D)`` units
(the last padded with copies of the last unit, which are silenced: they never spike).
Device ``d`` owns units ``d·B … (d+1)·B − 1`` of every population and every synapse
*onto* them: Dense projections by column block, CSR/COO by the synapses whose
postsynaptic neuron is in the block (padded with inert synapses to the same count on
every device). So ``on_post`` updates are local, and ``on_pre`` updates touch only a
device's own synapses of a spiking presynaptic neuron. What every device holds in full
is the spike history of every population (the unit of exchange) and the presynaptic
traces (one per presynaptic neuron; per synapse, and so local, with per-synapse delays).

The state is split and joined on the host (NumPy): a sharded run starts from, and ends
with, the ordinary single-device ``NetworkState``, so checkpoints, monitors and results
do not depend on the device count.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._core.leaves import leaf_kinds
from .._core.recording import Recording
from .._core.spec import NetworkSpec, NetworkState, ProjectionSpec, ProjectionState
from ..connectivity._sparse import AbstractSparse
from ..connectivity.dense import Dense
from ..inputs._base import AbstractInput
from ._local_sparse import LocalSparse

_tree_map = jax.tree_util.tree_map


class Blocks:
    """``n`` units in ``devices`` blocks of ``size`` (the last one padded)."""

    def __init__(self, n: int, devices: int):
        self.n, self.devices = n, devices
        self.size = -(-n // devices)
        self.padded = self.size * devices

    def split(self, x: np.ndarray, axis: int = 0, fill: Any = "edge") -> np.ndarray:
        """``[..., n, ...]`` → ``[devices, ..., size, ...]`` (padding: copies of the last
        unit, or the value ``fill``)."""
        x = np.asarray(x)
        pad = [(0, 0)] * x.ndim
        pad[axis] = (0, self.padded - self.n)
        options = {"mode": "edge"} if fill == "edge" else {"constant_values": fill}
        x = np.pad(x, pad, **options)
        return np.stack(np.split(x, self.devices, axis=axis))

    def join(self, xs: np.ndarray, axis: int = 0) -> np.ndarray:
        """The inverse of ``split``: ``[devices, ..., size, ...]`` → ``[..., n, ...]``."""
        joined = np.concatenate(list(np.asarray(xs)), axis=axis)
        return np.take(joined, np.arange(self.n), axis=axis)

    def valid(self) -> np.ndarray:
        """``[devices, size]``: which slots hold a real unit."""
        return (np.arange(self.padded) < self.n).reshape(self.devices, self.size)


class SynapseList:
    """The synapses of a sparse projection, by postsynaptic block: ``index[d, j]`` is
    the storage position of device ``d``'s ``j``-th synapse, or −1 for padding."""

    def __init__(self, post: np.ndarray, blocks: Blocks):
        owner = post // blocks.size
        lists = [np.nonzero(owner == d)[0] for d in range(blocks.devices)]
        width = max(1, max(len(s) for s in lists))
        self.n = post.size
        self.index = np.full((blocks.devices, width), -1, np.int64)
        for d, s in enumerate(lists):
            self.index[d, : s.size] = s

    def split(self, x: np.ndarray, fill: Any = None) -> np.ndarray:
        """``[n_syn, ...]`` → ``[devices, width, ...]``; padding takes ``fill`` (default:
        the first synapse's value, so that it stays finite)."""
        x = np.asarray(x)
        out = x[np.maximum(self.index, 0)]
        if fill is not None:
            out[self.index < 0] = fill
        return out

    def join(self, xs: np.ndarray) -> np.ndarray:
        xs = np.asarray(xs)
        out = np.zeros((self.n,) + xs.shape[2:], xs.dtype)
        keep = self.index >= 0
        out[self.index[keep]] = xs[keep]
        return out


class Partition:
    """A network split over ``devices`` postsynaptic blocks (see the module docstring).

    Raises:
        ValueError: a population with fewer units than devices, a projection whose rule
            takes a neuromodulator population, or a rule whose state cannot be split.
    """

    def __init__(self, spec: NetworkSpec, devices: int):
        self.spec, self.devices = spec, devices
        for pop in spec.populations:
            if pop.n < devices:
                raise ValueError(
                    f"Network.run: population {pop.name!r} has {pop.n} units, fewer than "
                    f"the {devices} devices; each device needs at least one unit of every "
                    f"population. Use at most {pop.n} devices."
                )
        self.blocks = tuple(Blocks(p.n, devices) for p in spec.populations)
        # which leaves of each population's state have one entry per unit (split by block)
        self.unit_leaves = [
            _tree_map(
                lambda x, n=pop.n: len(x.shape) >= 1 and x.shape[0] == n,
                jax.eval_shape(lambda pop=pop: pop.model.init(pop.n, spec.dt)),
            )
            for pop in spec.populations
        ]
        self.synapses: list[SynapseList | None] = []
        self.widths: list[tuple[int, int] | None] = []  # sparse: (max_out, max_in) of blocks
        self.rule_kinds: list[list[tuple[int, int] | None]] = []
        for proj in spec.projections:
            if proj.modulator is not None:
                raise ValueError(
                    f"Network.run: projection {proj.name!r} takes the spikes of a "
                    f"neuromodulator population every step; sharded runs do not support "
                    f"modulated rules yet (run it on one device)."
                )
            if proj.delayed is not None:
                raise ValueError(
                    f"Network.run: projection {proj.name!r} has per-synapse delays on the "
                    f"event path (capacity={proj.capacity}); sharded runs keep per-synapse "
                    f"delays on the all-synapse path: build it with capacity=None (or "
                    f"capacity=(None, {proj.post_capacity})), or run it on one device."
                )
            conn = proj.connectivity
            if isinstance(conn, AbstractSparse):
                synapses = SynapseList(np.asarray(conn.post), self.blocks[proj.post])
                pre, post = np.asarray(conn.pre), np.asarray(conn.post)
                self.synapses.append(synapses)
                self.widths.append(
                    tuple(
                        max(_max_group(ids[s[s >= 0]], n) for s in synapses.index)
                        for ids, n in ((pre, conn.n_pre), (post, conn.n_post))
                    )
                )
            elif isinstance(conn, Dense):
                self.synapses.append(None)
                self.widths.append(None)
            else:
                raise ValueError(
                    f"Network.run: projection {proj.name!r} has connectivity "
                    f"{type(conn).__name__}; sharded runs split Dense, CSR and COO."
                )
            kinds = []
            if proj.rule is not None:
                try:
                    kinds = leaf_kinds(proj.rule.init, (proj.n_pre_slots, conn.n_post))
                except Exception as error:  # noqa: BLE001 (reported with the projection)
                    raise ValueError(
                        f"Network.run: the state of rule {type(proj.rule).__name__} of "
                        f"projection {proj.name!r} cannot be split by postsynaptic block "
                        f"({error})."
                    ) from error
            self.rule_kinds.append(kinds)
        local = [self._local_spec(d) for d in range(devices)]
        dynamic, static = zip(*(eqx.partition(s, eqx.is_array) for s in local), strict=True)
        leaves = [jax.tree_util.tree_flatten(d) for d in dynamic]
        self.template = leaves[0][1]
        self.static = static[0]
        self.spec_leaves = [
            np.stack([np.asarray(lv[0][i]) for lv in leaves]) for i in range(len(leaves[0][0]))
        ]

    # -- the local spec ------------------------------------------------------------------

    def _local_spec(self, d: int) -> NetworkSpec:
        populations = []
        for pop, blocks in zip(self.spec.populations, self.blocks, strict=True):
            model = pop.model
            if not isinstance(model, AbstractInput):  # sources only return their drive
                model = _tree_map(
                    lambda x, b=blocks: b.split(x)[d] if _per_unit(x, b.n) else x, model
                )
            populations.append(dataclasses.replace(pop, n=blocks.size, model=model))
        projections = [self._local_projection(i, d) for i in range(len(self.spec.projections))]
        return NetworkSpec(
            self.spec.dt, tuple(populations), tuple(projections), self.spec.loop_events
        )

    def _local_projection(self, i: int, d: int) -> ProjectionSpec:
        proj = self.spec.projections[i]
        conn, blocks = proj.connectivity, self.blocks[proj.post]
        synapses = self.synapses[i]
        delays = None
        if synapses is None:  # Dense: a block of columns
            mask = None
            if conn.mask is not None or blocks.padded != blocks.n:
                full = np.ones(conn.synapse_shape, bool) if conn.mask is None else conn.mask
                mask = blocks.split(full, axis=1, fill=False)[d]
            local = Dense(conn.n_pre, blocks.size, mask)
            if proj.delays is not None:
                delays = blocks.split(proj.delays, axis=1)[d]
        else:
            index = synapses.index[d]
            valid = index >= 0
            post = np.where(
                valid, np.asarray(conn.post)[np.maximum(index, 0)] - d * blocks.size, blocks.size
            )
            pre = np.where(valid, np.asarray(conn.pre)[np.maximum(index, 0)], 0)
            local = LocalSparse(pre, post, valid, conn.n_pre, blocks.size, *self.widths[i])
            if proj.delays is not None:
                delays = synapses.split(np.asarray(proj.delays))[d]
        return dataclasses.replace(
            proj,
            connectivity=local,
            delays=None if delays is None else jnp.asarray(delays),
        )

    # -- state ---------------------------------------------------------------------------

    def _synapse_split(self, i: int, x: np.ndarray, fill: Any = None) -> np.ndarray:
        synapses = self.synapses[i]
        if synapses is None:
            blocks = self.blocks[self.spec.projections[i].post]
            return blocks.split(x, axis=1, fill="edge" if fill is None else fill)
        return synapses.split(x, fill)

    def _synapse_join(self, i: int, xs: np.ndarray) -> np.ndarray:
        synapses = self.synapses[i]
        if synapses is None:
            return self.blocks[self.spec.projections[i].post].join(xs, axis=1)
        return synapses.join(xs)

    def _rule_map(self, i: int, tree: Any, split: bool) -> Any:
        """Split (or join) a projection's rule state leaf by leaf, by what its axes are."""
        proj = self.spec.projections[i]
        leaves, treedef = jax.tree_util.tree_flatten(tree)
        out = []
        for leaf, kind in zip(leaves, self.rule_kinds[i], strict=True):
            leaf = np.asarray(leaf)
            if kind is None or (kind[0] == 0 and not proj.per_synapse_delays):
                out.append(_replicate(leaf, self.devices) if split else leaf[0])
            elif kind[0] == 0:  # per-synapse presynaptic slots, flat over synapse_shape
                out.append(self._slots(i, leaf, split))
            else:
                blocks = self.blocks[proj.post]
                out.append(blocks.split(leaf, kind[1]) if split else blocks.join(leaf, kind[1]))
        return jax.tree_util.tree_unflatten(treedef, out)

    def _slots(self, i: int, leaf: np.ndarray, split: bool) -> np.ndarray:
        """Split (join) a per-synapse slot array ``[n_slots, ...]``, flat over the
        projection's ``synapse_shape`` (Dense: ``n_pre·n_post``, row-major)."""
        proj = self.spec.projections[i]
        shape, rest = proj.connectivity.synapse_shape, leaf.shape[1:]
        if split:
            parts = self._synapse_split(i, leaf.reshape(shape + rest))
            return parts.reshape((self.devices, -1) + rest)
        local = (leaf.shape[0],) + self._local_synapse_shape(i)
        return self._synapse_join(i, leaf.reshape(local + rest[1:])).reshape((-1,) + rest[1:])

    def _local_synapse_shape(self, i: int) -> tuple[int, ...]:
        synapses = self.synapses[i]
        if synapses is None:
            proj = self.spec.projections[i]
            return (proj.connectivity.n_pre, self.blocks[proj.post].size)
        return (synapses.index.shape[1],)

    def split_state(self, state: NetworkState) -> NetworkState:
        """The per-device states, stacked on a leading device axis (NumPy)."""
        state = jax.device_get(state)
        populations = tuple(
            _tree_map(
                lambda x, unit, b=b: b.split(x) if unit else _replicate(x, self.devices),
                s,
                units,
            )
            for s, units, b in zip(state.populations, self.unit_leaves, self.blocks, strict=True)
        )
        projections = []
        for i, p in enumerate(state.projections):
            projections.append(
                ProjectionState(
                    w=self._synapse_split(i, p.w, fill=0.0),
                    rule=self._rule_map(i, p.rule, split=True),
                    overflow=_replicate(p.overflow, self.devices),
                    synapses=_tree_map(lambda x, i=i: self._synapse_split(i, x), p.synapses),
                )
            )
        return NetworkState(
            step=_replicate(state.step, self.devices),
            populations=populations,
            history=tuple(_replicate(h, self.devices) for h in state.history),
            projections=tuple(projections),
        )

    def join_state(self, stacked: NetworkState) -> NetworkState:
        """The single-device state from the stacked per-device states (NumPy in, jax out)."""
        populations = tuple(
            _tree_map(
                lambda x, per_unit, b=b: b.join(x) if per_unit else np.asarray(x)[0], s, kinds
            )
            for s, kinds, b in zip(stacked.populations, self.unit_leaves, self.blocks, strict=True)
        )
        projections = []
        for i, p in enumerate(stacked.projections):
            projections.append(
                ProjectionState(
                    w=self._synapse_join(i, p.w),
                    rule=self._rule_map(i, p.rule, split=False),
                    overflow=np.max(p.overflow, axis=0),
                    synapses=_tree_map(lambda x, i=i: self._synapse_join(i, x), p.synapses),
                )
            )
        state = NetworkState(
            step=np.asarray(stacked.step)[0],
            populations=populations,
            history=tuple(np.asarray(h)[0] for h in stacked.history),
            projections=tuple(projections),
        )
        return _tree_map(jnp.asarray, state)

    # -- recordings ----------------------------------------------------------------------

    def join_record(self, rec: Recording, xs: np.ndarray) -> np.ndarray:
        """One recording's stacked per-device rows ``[devices, rows, ...]`` as the
        single-device run records them ``[rows, m]``."""
        xs = np.asarray(xs)
        if rec.kind == "weights":
            conn = self.spec.projections[rec.target].connectivity
            synapses = self.synapses[rec.target]
            if synapses is None:  # Dense: [devices, rows, n_pre, size]
                full = self.blocks[self.spec.projections[rec.target].post].join(xs, axis=2)
                pre, post = conn.canonical_indices()
                value = full[:, pre, post]
            else:  # sparse: [devices, rows, width] → storage order → canonical
                full = synapses.join(np.moveaxis(xs, 1, -1))
                value = full[np.asarray(conn.canonical)].T
        else:
            value = self.blocks[rec.target].join(xs, axis=1)
        return value if rec.indices is None else value[:, np.asarray(rec.indices)]


def _max_group(groups: np.ndarray, n: int) -> int:
    return int(np.bincount(groups, minlength=n).max(initial=0))


def _per_unit(x: Any, n: int) -> bool:
    """Whether an array has one entry per unit along its first axis."""
    return eqx.is_array_like(x) and np.ndim(x) >= 1 and np.shape(x)[0] == n


def _replicate(x: Any, devices: int) -> np.ndarray:
    x = np.asarray(x)
    return np.broadcast_to(x, (devices,) + x.shape).copy()
