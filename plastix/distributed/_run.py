"""Running a partitioned network: one ``shard_map`` per chunk, spikes exchanged per window.

Inside a chunk every device steps its own blocks (``plastix._core.step.advance``) for a
*window* of ``d`` steps, ``d`` no longer than the shortest delay of any projection: the
spikes that arrive during a window were all emitted before it, so they are already in
every device's copy of the spike history. At the end of the window the devices exchange
the window's spikes in one ``all_gather`` of ``[d, block]`` per population and write them
into the history. Nothing else crosses devices: each synapse lives on the device of its
postsynaptic neuron.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from .._checks import check_int_at_least
from .._core.events import gather_events
from .._core.recording import Recording
from .._core.simulate import make_drives, periodic_buffers, record_periodic, state_diagnostics
from .._core.spec import NetworkSpec, NetworkState
from .._core.step import advance, push_history
from .._errors import BufferOverflowError
from ._mesh import AXIS
from ._partition import Partition

_tree_map = jax.tree_util.tree_map


def _shortest_delay(proj: Any) -> int:
    """A projection's homogeneous delay, or its shortest per-synapse one [steps]."""
    return int(np.min(np.asarray(proj.delays))) if proj.per_synapse_delays else proj.delay


def minimum_delay(spec: NetworkSpec) -> int | None:
    """The shortest delay [steps] of any projection (None without projections)."""
    return min((_shortest_delay(p) for p in spec.projections), default=None)


def exchange_interval(spec: NetworkSpec, exchange_every: int | None) -> int:
    """Steps per window: ``exchange_every``, at most (and by default) the minimum delay."""
    shortest = minimum_delay(spec)
    if exchange_every is None:
        return shortest or 1
    if isinstance(exchange_every, bool) or not isinstance(exchange_every, int | np.integer):
        raise ValueError(
            f"Network.run: exchange_every must be a number of steps >= 1, got {exchange_every!r}."
        )
    if exchange_every < 1 or (shortest is not None and exchange_every > shortest):
        where = [p.name for p in spec.projections if _shortest_delay(p) == shortest]
        raise ValueError(
            f"Network.run: exchange_every={exchange_every} steps, but spikes must be "
            f"exchanged at least once per minimum delay, {shortest} steps "
            f"(projection {where[0]!r}): expected 1 <= exchange_every <= {shortest}."
        )
    return int(exchange_every)


def _to_host(tree: Any) -> Any:
    """Gather (possibly multi-process) arrays to NumPy on every process."""
    if jax.process_count() == 1:
        return jax.device_get(tree)
    from jax.experimental import multihost_utils

    return multihost_utils.process_allgather(tree, tiled=True)


def _put(tree: Any, sharding: NamedSharding) -> Any:
    """Host arrays (the same on every process) as global arrays split over the mesh."""

    def put(x: np.ndarray) -> jax.Array:
        x = np.asarray(x)
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

    return _tree_map(put, tree)


class ShardedRunner:
    """Runs chunks of a network over a mesh (``simulate``'s ``runner``).

    Args:
        spec: the single-device spec.
        state: the single-device state to start from.
        key: the run's random key.
        recordings: what to record (as ``plastix._core.simulate.run`` records it).
        mesh: a one-axis mesh named ``"neurons"``.
        exchange_every: steps per spike exchange (default: the minimum delay).
        exchange_capacity: None to exchange each window's spikes as booleans, one byte
            per neuron and step; or the number of spike indices (int32) each device
            sends per step and population, for sparse activity (a step in which more
            neurons of one device's block spike raises ``BufferOverflowError``, naming
            the population and the shard). Populations that emit rates or float spikes
            always exchange their values.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        state: NetworkState,
        key: jax.Array,
        recordings: tuple[Recording, ...],
        mesh: Mesh,
        exchange_every: int | None = None,
        partition: Partition | None = None,
        exchange_capacity: int | None = None,
    ):
        self.spec, self.recordings, self.mesh = spec, recordings, mesh
        self.window = exchange_interval(spec, exchange_every)
        self.partition = partition or Partition(spec, mesh.size)
        self.sharding = NamedSharding(mesh, P(AXIS))
        self.first_step = self._next = int(state.step)
        if exchange_capacity is not None:
            exchange_capacity = check_int_at_least(
                "exchange_capacity", exchange_capacity, 1, "Network.run: "
            )
        self.exchange_capacity = exchange_capacity
        # host copies: in a multi-process run every input must be global or host data
        self.populations = jax.device_get(spec.populations)
        self.key = np.asarray(jax.device_get(key))
        self.spec_leaves = _put(self.partition.spec_leaves, self.sharding)
        self.initial = _put(self.partition.split_state(state), self.sharding)

    def __call__(self, state: NetworkState, n_steps: int) -> tuple[Any, tuple, dict[str, Any]]:
        state, records, diagnostics = _run_chunk(
            self.populations,
            self.spec.dt,
            self.partition.static,
            self.partition.template,
            self.spec_leaves,
            state,
            self.key,
            n_steps,
            self.recordings,
            self.window,
            self.mesh,
            self.exchange_capacity,
        )
        # shard_map gives zero-size outputs (e.g. an empty rule-state field) a replicated
        # sharding; put them back on the mesh so that the next chunk hits the jit cache.
        state = jax.device_put(state, self.sharding)
        records, diagnostics = _to_host((records, diagnostics))
        first, self._next = self._next, self._next + n_steps
        for pop, needed in zip(self.spec.populations, diagnostics["exchange"], strict=True):
            shards = np.nonzero(np.asarray(needed) > 0)[0]
            if shards.size:
                raise BufferOverflowError(
                    f"Population {pop.name!r}: {int(np.max(needed))} neurons of one "
                    f"device's block spiked in one step, but exchange_capacity="
                    f"{self.exchange_capacity} (in steps {first}–{first + n_steps - 1}, "
                    f"shard {int(shards[0])}). Raise exchange_capacity, or pass None to "
                    f"exchange spikes as booleans."
                )
        joined = tuple(
            self._join_record(rec, values)
            for rec, values in zip(self.recordings, records, strict=True)
        )
        return state, joined, diagnostics

    def _join_record(self, rec: Recording, values: np.ndarray) -> np.ndarray:
        if rec.kind == "spikes":  # [devices, steps, block]
            blocks = self.partition.blocks[rec.target]
            spikes = blocks.join(values, axis=1)
            return spikes if rec.indices is None else spikes[:, np.asarray(rec.indices)]
        return self.partition.join_record(rec, values[:, :-1])

    def final_state(self, state: NetworkState) -> NetworkState:
        """The single-device state at the end of the run."""
        return self.partition.join_state(_to_host(state))


def _by_block(populations: tuple, drives: tuple, devices: int) -> tuple:
    """Each population's drive (made as on one device) cut into blocks
    ``[devices, T, block, ...]`` (leaves without a unit axis are repeated per device)."""
    out = []
    for pop, drive in zip(populations, drives, strict=True):
        size = -(-pop.n // devices)
        drive = pop.model.expand_drive(drive, pop.n)  # packed spikes: unit axis back

        def cut(x: jax.Array, n: int = pop.n, size: int = size) -> jax.Array:
            if x.ndim >= 2 and x.shape[1] == n:
                pad = [(0, 0)] * x.ndim
                pad[1] = (0, size * devices - n)
                x = jnp.pad(x, pad, mode="edge")
                x = x.reshape((x.shape[0], devices, size) + x.shape[2:])
                return jnp.moveaxis(x, 1, 0)
            return jnp.broadcast_to(x, (devices,) + x.shape)

        out.append(_tree_map(cut, drive))
    return tuple(out)


def _local_value(state: NetworkState, rec: Recording) -> jax.Array:
    """What a device records for a periodic recording: its whole block or its synapses'
    weights (the recording's indices are applied after joining)."""
    if rec.kind == "weights":
        return state.projections[rec.target].w
    return getattr(state.populations[rec.target], rec.variable)


def exchange_events(
    spikes: jax.Array, offset: jax.Array, capacity: int, n: int
) -> tuple[jax.Array, jax.Array]:
    """Exchange a window's spikes ``[d, block]`` as spike indices: each device sends, per
    step, up to ``capacity`` global indices (``offset`` + local index); every device
    rebuilds the spikes of all ``n`` units ``[d, n]``. Also returns the largest count of
    one step beyond ``capacity`` (0: nothing was lost)."""
    block = spikes.shape[1]
    slots = min(capacity, block)
    buffers = jax.vmap(lambda row: gather_events(row, slots, loop=False))(spikes)
    ids = jnp.where(buffers.ids < block, buffers.ids + offset, n)  # n: dropped below
    everyone = jax.lax.all_gather(ids, AXIS, axis=1, tiled=True)  # [d, devices·slots]
    rows = jnp.arange(spikes.shape[0])[:, None]
    gathered = jnp.zeros((spikes.shape[0], n), bool).at[rows, everyone].set(True, mode="drop")
    needed = jnp.max(jnp.where(buffers.count > slots, buffers.count, 0))
    return gathered, needed


@eqx.filter_jit
def _run_chunk(
    populations: tuple,
    dt: float,
    static: Any,
    template: Any,
    spec_leaves: list[jax.Array],
    state: NetworkState,
    key: jax.Array,
    n_steps: int,
    recordings: tuple[Recording, ...],
    window: int,
    mesh: Mesh,
    exchange_capacity: int | None = None,
) -> tuple[NetworkState, tuple, dict[str, Any]]:
    devices = mesh.size
    steps = state.step[0] + jnp.arange(n_steps, dtype=state.step.dtype)
    drives = make_drives(populations, key, steps, dt)
    drive_errors = tuple(
        pop.model.drive_errors(d) for pop, d in zip(populations, drives, strict=True)
    )
    drives = _by_block(populations, drives, devices)
    sizes = tuple(-(-p.n // devices) for p in populations)
    periodic = [r for r in recordings if r.kind != "spikes"]

    def local(leaves: list, net: NetworkState, drives: tuple, key: jax.Array) -> Any:
        squeeze = lambda tree: _tree_map(lambda x: x[0], tree)  # noqa: E731
        leaves, net, drives = squeeze(leaves), squeeze(net), squeeze(drives)
        local_spec = eqx.combine(jax.tree_util.tree_unflatten(template, leaves), static)
        me = jax.lax.axis_index(AXIS)
        valid = tuple(
            me * size + jnp.arange(size) < p.n for size, p in zip(sizes, populations, strict=True)
        )
        first = net.step
        # Rules that draw noise (clock-driven, per synapse) get an independent stream per
        # device: their draws, unlike everything else, depend on the device count.
        rule_key = jax.random.fold_in(key, me)

        buffers = periodic_buffers(periodic, n_steps, lambda r: _local_value(net, r))

        # The populations are not carried packed here as in ``simulate.run``: measured on
        # two CPU devices (W3 at half scale), packing made this loop 16 % slower.
        def one_step(carry: Any, drive_row: Any) -> Any:
            n, bufs = carry
            done = n.step
            n, spikes = advance(local_spec, n, drive_row, rule_key, valid)
            bufs = tuple(record_periodic(bufs, periodic, done, first, n, _local_value))
            return (n, bufs), spikes

        def one_window(carry: Any, window_drives: Any, length: int = window) -> Any:
            (n, bufs), needed = carry
            (n, bufs), spikes = jax.lax.scan(one_step, (n, bufs), window_drives, length=length)
            start = n.step - length
            everyone, new_needed = [], []
            for s, p, size, old in zip(spikes, populations, sizes, needed, strict=True):
                if exchange_capacity is None or s.dtype != jnp.bool_:
                    everyone.append(jax.lax.all_gather(s, AXIS, axis=1, tiled=True)[:, : p.n])
                    new_needed.append(old)
                    continue
                gathered, count = exchange_events(s, me * size, exchange_capacity, p.n)
                everyone.append(gathered)
                new_needed.append(jnp.maximum(old, count))
            n = n._replace(history=push_history(n.history, start, tuple(everyone)))
            recorded = tuple(spikes[r.target] for r in recordings if r.kind == "spikes")
            return ((n, bufs), tuple(new_needed)), recorded

        whole, rest = divmod(n_steps, window)
        carry = ((net, buffers), tuple(jnp.zeros((), jnp.int32) for _ in populations))
        outs = []
        if whole:
            head = _tree_map(
                lambda d: d[: whole * window].reshape((whole, window) + d.shape[1:]), drives
            )
            carry, out = jax.lax.scan(one_window, carry, head, length=whole)
            outs.append(_tree_map(lambda o: o.reshape((-1,) + o.shape[2:]), out))
        if rest:
            tail = _tree_map(lambda d: d[whole * window :], drives)
            carry, out = one_window(carry, tail, rest)
            outs.append(out)
        recorded = (
            outs[0] if len(outs) == 1 else _tree_map(lambda a, b: jnp.concatenate([a, b]), *outs)
        )
        (net, buffers), needed = carry
        spike_iter, buffer_iter = iter(recorded), iter(buffers)
        records = tuple(
            next(spike_iter) if r.kind == "spikes" else next(buffer_iter) for r in recordings
        )
        diagnostics = {**state_diagnostics(net), "exchange": needed}
        expand = lambda tree: _tree_map(lambda x: x[None], tree)  # noqa: E731
        return expand(net), expand(records), expand(diagnostics)

    sharded = jax.shard_map(
        local,
        mesh=mesh,
        in_specs=(P(AXIS), P(AXIS), P(AXIS), P()),
        out_specs=P(AXIS),
        check_vma=False,
    )
    state, records, diagnostics = sharded(spec_leaves, state, drives, key)
    diagnostics["drive_errors"] = drive_errors
    return state, records, diagnostics
