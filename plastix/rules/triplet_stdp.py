"""Triplet STDP (Pfister & Gerstner 2006): pairs plus triplets of spikes."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule
from .traces import bump_trace, decay_trace


class TripletSTDPState(NamedTuple):
    """Traces of triplet STDP (dimensionless)."""

    r1: Float[Array, " n_pre"]
    """Fast presynaptic trace (``tau_plus``)."""
    r2: Float[Array, " n_pre"]
    """Slow presynaptic trace (``tau_x``)."""
    o1: Float[Array, " n_post"]
    """Fast postsynaptic trace (``tau_minus``)."""
    o2: Float[Array, " n_post"]
    """Slow postsynaptic trace (``tau_y``)."""


TRIPLET_PRESETS: dict[str, dict[str, float | bool]] = {
    # Pfister & Gerstner (2006), Table 4, fitted to the visual-cortex data of Sjöström et al.
    # (2001); "minimal" sets drop the terms the fit does not need.
    "visual_all_to_all_full": dict(
        tau_x=101.0, tau_y=125.0, a2_plus=5e-10, a3_plus=6.2e-3, a2_minus=7e-3, a3_minus=2.3e-4
    ),
    "visual_all_to_all_minimal": dict(
        tau_x=101.0, tau_y=114.0, a2_plus=0.0, a3_plus=6.5e-3, a2_minus=7.1e-3, a3_minus=0.0
    ),
    "visual_nearest_full": dict(
        tau_x=714.0,
        tau_y=40.0,
        a2_plus=8.8e-11,
        a3_plus=5.3e-2,
        a2_minus=6.6e-3,
        a3_minus=3.1e-3,
        nearest=True,
    ),
    "visual_nearest_minimal": dict(
        tau_x=714.0,
        tau_y=40.0,
        a2_plus=0.0,
        a3_plus=5e-2,
        a2_minus=8e-3,
        a3_minus=0.0,
        nearest=True,
    ),
    # Fitted to the hippocampal data of Wang et al. (2005).
    "hippocampal_all_to_all_full": dict(
        tau_x=946.0, tau_y=27.0, a2_plus=6.1e-3, a3_plus=6.7e-3, a2_minus=1.6e-3, a3_minus=1.4e-3
    ),
    "hippocampal_all_to_all_minimal": dict(
        tau_x=575.0, tau_y=47.0, a2_plus=4.6e-3, a3_plus=9.1e-3, a2_minus=3e-3, a3_minus=0.0
    ),
}
"""Parameter sets of Pfister & Gerstner (2006), Table 4 (``tau_plus`` 16.8 ms and
``tau_minus`` 33.7 ms in all of them). Use ``TripletSTDP.preset(name, w_min=…, w_max=…)``."""


class TripletSTDP(AbstractRule):
    """Triplet STDP (Pfister & Gerstner 2006), all-to-all or nearest-spike.

    Four traces decay exponentially — ``r1`` (``tau_plus``) and ``r2`` (``tau_x``) on the
    presynaptic side, ``o1`` (``tau_minus``) and ``o2`` (``tau_y``) on the postsynaptic
    side — and jump at their own neuron's spike by 1 (all-to-all) or to 1 (``nearest``).

    * presynaptic spike arrives: ``w ← clip(w − o1·(a2_minus + a3_minus·r2))``
    * postsynaptic spike: ``w ← clip(w + r1·(a2_plus + a3_plus·o2))``

    The slow trace of the spiking side (``r2`` at a pre spike, ``o2`` at a post spike) is
    read *before* its own increment, as in the paper (the ε of its Eq. 3–4). Weights are
    clipped to ``[w_min, w_max]``.

    Args:
        tau_plus, tau_minus: pair time constants [ms] (the paper's 16.8 and 33.7 ms).
        tau_x, tau_y: triplet (slow) time constants [ms].
        a2_plus, a3_plus: pair and triplet potentiation amplitudes [weight units], >= 0.
        a2_minus, a3_minus: pair and triplet depression amplitudes [weight units], >= 0.
        w_min, w_max: weight bounds [weight units], ``w_max > w_min``.
        nearest: nearest-spike interaction (traces set to 1) instead of all-to-all.

    References:
        Pfister & Gerstner (2006), J. Neurosci. 26:9673.
    """

    pre_state_shifts: ClassVar[bool] = True

    tau_plus: Array
    tau_minus: Array
    tau_x: Array
    tau_y: Array
    a2_plus: Array
    a3_plus: Array
    a2_minus: Array
    a3_minus: Array
    w_min: Array
    w_max: Array
    nearest: bool = eqx.field(static=True)

    def __init__(
        self,
        tau_plus: float = 16.8,
        tau_minus: float = 33.7,
        tau_x: float = 101.0,
        tau_y: float = 125.0,
        a2_plus: float = 5e-10,
        a3_plus: float = 6.2e-3,
        a2_minus: float = 7e-3,
        a3_minus: float = 2.3e-4,
        w_min: float = 0.0,
        w_max: float = 1.0,
        nearest: bool = False,
    ):
        where = "TripletSTDP: "
        for name, value in (
            ("tau_plus", tau_plus),
            ("tau_minus", tau_minus),
            ("tau_x", tau_x),
            ("tau_y", tau_y),
        ):
            check_positive(name, value, where)
        for name, value in (
            ("a2_plus", a2_plus),
            ("a3_plus", a3_plus),
            ("a2_minus", a2_minus),
            ("a3_minus", a3_minus),
        ):
            check_nonnegative(name, value, where)
        if not jnp.all(as_param(w_max) > as_param(w_min)):
            raise ValueError(f"{where}w_max must be > w_min, got w_min={w_min}, w_max={w_max}.")
        self.tau_plus, self.tau_minus = as_param(tau_plus), as_param(tau_minus)
        self.tau_x, self.tau_y = as_param(tau_x), as_param(tau_y)
        self.a2_plus, self.a3_plus = as_param(a2_plus), as_param(a3_plus)
        self.a2_minus, self.a3_minus = as_param(a2_minus), as_param(a3_minus)
        self.w_min, self.w_max = as_param(w_min), as_param(w_max)
        self.nearest = bool(nearest)

    @classmethod
    def preset(cls, name: str, **overrides: float | bool) -> TripletSTDP:
        """The rule with a parameter set of ``TRIPLET_PRESETS``, e.g. weight bounds added."""
        if name not in TRIPLET_PRESETS:
            raise ValueError(
                f"TripletSTDP.preset: name must be one of {sorted(TRIPLET_PRESETS)}, got {name!r}."
            )
        return cls(**{**TRIPLET_PRESETS[name], **overrides})  # type: ignore[arg-type]

    def init(self, n_pre: int, n_post: int) -> TripletSTDPState:
        pre, post = jnp.zeros(n_pre, float), jnp.zeros(n_post, float)
        return TripletSTDPState(pre, pre, post, post)

    def decay(self, state: TripletSTDPState, dt: float) -> TripletSTDPState:
        return TripletSTDPState(
            decay_trace(state.r1, dt, self.tau_plus),
            decay_trace(state.r2, dt, self.tau_x),
            decay_trace(state.o1, dt, self.tau_minus),
            decay_trace(state.o2, dt, self.tau_y),
        )

    def on_pre(self, state: TripletSTDPState, w: Array, pre: Array, post: Array) -> Array:
        dw = state.o1[post] * (self.a2_minus + self.a3_minus * state.r2[pre])
        return jnp.clip(w - dw, self.w_min, self.w_max)

    def on_post(self, state: TripletSTDPState, w: Array, pre: Array, post: Array) -> Array:
        dw = state.r1[pre] * (self.a2_plus + self.a3_plus * state.o2[post])
        return jnp.clip(w + dw, self.w_min, self.w_max)

    def increment_pre(self, state: TripletSTDPState, pre: Array) -> TripletSTDPState:
        return state._replace(
            r1=bump_trace(state.r1, pre, self.nearest), r2=bump_trace(state.r2, pre, self.nearest)
        )

    def increment_post(self, state: TripletSTDPState, post: Array) -> TripletSTDPState:
        return state._replace(
            o1=bump_trace(state.o1, post, self.nearest),
            o2=bump_trace(state.o2, post, self.nearest),
        )
