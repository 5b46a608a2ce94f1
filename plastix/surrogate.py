"""Surrogate spike functions: the exact step forward, a smooth derivative backward.

A spiking neuron's output ``H(v − v_th)`` (Heaviside) has derivative zero almost
everywhere, so no gradient reaches anything upstream of a spike. A *surrogate* keeps the
exact step in the forward pass — the simulation is bit for bit the one without it — and
replaces ``δ(v − v_th)`` by a smooth bump in the backward pass (``jax.custom_jvp``, so
``jax.grad``, ``jax.jvp`` and ``jax.vmap`` all work). Pass one to a neuron::

    px.LIF(surrogate=px.surrogate.fast_sigmoid(scale=1.0))

The neuron then emits float spikes ``0.0``/``1.0`` through which gradients flow into the
next neurons' inputs, the traces and the plasticity rules.

``scale`` [1/mV] sets the sharpness: the bump is ``~1/scale`` mV wide. Each surrogate's
derivative ``dS/dx`` is given with ``x = v − v_th`` [mV]; it has the unit 1/mV.

References:
    Zenke & Ganguli (2018), Neural Comput. 30:1514 (SuperSpike, fast sigmoid).
    Bellec et al. (2018), NeurIPS (triangle, "pseudo-derivative").
    Fang et al. (2021), ICCV (arctan).
    Neftci, Mostafa & Zenke (2019), IEEE Signal Process. Mag. 36:51 (review).
"""

from __future__ import annotations

import abc
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._checks import check_positive


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _spike(surrogate: AbstractSurrogate, x: Array) -> Array:
    return (x >= 0).astype(jnp.result_type(x, float))


@_spike.defjvp
def _spike_jvp(surrogate: AbstractSurrogate, primals: tuple, tangents: tuple) -> tuple:
    (x,), (dx,) = primals, tangents
    out = _spike(surrogate, x)
    return out, surrogate.derivative(x).astype(out.dtype) * dx


class AbstractSurrogate(eqx.Module):
    """A spike function ``S(x) = 1.0 if x ≥ 0 else 0.0`` whose backward pass uses
    ``derivative`` instead of the Dirac delta. ``scale`` [1/mV] is static (hashable), so
    a neuron can hold the surrogate as a static field."""

    scale: float = eqx.field(static=True)

    def __check_init__(self) -> None:
        check_positive("scale", self.scale, f"{type(self).__name__}: ")

    @abc.abstractmethod
    def derivative(self, x: Float[Array, "..."]) -> Float[Array, "..."]:
        """The surrogate ``dS/dx`` [1/mV] at ``x = v − v_th`` [mV]."""

    def __call__(self, x: Float[Array, "..."]) -> Float[Array, "..."]:
        """Spikes ``1.0`` where ``x ≥ 0``, else ``0.0`` (float, same shape as ``x``)."""
        return _spike(self, jnp.asarray(x))


class FastSigmoid(AbstractSurrogate):
    """SuperSpike (Zenke & Ganguli 2018): ``dS/dx = 1 / (1 + scale·|x|)²``, the
    derivative of a fast sigmoid; peak 1/mV at threshold, heavy tails."""

    def derivative(self, x: Array) -> Array:
        return 1.0 / (1.0 + self.scale * jnp.abs(x)) ** 2


class Triangle(AbstractSurrogate):
    """Triangle (Bellec et al. 2018): ``dS/dx = scale · max(0, 1 − scale·|x|)``; zero
    beyond ``1/scale`` mV from threshold, integral 1."""

    def derivative(self, x: Array) -> Array:
        return self.scale * jnp.maximum(0.0, 1.0 - self.scale * jnp.abs(x))


class ArcTan(AbstractSurrogate):
    """Arctan (Fang et al. 2021): ``dS/dx = (scale/2) / (1 + (π·scale·x/2)²)``, the
    derivative of ``1/2 + arctan(π·scale·x/2)/π``; integral 1."""

    def derivative(self, x: Array) -> Array:
        return (self.scale / 2) / (1.0 + (jnp.pi * self.scale * x / 2) ** 2)


def fast_sigmoid(scale: float = 1.0) -> FastSigmoid:
    """The SuperSpike surrogate ``dS/dx = 1/(1 + scale·|x|)²``; ``scale`` [1/mV]."""
    return FastSigmoid(float(scale))


def triangle(scale: float = 1.0) -> Triangle:
    """The triangle surrogate ``dS/dx = scale·max(0, 1 − scale·|x|)``; ``scale`` [1/mV]."""
    return Triangle(float(scale))


def arctan(scale: float = 1.0) -> ArcTan:
    """The arctan surrogate ``dS/dx = (scale/2)/(1 + (π·scale·x/2)²)``; ``scale`` [1/mV]."""
    return ArcTan(float(scale))
