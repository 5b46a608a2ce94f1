"""The user layer: a mutable network that builds the pure core and runs it."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import numpy as np
from tqdm.auto import tqdm

from .._checks import check_positive
from .._core.delayed import build_index as build_delay_index
from .._core.delayed import fits as delay_fits
from .._core.delayed import unsupported as unsupported_delayed
from .._core.recording import Recording
from .._core.simulate import simulate
from .._core.spec import (
    NetworkSpec,
    NetworkState,
    PopulationSpec,
    ProjectionSpec,
    init_state,
)
from ..io import ResultsWriter
from ..rules._base import AbstractRule
from ..rules.combine import Chain
from . import checkpoint
from .monitor import Monitor
from .population import Population
from .projection import Projection

_WEIGHT_STREAM = 1 << 20  # fold_in offsets keep initial-value keys apart from run keys
_DELAY_STREAM = 2 << 20


def _accepts_rates(rule: AbstractRule) -> bool:
    """Whether ``rule`` (every rule of a chain) may see rates instead of spikes."""
    if isinstance(rule, Chain):
        return all(_accepts_rates(r) for r in rule.rules)
    return rule.accepts_rates


class Network:
    """A network of populations, projections and monitors, simulated with step ``dt``.

    Example:
        >>> net = Network(dt=0.1, seed=1)
        >>> inp = net.add(Population(PoissonInput(15.0), 1000, name="input"))
        >>> out = net.add(Population(LIFCond(), 1, name="neuron"))
        >>> syn = net.add(Projection(inp, out, all_to_all(1000, 1), PairSTDP(), weights=0.005))
        >>> spikes = net.add(Monitor(out))
        >>> net.run(1000.0)   # [ms]

    The functional core is reachable after ``build()``: ``net.spec`` (static, a PyTree)
    and ``net.state``, for users who ``jit``/``vmap``/``grad`` themselves with
    ``plastix.core.run``.

    Args:
        dt: time step [ms].
        seed: seed of every random draw (inputs, initial weights and delays).
    """

    def __init__(self, dt: float = 0.1, seed: int = 0):
        check_positive("dt", dt, "Network: ")
        self.dt = float(dt)
        self.seed = int(seed)
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        self.monitors: list[Monitor] = []
        self.spec: NetworkSpec | None = None
        self.state: NetworkState | None = None

    @property
    def t(self) -> float:
        """Current time [ms]."""
        return 0.0 if self.state is None else int(self.state.step) * self.dt

    def add(self, obj: Any) -> Any:
        """Add a Population, Projection or Monitor (before the first run); returns it."""
        if self.spec is not None:
            raise RuntimeError(
                "Network.add: the network was already built by run(); add every object "
                "before the first run."
            )
        if isinstance(obj, Population):
            self._claim(obj, self.populations, "pop")
        elif isinstance(obj, Projection):
            for side in ("pre", "post", "modulator"):
                pop = getattr(obj, side)
                if pop is not None and pop.network is not self:
                    label = "Projection" if obj.name is None else f"Projection {obj.name!r}"
                    raise ValueError(
                        f"{label}: its {side} population {pop.name!r} belongs "
                        "to another network (or none); add both populations to this network "
                        "first."
                    )
            self._claim(obj, self.projections, "proj")
        elif isinstance(obj, Monitor):
            if obj.target.network is not self:
                raise ValueError(
                    f"Monitor: its target {obj.target!r} belongs to another network (or none)."
                )
            if any(m is obj for m in self.monitors):
                raise ValueError(f"{obj!r} was already added to this network.")
            names = {m.name for m in self.monitors}
            if obj.name is None:
                base = f"{obj.target.name}.{obj.what}"
                obj.name = base
                suffix = 2
                while obj.name in names:
                    obj.name, suffix = f"{base}_{suffix}", suffix + 1
            elif obj.name in names:
                raise ValueError(f"Network.add: the monitor name {obj.name!r} is already used.")
            self.monitors.append(obj)
        else:
            raise ValueError(
                f"Network.add takes a Population, Projection or Monitor, got {type(obj).__name__}."
            )
        return obj

    def _claim(self, obj: Any, items: list, prefix: str) -> None:
        if obj.network is not None:
            raise ValueError(f"{obj!r} was already added to a network.")
        obj.network = self
        if obj.name is None:
            obj.name = f"{prefix}{len(items)}"
        if any(other.name == obj.name for other in items):
            raise ValueError(f"Network.add: the name {obj.name!r} is already used.")
        items.append(obj)

    # -- building the functional core -----------------------------------------------------

    def _delay_steps(self, proj: Projection, index: int) -> tuple[int | None, Any, int]:
        if proj.delay is None:
            return 1, None, 1
        key = jax.random.fold_in(jax.random.PRNGKey(self.seed), _DELAY_STREAM + index)
        if np.ndim(proj.delay) == 0 and not callable(proj.delay):
            values = np.array(float(proj.delay))
        else:
            conn = proj.connectivity
            values = np.asarray(conn.to_canonical(proj.per_synapse(proj.delay, key, "delay")))
        flat = np.ravel(values)
        if not np.all(np.isfinite(flat)):
            raise ValueError(
                f"Projection {proj.name!r}: delay must be a finite time >= dt = {self.dt} ms, "
                f"got {flat[~np.isfinite(flat)][0]}."
            )
        steps = np.round(values / self.dt)
        if steps.size and steps.min() < 1:
            raise ValueError(
                f"Projection {proj.name!r}: delay must be >= dt = {self.dt} ms (spikes reach "
                f"their synapses one step later at the earliest), got {float(np.min(values)):g} "
                f"ms, which rounds to {int(np.min(steps))} steps."
            )
        if steps.ndim == 0:
            return int(steps), None, int(steps)
        per_synapse = proj.connectivity.from_canonical(jax.numpy.asarray(steps.astype(np.int32)))
        return None, per_synapse, int(steps.max())

    def build(self) -> None:
        """Build ``spec`` and the initial ``state`` (run() does this on first use)."""
        if self.spec is not None:
            return
        if not self.populations:
            raise ValueError("Network.build: the network has no population; add one first.")
        pop_index = {id(p): i for i, p in enumerate(self.populations)}
        populations = []
        for pop in self.populations:
            pop.model.prepare(pop.n, self.dt)
            populations.append(PopulationSpec(pop.name, pop.n, pop.model))
        projections = []
        for i, proj in enumerate(self.projections):
            if proj.rule is not None:
                proj.rule.prepare(self.dt)
            delay, delays, max_delay = self._delay_steps(proj, i)
            pre_capacity, post_capacity = (
                proj.capacity if isinstance(proj.capacity, tuple) else (proj.capacity,) * 2
            )
            for side, pop, capacity in (
                ("pre", proj.pre, pre_capacity),
                ("post", proj.post, post_capacity),
            ):
                if pop.model.emits_rates and capacity is not None:
                    raise ValueError(
                        f"Projection {proj.name!r}: its {side}synaptic population "
                        f"{pop.name!r} emits rates, not spikes, so it has no spike events; "
                        f"leave its capacity None (got {capacity})."
                    )
                if side == "pre" and pop.model.emits_float and capacity is not None:
                    raise ValueError(
                        f"Projection {proj.name!r}: its presynaptic population {pop.name!r} "
                        f"emits surrogate (float) spikes, whose gradients the event path "
                        f"(a buffer of spike indices) would drop; leave its presynaptic "
                        f"capacity None (got {capacity}) so the all-synapse path delivers "
                        f"w * spike."
                    )
                if (
                    pop.model.emits_rates
                    and proj.rule is not None
                    and not _accepts_rates(proj.rule)
                ):
                    raise ValueError(
                        f"Projection {proj.name!r}: its {side}synaptic population "
                        f"{pop.name!r} emits rates, not spikes, but its rule "
                        f"{type(proj.rule).__name__} learns from spikes; use a rate-based "
                        f"rule (Oja, BCM) or a spiking population."
                    )
            delay_index = None
            conn, pre_model = proj.connectivity, proj.pre.model
            if (
                delays is not None
                and pre_capacity is not None
                and not (pre_model.emits_rates or pre_model.emits_float)
                and unsupported_delayed(proj.rule, conn.n_pre, conn.n_post) is None
            ):
                delay_index = build_delay_index(conn, delays, max_delay, proj.rule, pre_capacity)
                if not delay_fits(delay_index):
                    delay_index = None
            projections.append(
                ProjectionSpec(
                    name=proj.name,
                    pre=pop_index[id(proj.pre)],
                    post=pop_index[id(proj.post)],
                    connectivity=proj.connectivity,
                    rule=proj.rule,
                    receptor=proj.receptor,
                    delay=delay,
                    delays=delays,
                    max_delay=max_delay,
                    capacity=pre_capacity,
                    post_capacity=post_capacity,
                    on_overflow=proj.on_overflow,
                    modulator=None if proj.modulator is None else pop_index[id(proj.modulator)],
                    delayed=delay_index,
                )
            )
        self.spec = NetworkSpec(self.dt, tuple(populations), tuple(projections))
        self.state = init_state(self.spec, self.initial_weights(self.seed))
        self._recordings = tuple(self._recording(m, pop_index) for m in self.monitors)

    def initial_weights(self, seed: int) -> tuple:
        """Each projection's initial weights as the network draws them with ``seed``."""
        weights = []
        for i, proj in enumerate(self.projections):
            key = jax.random.fold_in(jax.random.PRNGKey(seed), _WEIGHT_STREAM + i)
            weights.append(proj.per_synapse(proj.weights, key, "weights"))
        return tuple(weights)

    def _recording(self, monitor: Monitor, pop_index: dict[int, int]) -> Recording:
        every = 1
        if monitor.every is not None:
            every = max(1, round(monitor.every / self.dt))
        if isinstance(monitor.target, Projection):
            target = self.projections.index(monitor.target)
            size = monitor.target.connectivity.n_synapses
            kind = "weights"
        else:
            target = pop_index[id(monitor.target)]
            size = monitor.target.n
            kind = "spikes" if monitor.what == "spikes" else "state"
            if kind == "spikes" and monitor.target.model.emits_rates:
                raise ValueError(
                    f"Monitor: {monitor.target.name!r} emits rates, not spikes; record its "
                    f"rate with Monitor({monitor.target.name}, 'rate') instead."
                )
            if kind == "state":
                fields = getattr(self.state.populations[target], "_fields", ())
                if monitor.what not in fields:
                    raise ValueError(
                        f"Monitor: {monitor.target.name!r} has no state variable "
                        f"{monitor.what!r}; it has {list(fields)}."
                    )
        if monitor.indices is not None and max(monitor.indices) >= size:
            raise ValueError(
                f"Monitor: index {max(monitor.indices)} is out of range for "
                f"{monitor.target.name!r}, which has {size} "
                f"{'synapses' if kind == 'weights' else 'units'}."
            )
        return Recording(kind, target, monitor.what, every, monitor.indices)

    # -- running -----------------------------------------------------------------------

    def run(
        self,
        duration: float,
        chunk_size: int = 10_000,
        progress: bool = True,
        save: str | Path | None = None,
        devices: Any = None,
        exchange_every: int | None = None,
        exchange_capacity: int | None = None,
    ) -> None:
        """Simulate ``duration`` [ms] more, in chunks of ``chunk_size`` steps.

        Args:
            duration: simulated time [ms].
            chunk_size: steps per jitted chunk (results do not depend on it).
            progress: show a progress bar.
            save: an HDF5 file to stream the monitors to, chunk by chunk, instead of
                keeping them in memory (host memory then stays bounded however long the
                run; the monitors' ``t``/``i``/``values`` are left as they were). A new
                file gets the network's dt, seed and parameters as attributes; a file
                written by the previous run of this network is appended to. Read it with
                ``plastix.io.load``.
            devices: run across devices (see ``plastix.distributed``): a number (the
                first N of ``jax.devices()``), a list of devices, or a
                ``jax.sharding.Mesh`` with a ``"neurons"`` axis. Each device owns a block
                of every population and the synapses onto it; results equal a
                single-device run's. None: one device.
            exchange_every: with ``devices``, steps between spike exchanges (default and
                maximum: the shortest delay of any projection).
            exchange_capacity: with ``devices``, exchange spikes as up to this many
                indices per device, step and population (for sparse activity; an
                overflow raises) instead of one byte per neuron and step (None).

        Raises:
            ValueError: a non-positive duration or chunk size, a ``save`` file that
                cannot be appended to (another network's, or one ending at another step),
                or ``devices`` that cannot hold the network (a population smaller than
                the device count, a mesh without a ``"neurons"`` axis, ``exchange_every``
                longer than the minimum delay).
            BufferOverflowError, NonFiniteError, SimulationError: a problem found on
                the device (reported after the chunk in which it happened).
        """
        check_positive("duration", duration, "Network.run: ")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(
                f"Network.run: chunk_size must be an integer >= 1, got {chunk_size!r}."
            )
        self.build()
        n_steps = max(1, round(duration / self.dt))
        first = self.state.step
        bar = (
            tqdm(total=n_steps, unit="step", desc=f"t={self.t:g} ms", leave=False)
            if progress
            else None
        )
        key = jax.random.PRNGKey(self.seed)
        runner = self._sharded_runner(key, devices, exchange_every, exchange_capacity)
        writer = None if save is None else ResultsWriter(save, self, int(first))
        with bar if bar is not None else contextlib.nullcontext():
            state, results = simulate(
                self.spec,
                self.state if runner is None else runner.initial,
                key,
                n_steps,
                self._recordings,
                chunk_size=chunk_size,
                progress=bar,
                sink=None if writer is None else writer.write,
                runner=runner,
            )
        self.state = state if runner is None else runner.final_state(state)
        if writer is not None:
            return
        appended = int(first) > 0
        for monitor, result in zip(self.monitors, results, strict=True):
            monitor._store(self.dt, result, appended)

    def _sharded_runner(
        self, key: Any, devices: Any, exchange_every: Any, exchange_capacity: Any
    ) -> Any:
        """The runner of a run across ``devices`` (None for a single-device run)."""
        if devices is None:
            for name, value in (
                ("exchange_every", exchange_every),
                ("exchange_capacity", exchange_capacity),
            ):
                if value is not None:
                    raise ValueError(
                        f"Network.run: {name} applies to runs across devices; pass "
                        f"devices= as well."
                    )
            return None
        from .. import distributed

        mesh = distributed.make_mesh(devices, "Network.run: ")
        cached = getattr(self, "_partition", None)
        if cached is None or cached.spec is not self.spec or cached.devices != mesh.size:
            self._partition = distributed.Partition(self.spec, mesh.size)
        return distributed.ShardedRunner(
            self.spec,
            self.state,
            key,
            self._recordings,
            mesh,
            exchange_every,
            self._partition,
            exchange_capacity,
        )

    def weights(self, projection: Projection) -> np.ndarray:
        """Current weights of ``projection`` as a ``[pre.n, post.n]`` matrix."""
        if not any(projection is p for p in self.projections):
            raise ValueError(
                f"Network.weights: projection must be one added to this network, got "
                f"{projection!r}."
            )
        self.build()
        index = self.projections.index(projection)
        return np.asarray(projection.connectivity.to_dense(self.state.projections[index].w))

    # -- checkpoints -------------------------------------------------------------------

    def store(self, path: str | Path) -> None:
        """Write a checkpoint of the full state to the HDF5 file ``path`` (overwritten).

        It holds the neuron, input and rule states, weights, spike histories (the delay
        buffers), the step count and seed (which fix every later random draw), the
        model and rule parameters, and the monitors' recordings so far. Restored into a
        network built the same way, a run continues bit-identically.
        """
        self.build()
        checkpoint.store(self, path)

    def restore(self, path: str | Path) -> None:
        """Load a checkpoint written by :meth:`store` (state, parameters, seed, monitors).

        Raises:
            FileNotFoundError: no such file.
            ValueError: not a checkpoint, or one of a network built differently (the
                message lists each difference: sizes, models, rules, connectivity,
                delays, monitors, state variables).
        """
        checkpoint.restore(self, path)

    # -- reading and writing state between runs ------------------------------------------

    def _index(self, obj: Any, items: list, method: str, kind: str) -> int:
        for i, item in enumerate(items):
            if item is obj:
                return i
        raise ValueError(
            f"Network.{method}: {kind} must be one added to this network, got {obj!r}."
        )

    def set_weights(self, projection: Projection, weights: Any) -> None:
        """Overwrite the weights of ``projection`` (e.g. normalised between two runs).

        Traces, neuron states and the step count are kept; only ``w`` changes, and the
        next ``run`` reuses the compiled code.

        Args:
            projection: a projection of this network.
            weights: a ``[pre.n, post.n]`` matrix (entries where the connectivity has no
                synapse are ignored), one value per synapse in canonical (pre, post)
                order, or one number for all synapses.

        Raises:
            ValueError: a projection of another network, a value of another shape (the
                message names both shapes), or a weight that is not finite.
        """
        index = self._index(projection, self.projections, "set_weights", "projection")
        if callable(weights):
            raise ValueError(
                "Network.set_weights: weights must be a number or an array, got a function "
                "(initializers are for the Projection)."
            )
        values = np.asarray(weights, dtype=float)
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"Network.set_weights: weights of projection {projection.name!r} must be "
                f"finite, got {values[~np.isfinite(values)][:3]}."
            )
        self.build()
        old = self.state.projections[index]
        w = projection.per_synapse(values, jax.random.PRNGKey(0), "weights")
        projections = list(self.state.projections)
        projections[index] = old._replace(w=jax.numpy.asarray(w, dtype=old.w.dtype))
        self.state = self.state._replace(projections=tuple(projections))

    def get_state(self, population: Population) -> dict[str, np.ndarray]:
        """The state variables of ``population`` as NumPy arrays, by name.

        For ``LIFCond`` these are ``v`` [mV], ``g_exc``, ``g_inh``, ``refractory`` and
        ``theta`` [mV]; a spike source without state gives ``{}``.
        """
        index = self._index(population, self.populations, "get_state", "population")
        self.build()
        state = self.state.populations[index]
        return {name: np.asarray(getattr(state, name)) for name in getattr(state, "_fields", ())}

    def set_state(self, population: Population, **values: Any) -> None:
        """Overwrite state variables of ``population`` by name, e.g. ``theta=learned``.

        Each value is a number (for every unit) or an array of shape ``(population.n,)``,
        cast to the variable's dtype. Variables not named are kept.

        Raises:
            ValueError: a population of another network, an unknown variable (the
                message lists the known ones), or a value of another shape.
        """
        index = self._index(population, self.populations, "set_state", "population")
        self.build()
        state = self.state.populations[index]
        fields = getattr(state, "_fields", ())
        updates = {}
        for name, value in values.items():
            if name not in fields:
                raise ValueError(
                    f"Network.set_state: population {population.name!r} has no state "
                    f"variable {name!r}; it has {list(fields)}."
                )
            old = getattr(state, name)
            array = np.asarray(value)
            if array.shape not in ((), old.shape):
                raise ValueError(
                    f"Network.set_state: {name} must be a number or have shape {old.shape} "
                    f"(one per unit of {population.name!r}), got shape {array.shape}."
                )
            updates[name] = jax.numpy.broadcast_to(jax.numpy.asarray(array, old.dtype), old.shape)
        populations = list(self.state.populations)
        populations[index] = state._replace(**updates)
        self.state = self.state._replace(populations=tuple(populations))

    def set_param(self, target: Population | Projection, name: str, value: Any) -> None:
        """Replace a parameter of a population's model or a projection's rule.

        The parameter keeps its shape, so the next ``run`` reuses the compiled code: this
        is how to present a new stimulus (``set_param(inputs, "rate", rates)``, with a
        ``PoissonInput`` built with one rate per unit) or to freeze learning
        (``set_param(exc, "theta_plus", 0.0)``) between runs. The model's ``prepare``
        check runs again; the constructor's checks do not, so pass values the
        constructor would accept. ``target.model`` (or ``target.rule``) is updated too.

        Args:
            target: a population or projection of this network.
            name: the parameter, an array field of the model or rule (e.g. ``"rate"``).
            value: the new value [the parameter's unit], of the parameter's shape.

        Raises:
            ValueError: a target of another network, a static projection, an unknown
                parameter (the message lists the known ones), or a value of another shape.
        """
        if isinstance(target, Projection):
            index = self._index(target, self.projections, "set_param", "target")
            owner, what = target.rule, "rule"
            if owner is None:
                raise ValueError(
                    f"Network.set_param: projection {target.name!r} is static (no rule), so "
                    "it has no parameter to set."
                )
        else:
            index = self._index(target, self.populations, "set_param", "target")
            owner, what = target.model, "model"
        known = [
            f.name
            for f in dataclasses.fields(owner)
            if isinstance(getattr(owner, f.name), jax.Array)
        ]
        if name not in known:
            raise ValueError(
                f"Network.set_param: the {what} of {target.name!r} "
                f"({type(owner).__name__}) has no parameter {name!r}; it has {known}."
            )
        old = getattr(owner, name)
        array = np.asarray(value, dtype=float)
        if array.shape != old.shape:
            raise ValueError(
                f"Network.set_param: {name} of {target.name!r} must have shape {old.shape} "
                f"(the shape it was built with), got shape {array.shape}."
            )
        new = eqx.tree_at(lambda m: getattr(m, name), owner, jax.numpy.asarray(array, old.dtype))
        self.build()
        if isinstance(target, Projection):
            target.rule = new
            projections = list(self.spec.projections)
            projections[index] = eqx.tree_at(lambda p: p.rule, projections[index], new)
            self.spec = eqx.tree_at(lambda s: s.projections, self.spec, tuple(projections))
        else:
            new.prepare(target.n, self.dt)
            target.model = new
            populations = list(self.spec.populations)
            populations[index] = eqx.tree_at(lambda p: p.model, populations[index], new)
            self.spec = eqx.tree_at(lambda s: s.populations, self.spec, tuple(populations))
