"""Ensembles: many instances of one network, run at once with ``vmap``."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from .._checks import check_positive
from .._core.simulate import simulate
from .._core.spec import NetworkSpec, init_state
from .network import Network
from .population import Population
from .projection import Projection


def _owner_path(net: Network, target: Population | Projection) -> tuple[str, Any, int]:
    """("model" | "rule", owner object, index) of a population's model or projection's rule."""
    if isinstance(target, Projection):
        index = net._index(target, net.projections, "ensemble", "a params target")
        if target.rule is None:
            raise ValueError(
                f"Ensemble: projection {target.name!r} is static (no rule), so it has no "
                "parameter to vary."
            )
        return "rule", net.spec.projections[index].rule, index
    index = net._index(target, net.populations, "ensemble", "a params target")
    return "model", net.spec.populations[index].model, index


def _leaf(spec: NetworkSpec, kind: str, index: int, name: str):
    if kind == "rule":
        return lambda s: getattr(s.projections[index].rule, name)
    return lambda s: getattr(s.populations[index].model, name)


class Ensemble:
    """``size`` instances of ``network`` run together, vmapped over seeds and parameters.

    The instances share the connectivity and the compiled step; each has its own seed
    (its own input spikes, noise and initial weights, exactly as a ``Network`` built with
    that seed) and its own values of the parameters named in ``params``. Instance ``b``
    gives the same result as the network run alone with ``seed=seeds[b]`` and those
    parameter values (to rounding). The instances start from the network's initial state
    for their seed (not from ``network.state`` after earlier runs or ``set_state``).

    After ``run``, the network's monitors hold the ensemble's recordings with a batch
    axis: ``values`` is ``[size, rows, m]`` for state and weight monitors, and spike
    monitors gain ``batch`` (the instance of each spike, beside ``t`` and ``i``).

    Args:
        network: the network (it is built if it was not).
        seeds: one seed per instance (default: the network's seed for every instance).
        params: ``{(population_or_projection, "name"): values}`` with ``values`` of
            shape ``[size]`` or ``[size, *shape of the parameter]``: one value per
            instance of a neuron model's or a rule's array parameter.

    Example:
        >>> ens = px.Ensemble(net, seeds=range(64))
        >>> ens = px.Ensemble(net, params={(syn, "a_plus"): np.linspace(0, 1e-4, 8)})
        >>> ens.run(1000.0); ens.weights(syn).shape  # (size, n_pre, n_post)
    """

    def __init__(self, network: Network, seeds: Any = None, params: dict | None = None) -> None:
        network.build()
        params = dict(params or {})
        sizes = {} if seeds is None else {"seeds": len(seeds)}
        for (target, name), values in params.items():
            sizes[f"{getattr(target, 'name', target)}.{name}"] = np.shape(values)[:1]
        lengths = {k: (v if isinstance(v, int) else (v[0] if v else 0)) for k, v in sizes.items()}
        if not lengths:
            raise ValueError("Ensemble: give seeds, params or both (nothing would vary).")
        size = next(iter(lengths.values()))
        if size < 1 or any(n != size for n in lengths.values()):
            raise ValueError(
                f"Ensemble: seeds and every params entry need the same leading length (the "
                f"number of instances, >= 1), got {lengths}."
            )
        self.network, self.size = network, size
        self.seeds = [network.seed] * size if seeds is None else [int(s) for s in seeds]
        # Under vmap an event loop would touch every synapse in each round: process every
        # buffer slot at once instead (plastix._core.events.for_events).
        spec = dataclasses.replace(network.spec, loop_events=False)
        axes = jax.tree_util.tree_map(lambda _: None, spec)
        for (target, name), values in params.items():
            kind, owner, index = _owner_path(network, target)
            known = [
                f.name
                for f in dataclasses.fields(owner)
                if isinstance(getattr(owner, f.name), jax.Array)
            ]
            if name not in known:
                raise ValueError(
                    f"Ensemble: the {kind} of {target.name!r} ({type(owner).__name__}) has no "
                    f"parameter {name!r}; it has {known}."
                )
            old = getattr(owner, name)
            array = np.asarray(values, dtype=float)
            if array.shape[1:] not in ((), old.shape):
                shapes = f"({size},)" + (f" or {(size, *old.shape)}" if old.shape else "")
                raise ValueError(
                    f"Ensemble: params[{target.name!r}, {name!r}] must have shape {shapes} "
                    f"(one value per instance, of the parameter's shape {old.shape}), got "
                    f"{array.shape}."
                )
            if array.ndim == 1:  # one number per instance, for every entry
                array = array.reshape((size,) + (1,) * old.ndim)
            array = np.broadcast_to(array, (size,) + old.shape)
            where = _leaf(spec, kind, index, name)
            spec = eqx.tree_at(where, spec, jnp.asarray(array, old.dtype))
            axes = eqx.tree_at(where, axes, 0, is_leaf=lambda x: x is None)
        self.spec, self.spec_axes = spec, axes
        states = []
        for b in range(size):
            one = self.instance_spec(b)
            for pop in one.populations:
                pop.model.prepare(pop.n, network.dt)
            states.append(init_state(one, network.initial_weights(self.seeds[b])))
        self.state = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *states)

    def instance_spec(self, b: int) -> NetworkSpec:
        """The spec of instance ``b`` alone (its parameter values, no batch axis)."""
        return jax.tree_util.tree_map(
            lambda leaf, axis: leaf if axis is None else leaf[b],
            self.spec,
            self.spec_axes,
            is_leaf=lambda x: x is None,
        )

    def run(self, duration: float, chunk_size: int = 10_000, progress: bool = True) -> None:
        """Simulate ``duration`` [ms] more for every instance (see ``Network.run``)."""
        check_positive("duration", duration, "Ensemble.run: ")
        net = self.network
        n_steps = max(1, round(duration / net.dt))
        first = int(self.state.step[0])
        keys = jnp.stack([jax.random.PRNGKey(s) for s in self.seeds])
        bar = tqdm(total=n_steps, unit="step", leave=False) if progress else None
        with bar if bar is not None else contextlib.nullcontext():
            self.state, results = simulate(
                self.spec, self.state, keys, n_steps, net._recordings,
                chunk_size=chunk_size, progress=bar, spec_axes=self.spec_axes,
            )  # fmt: skip
        for monitor, result in zip(net.monitors, results, strict=True):
            monitor._store(net.dt, result, first > 0)

    def weights(self, projection: Projection) -> np.ndarray:
        """Current weights of ``projection``, ``[size, pre.n, post.n]``."""
        index = self.network._index(projection, self.network.projections, "weights", "projection")
        w = self.state.projections[index].w
        return np.asarray(jax.vmap(projection.connectivity.to_dense)(w))
