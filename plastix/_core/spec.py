"""The static description of a network and its state, both PyTrees."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Int

from ..connectivity._base import AbstractConnectivity
from ..neurons._base import AbstractPopulationModel, ModelState
from ..rules._base import AbstractRule, RuleState
from . import delayed as delayed_events


class PopulationSpec(eqx.Module):
    """``n`` units of one model."""

    name: str = eqx.field(static=True)
    n: int = eqx.field(static=True)
    model: AbstractPopulationModel


class ProjectionSpec(eqx.Module):
    """Synapses from population ``pre`` to population ``post`` (indices into the network).

    ``delay`` is the homogeneous delay in steps (>= 1), or None when ``delays`` holds one
    delay per synapse (``synapse_shape``, steps >= 1). ``capacity`` is the size of the
    presynaptic event buffer and ``post_capacity`` that of the postsynaptic one (None:
    all-synapse path on that side); ``on_overflow`` is ``"error"`` or ``"dense"``.
    """

    name: str = eqx.field(static=True)
    pre: int = eqx.field(static=True)
    post: int = eqx.field(static=True)
    connectivity: AbstractConnectivity
    rule: AbstractRule | None
    receptor: str = eqx.field(static=True)
    delay: int | None = eqx.field(static=True)
    delays: Int[Array, "..."] | None
    max_delay: int = eqx.field(static=True)
    capacity: int | None = eqx.field(static=True)
    on_overflow: str = eqx.field(static=True)
    post_capacity: int | None = eqx.field(static=True, default=None)
    modulator: int | None = eqx.field(static=True, default=None)
    """Population whose spikes the rule takes as a neuromodulator signal (or None)."""
    delayed: delayed_events.DelayIndex | None = None
    """With per-synapse delays on the event path: the synapses by (delay, presynaptic
    neuron) (``plastix._core.delayed``); None otherwise."""

    @property
    def per_synapse_delays(self) -> bool:
        return self.delays is not None

    @property
    def n_pre_slots(self) -> int:
        """Presynaptic trace slots: one per neuron, or one per synapse with per-synapse delays."""
        if self.per_synapse_delays and self.delayed is None:
            return math.prod(self.connectivity.synapse_shape)
        return self.connectivity.n_pre


def _reads_history(proj: ProjectionSpec) -> bool:
    """Whether a projection reads its presynaptic spikes from the history: one with
    per-synapse delays on the event path schedules them instead, and reads the history
    only to take the all-synapse path when a spike buffer overflowed."""
    return proj.delayed is None or proj.on_overflow == "dense"


class NetworkSpec(eqx.Module):
    """Everything about a network that does not change during a run."""

    dt: float = eqx.field(static=True)
    populations: tuple[PopulationSpec, ...]
    projections: tuple[ProjectionSpec, ...]
    loop_events: bool = eqx.field(static=True, default=True)
    """On a CPU, walk event buffers in blocks up to the last spike (``events.for_events``);
    False processes every slot at once, which is what ``vmap`` wants."""

    def history_length(self, population: int) -> int:
        """Steps of spike history kept for ``population`` (its longest outgoing delay)."""
        return max(
            [p.max_delay for p in self.projections if p.pre == population and _reads_history(p)],
            default=1,
        )


class ProjectionState(NamedTuple):
    """Per-projection state."""

    w: Array
    """Weights, ``connectivity.synapse_shape``."""
    rule: RuleState
    """The rule's traces (``()`` for a static projection)."""
    overflow: Int[Array, ""]
    """Largest number of spikes seen in one step beyond ``capacity`` (0: none)."""
    synapses: Any = None
    """The rule's per-synapse variables besides ``w`` (None when it has none)."""
    delayed: delayed_events.DelayState | None = None
    """The last steps' spikes and presynaptic variables (``ProjectionSpec.delayed``)."""


class NetworkState(NamedTuple):
    """The whole mutable state of a network."""

    step: Int[Array, ""]
    """Absolute index of the next step."""
    populations: tuple[ModelState, ...]
    history: tuple[Array, ...]
    """Per population, the spikes (or rates) of the last ``L`` steps, ``[L, n]`` (slot
    ``k % L`` holds step k): booleans, or floats for a model that ``emits_float`` (rates,
    or surrogate spikes 0.0/1.0)."""
    projections: tuple[ProjectionState, ...]


def init_state(spec: NetworkSpec, weights: tuple[Array, ...]) -> NetworkState:
    """The state at step 0 with the given initial weights (one array per projection)."""
    populations = tuple(p.model.init(p.n, spec.dt) for p in spec.populations)
    history = tuple(
        jnp.zeros((spec.history_length(i), p.n), float if p.model.emits_float else bool)
        for i, p in enumerate(spec.populations)
    )
    projections = []
    for proj, w in zip(spec.projections, weights, strict=True):
        w = jnp.asarray(w, dtype=float)
        static = proj.rule is None
        rule = () if static else proj.rule.init(proj.n_pre_slots, proj.connectivity.n_post)
        ring = None
        if proj.delayed is not None:
            ring = delayed_events.init_state(proj.delayed, rule)
        projections.append(
            ProjectionState(
                w=w,
                rule=rule,
                overflow=jnp.zeros((), jnp.int32),
                synapses=None if static else proj.rule.init_synapses(w),
                delayed=ring,
            )
        )
    projections = tuple(projections)
    return NetworkState(jnp.zeros((), jnp.int32), populations, history, projections)
