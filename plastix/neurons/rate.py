"""Rate neuron: a linear or rectified unit, instantaneous or a leaky integrator."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import _concrete, as_param, check_choice, check_positive
from ._base import AbstractPopulationModel

ACTIVATIONS = ("linear", "rectified")


def check_finite(name: str, value: object, where: str) -> None:
    """Raise ValueError unless every element of ``value`` is finite (traced: skipped)."""
    arr = _concrete(value)
    if arr is not None and not np.all(np.isfinite(np.asarray(arr, dtype=float))):
        raise ValueError(f"{where}{name} must be finite, got {value!r}.")


class RateNeuronState(NamedTuple):
    """State of :class:`RateNeuron`."""

    rate: Float[Array, " n"]
    """Output rate ``r`` (the unit of the inputs times ``gain``; see the class docstring)."""


class RateNeuron(AbstractPopulationModel):
    """A rate unit: its output is a number per step, not spikes (``emits_rates``).

    The input of a step is the summed synaptic input of both receptors,
    ``u = exc + inh``: every projection adds ``w·r`` for a presynaptic rate ``r`` (or
    ``w`` per spike arriving from a spiking population). As for ``LIF``, inhibition comes
    with negative weights on ``"inh"``; the two receptors only keep the two inputs apart.
    With ``tau=None`` the unit is instantaneous,

    ``r = f(gain·u + bias)``,

    with ``f(a) = a`` (``"linear"``) or ``f(a) = max(a, 0)`` (``"rectified"``); with a time
    constant it is a leaky integrator,

    ``tau·dr/dt = −r + f(gain·u + bias)``,

    integrated exactly for an input held over the step (exponential Euler):
    ``r ← f + (r − f)·exp(−dt/tau)``. A projection delivers what its presynaptic
    population emitted one delay earlier (at least one step), so a chain
    input → rate unit computes ``r`` at step ``k`` from the input emitted at ``k − 1``.

    Mixing with spiking populations: values travel *per step*. A rate takes the place of
    the spike count of a step, so a rate unit feeding a ``LIF`` adds ``w·r`` [pA] to its
    synaptic current each step, as ``r`` spikes would; and a spike train feeds a rate
    unit as its count per step (``w`` in the step a spike arrives, mean ``w·ν·dt`` for a
    rate ``ν`` [1/ms]). To read a spike train as a rate in 1/ms, scale the weights by
    ``1/dt`` (by ``1000/dt`` for Hz); to let ``r`` in 1/ms drive a ``LIF`` as a Poisson
    train of that rate would on average, scale them by ``dt``.

    Args:
        activation: ``"linear"`` or ``"rectified"``.
        tau: time constant [ms], > 0, or None for an instantaneous unit.
        gain: factor of the input (dimensionless).
        bias: constant added to the scaled input (unit of ``r``).
        rate_init: initial rate (matters only with ``tau``; unit of ``r``).

    Each parameter is a number or one value per unit.

    Raises:
        ValueError: an unknown activation, a non-positive ``tau``, a non-finite
            ``gain``, ``bias`` or ``rate_init``, or (when the network is built) a
            parameter with neither one value nor one per unit.

    Example:
        >>> unit = net.add(Population(RateNeuron("linear"), 1))
        >>> rates = net.add(Monitor(unit, "rate"))
    """

    receptors: ClassVar[tuple[str, ...]] = ("exc", "inh")
    emits_rates: ClassVar[bool] = True

    tau: Array | None
    gain: Array
    bias: Array
    rate_init: Array
    activation: str = eqx.field(static=True)

    def __init__(
        self,
        activation: str = "linear",
        tau: float | None = None,
        gain: float = 1.0,
        bias: float = 0.0,
        rate_init: float = 0.0,
    ):
        where = "RateNeuron: "
        check_choice("activation", activation, ACTIVATIONS, where)
        if tau is not None:
            check_positive("tau", tau, where)
        for name, value in (("gain", gain), ("bias", bias), ("rate_init", rate_init)):
            check_finite(name, value, where)
        self.activation = activation
        self.tau = None if tau is None else as_param(tau)
        self.gain, self.bias, self.rate_init = as_param(gain), as_param(bias), as_param(rate_init)

    def prepare(self, n: int, dt: float) -> None:
        for name in ("tau", "gain", "bias", "rate_init"):
            value = getattr(self, name)
            if value is not None and value.shape not in ((), (n,)):
                raise ValueError(
                    f"RateNeuron: {name} must be a number or have shape ({n},) (one per "
                    f"unit), got shape {tuple(value.shape)}."
                )

    def init(self, n: int, dt: float) -> RateNeuronState:
        return RateNeuronState(jnp.broadcast_to(self.rate_init, (n,)).astype(float))

    def steady_rate(self, u: Array) -> Array:
        """``f(gain·u + bias)``: the rate an input ``u`` drives the unit to."""
        a = self.gain * u + self.bias
        return jnp.maximum(a, 0.0) if self.activation == "rectified" else a

    def step(self, state: RateNeuronState, inputs: dict[str, Array], drive: None, dt: float):
        target = self.steady_rate(inputs["exc"] + inputs["inh"])
        if self.tau is None:
            rate = target
        else:
            rate = target + (state.rate - target) * jnp.exp(-dt / self.tau)
        rate = jnp.broadcast_to(rate, state.rate.shape).astype(state.rate.dtype)
        return RateNeuronState(rate), rate
