"""The interface shared by neurons and spike sources: anything a population runs."""

from __future__ import annotations

import abc
import copy
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from .._backend import computed_once

ModelState = Any


class AbstractPopulationModel(eqx.Module):
    """A neuron model or spike source for ``n`` identical units.

    ``drive`` precomputes, for a whole chunk of steps in one vectorised call, what the
    model needs from outside (random input spikes, for example); ``step`` advances one
    step with this step's slice of the drive and the synaptic input arriving now.
    """

    receptors: ClassVar[tuple[str, ...]] = ()
    """Names of the synaptic inputs a projection can target (empty for spike sources)."""

    emits_rates: ClassVar[bool] = False
    """Whether ``step`` returns a rate (a float per unit, delivered as ``w * rate``)
    instead of spikes (booleans)."""

    @property
    def emits_float(self) -> bool:
        """Whether ``step`` returns floats (rates, or spikes ``0.0``/``1.0`` from a
        surrogate spike function) rather than booleans; the spike history has this dtype.
        Float spikes are still spikes: ``on_pre``/``on_post`` run for them."""
        return self.emits_rates

    def prepare(self, n: int, dt: float) -> None:  # noqa: B027 (optional hook)
        """Validate the model for ``n`` units at step ``dt`` [ms]; raise ValueError if bad."""

    def specialized(self, state: ModelState) -> AbstractPopulationModel:
        """The model with fast paths fixed, in static fields, from the concrete values of
        its parameters and of ``state`` at the start of a run (the host runner calls it
        before compiling its chunks; ``run`` called directly uses the model as given).
        Default: the model itself."""
        return self

    def unchanged(self) -> tuple[str, ...]:
        """Names of the state's fields that ``step`` returns as they are (the runner
        carries them apart from the packed ones, so that they cost nothing). Default:
        none."""
        return ()

    @abc.abstractmethod
    def init(self, n: int, dt: float) -> ModelState:
        """Initial state of ``n`` units."""

    def drive(self, key: Array, steps: Int[Array, " T"], n: int, dt: float) -> Any:
        """Per-step external drive for absolute ``steps`` (leading axis T), or None."""
        return None

    def expand_drive(self, drive: Any, n: int) -> Any:
        """The drive with a unit axis of length ``n`` (axis 1) in every leaf that has one,
        for cutting it into per-device blocks; a model that packs its drive unpacks it."""
        return drive

    def drive_errors(self, drive: Any) -> Array:
        """Number of invalid drive entries (e.g. a negative rate); 0 when all are valid."""
        return jnp.zeros((), jnp.int32)

    drive_error_message: ClassVar[str] = "invalid external drive"

    @abc.abstractmethod
    def step(
        self, state: ModelState, inputs: dict[str, Array], drive: Any, dt: float
    ) -> tuple[ModelState, Bool[Array, " n"]]:
        """Advance one step of ``dt`` [ms]; ``inputs`` maps receptor → summed weights.
        Returns the new state and this step's spikes (or rates, see ``emits_rates``)."""


class AbstractNeuron(AbstractPopulationModel):
    """A spiking neuron model with excitatory and inhibitory synaptic inputs."""

    receptors: ClassVar[tuple[str, ...]] = ("exc", "inh")


class AbstractThresholdNeuron(AbstractNeuron):
    """A neuron with an adaptive threshold: an offset ``theta`` [mV] in its state that
    grows by ``theta_plus`` at each spike and decays with ``tau_theta`` [ms], added to
    ``v_th``. Subclasses hold those fields and the static ``threshold_fixed``."""

    def specialized(self, state: Any) -> AbstractThresholdNeuron:
        """This neuron with ``threshold_fixed`` when ``theta_plus`` and ``theta`` are
        concrete and all 0: ``theta`` then stays exactly 0 (``0·decay + 0``), so the step
        neither updates nor reads it. Measured on W3 (10⁴ LIF neurons): ~4 % of a step on
        a CPU, the row that the packed state no longer stacks and copies."""
        theta_plus, theta = self.theta_plus, state.theta
        known = not any(isinstance(a, jax.core.Tracer) for a in (theta_plus, theta))
        fixed = known and not np.any(np.asarray(theta_plus)) and not np.any(np.asarray(theta))
        if fixed == self.threshold_fixed:
            return self
        new = copy.copy(self)
        object.__setattr__(new, "threshold_fixed", fixed)
        return new

    def unchanged(self) -> tuple[str, ...]:
        return ("theta",) if self.threshold_fixed else ()

    def threshold(self, theta: Array) -> Array:
        """The spike threshold [mV] with the offset ``theta``."""
        return self.v_th if self.threshold_fixed else self.v_th + theta

    def next_theta(self, theta: Array, spikes: Array, dt: float) -> Array:
        """``theta`` after a step of ``dt`` [ms] with ``spikes``."""
        if self.threshold_fixed:
            return theta
        return theta * jnp.exp(-dt / self.tau_theta) + spike_jump(spikes, self.theta_plus)


def refractory_steps(t_ref: Array, dt: float) -> Array:
    """Number of refractory steps ``round(t_ref/dt)``."""
    return jnp.round(t_ref / dt).astype(jnp.int32)


def fire_and_reset(
    v: Array,
    v_integrated: Array,
    refractory: Int[Array, " n"],
    v_th: Array,
    v_reset: Array,
    n_ref: Array,
    surrogate: Callable[[Array], Array] | None = None,
) -> tuple[Array, Array, Array]:
    """Threshold, reset and refractory bookkeeping shared by the LIF models.

    A refractory neuron keeps ``v = v_reset`` and cannot spike; a neuron whose integrated
    ``v`` reaches ``v_th`` spikes, is reset and becomes refractory for ``n_ref`` steps.

    Spikes are booleans, or with a ``surrogate`` (see ``plastix.surrogate``) floats
    ``surrogate(v − v_th)`` = 0.0/1.0, equal to the booleans in the forward pass, whose
    surrogate derivative carries gradients to ``v``, ``v_th`` and everything upstream.
    The reset ``v ← v_reset`` is *detached*: which neurons reset is decided by the spike
    values (``spike > 0``), so no gradient flows through the choice (the usual choice in
    surrogate-gradient training, Zenke & Vogels 2021).
    """
    free = refractory <= 0
    v_new = jnp.where(free, v_integrated, v_reset)
    if surrogate is None:
        spikes = computed_once(free & (v_new >= v_th))
        fired = spikes
    else:
        spikes = jnp.where(free, surrogate(v_new - v_th), 0.0)
        fired = spikes > 0
    v_new = jnp.where(fired, v_reset, v_new)
    refractory = jnp.where(fired, n_ref, jnp.maximum(refractory - 1, 0))
    del v
    return v_new, refractory, spikes


def spike_jump(spikes: Array, amount: Array) -> Array:
    """``amount`` where a neuron spiked, else 0: ``where`` for boolean spikes, and
    ``spikes * amount`` for float (surrogate) spikes, so the gradient passes."""
    if spikes.dtype == jnp.bool_:
        return jnp.where(spikes, amount, 0.0)
    return spikes * amount
