"""Izhikevich (2003) neuron: two variables, twenty firing patterns."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._backend import computed_once
from .._checks import as_param, check_choice, check_nonnegative, check_positive
from ._base import AbstractNeuron


class IzhikevichState(NamedTuple):
    """State of :class:`Izhikevich`."""

    v: Float[Array, " n"]
    """Membrane potential [mV]."""
    u: Float[Array, " n"]
    """Recovery variable [mV/ms scale of the model, as in the paper]."""


IZHIKEVICH_PRESETS: dict[str, tuple[float, float, float, float]] = {
    "RS": (0.02, 0.2, -65.0, 8.0),  # regular spiking (excitatory)
    "IB": (0.02, 0.2, -55.0, 4.0),  # intrinsically bursting
    "CH": (0.02, 0.2, -50.0, 2.0),  # chattering
    "FS": (0.1, 0.2, -65.0, 2.0),  # fast spiking (inhibitory)
    "LTS": (0.02, 0.25, -65.0, 2.0),  # low-threshold spiking
    "TC": (0.02, 0.25, -65.0, 0.05),  # thalamo-cortical
    "RZ": (0.1, 0.26, -65.0, 2.0),  # resonator
}
"""(a, b, c, d) of the paper's Fig. 2 cell classes."""


class Izhikevich(AbstractNeuron):
    """Izhikevich's simple model (Izhikevich 2003), NEST's ``izhikevich`` semantics.

    ``dv/dt = 0.04·v² + 5·v + 140 − u + I``, ``du/dt = a·(b·v − u)`` (v in mV, t in ms);
    when ``v ≥ v_th``: ``v ← c``, ``u ← u + d``. ``I`` is the constant current ``i_e``;
    synaptic input is a jump of ``v`` by the summed weights [mV] of the spikes arriving
    in the step (excitatory and inhibitory alike, inhibitory weights negative).

    Integration (``integration``):

    * ``"nest"`` (default): forward Euler with both variables advanced from their values
      at the start of the step (NEST's ``consistent_integration``), then the synaptic
      jump, then the threshold.
    * ``"paper"``: the papers' own code (Izhikevich 2003; ``daspnet.m`` of 2007): the
      synaptic input is a current ``I`` [mV/ms per unit weight] added to ``i_e``; ``v``
      takes two half steps ``v ← v + dt/2·(0.04·v² + 5·v + 140 − u + I)``, then
      ``u ← u + dt·a·(b·v − u)`` with the new ``v``; then the threshold.

    The quadratic term makes the model stiff near a spike: use dt ≤ 0.1 ms for
    quantitative work (the paper's 1 ms steps only reproduce firing patterns).

    Args:
        a: recovery time scale [1/ms].
        b: recovery sensitivity to v.
        c: reset potential [mV].
        d: recovery jump at a spike.
        i_e: constant input current (in the model's units, mV/ms).
        v_th: spike cut-off [mV] (30 in the paper).
        v_init: initial v [mV]; the initial u is ``b·v_init``.
        preset: one of ``IZHIKEVICH_PRESETS`` ("RS", "IB", "CH", "FS", "LTS", "TC", "RZ") giving
            a, b, c, d (explicit a, b, c, d override it).
        noise: width of a uniform random current added every step,
            ``noise·(U(0,1) − 0.5)`` per neuron (13 in ``daspnet.m``); 0 for none.
        integration: ``"nest"`` or ``"paper"`` (see above).

    References:
        Izhikevich (2003), IEEE Trans. Neural Netw. 14:1569.
    """

    receptors: ClassVar[tuple[str, ...]] = ("exc", "inh")
    a: Array
    b: Array
    c: Array
    d: Array
    i_e: Array
    v_th: Array
    v_init: Array
    noise: Array
    integration: str = eqx.field(static=True)
    noisy: bool = eqx.field(static=True)

    def __init__(
        self,
        a: float | None = None,
        b: float | None = None,
        c: float | None = None,
        d: float | None = None,
        *,
        i_e: float = 0.0,
        v_th: float = 30.0,
        v_init: float = -65.0,
        preset: str = "RS",
        noise: float = 0.0,
        integration: str = "nest",
    ):
        if preset not in IZHIKEVICH_PRESETS:
            raise ValueError(
                f"Izhikevich: preset must be one of {sorted(IZHIKEVICH_PRESETS)}, got {preset!r}."
            )
        defaults = dict(zip("abcd", IZHIKEVICH_PRESETS[preset], strict=True))
        given = {"a": a, "b": b, "c": c, "d": d}
        values = {k: defaults[k] if v is None else v for k, v in given.items()}
        check_positive("a", values["a"], "Izhikevich: ")
        self.a, self.b = as_param(values["a"]), as_param(values["b"])
        self.c, self.d = as_param(values["c"]), as_param(values["d"])
        if not jnp.all(as_param(v_init) < as_param(v_th)):
            raise ValueError(
                f"Izhikevich: v_init must be below v_th, got v_init={v_init}, v_th={v_th}."
            )
        self.i_e, self.v_th, self.v_init = as_param(i_e), as_param(v_th), as_param(v_init)
        check_nonnegative("noise", noise, "Izhikevich: ")
        check_choice("integration", integration, ("nest", "paper"), "Izhikevich: ")
        self.noise, self.integration = as_param(noise), integration
        self.noisy = bool(np.any(np.asarray(noise) != 0))

    def init(self, n: int, dt: float) -> IzhikevichState:
        v = jnp.broadcast_to(self.v_init, (n,)).astype(float)
        return IzhikevichState(v, self.b * v)

    def drive(self, key: Array, steps: Array, n: int, dt: float) -> Any:
        if not self.noisy:
            return None
        # one uniform per neuron and step, keyed by the absolute step: chunk-size invariant
        draw = jax.vmap(lambda s: jax.random.uniform(jax.random.fold_in(key, s), (n,)))
        return self.noise * (draw(steps) - 0.5)

    def step(self, state: IzhikevichState, inputs: dict[str, Array], drive: Any, dt: float):
        v, u = state
        current = self.i_e if drive is None else self.i_e + drive
        synaptic = inputs["exc"] + inputs["inh"]
        if self.integration == "paper":
            current = current + synaptic
            for _ in range(2):
                v = v + 0.5 * dt * (0.04 * v * v + 5.0 * v + 140.0 - u + current)
            u = u + dt * self.a * (self.b * v - u)
        else:
            dv = 0.04 * v * v + 5.0 * v + 140.0 - u + current
            du = self.a * (self.b * v - u)
            v = v + dt * dv + synaptic
            u = u + dt * du
        spikes = computed_once(v >= self.v_th)
        v = jnp.where(spikes, self.c, v)
        u = jnp.where(spikes, u + self.d, u)
        return IzhikevichState(v, u), spikes
