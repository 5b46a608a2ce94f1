"""Weight normalisation: the sum of each neuron's incoming weights held fixed."""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._backend import branch
from .._checks import as_param, check_positive
from ._base import AbstractRule, period_steps


class WeightNormalizationState(NamedTuple):
    """State of :class:`WeightNormalization`."""

    total: Float[Array, " n_post"]
    """Target sum of incoming weights per postsynaptic neuron."""
    steps: Int[Array, ""]
    """Steps simulated so far, this one included (for the period of the update)."""


class WeightNormalization(AbstractRule):
    """Every ``period`` [ms], rescale each neuron's incoming weights to sum to ``total``.

    ``w_ij ← w_ij · total / Σ_i w_ij`` over the existing synapses onto neuron ``j`` of
    this projection (Diehl & Cook 2015 normalise after every input image; von der
    Malsburg 1973). A neuron whose incoming weights sum to 0 is left unchanged (there
    is nothing to scale). Chain it after a Hebbian rule so that the weights compete:
    ``chain(TripletSTDP(...), WeightNormalization(total=78.0, period=350.0))``.

    Args:
        total: target sum of incoming weights per postsynaptic neuron (> 0; a scalar or
            one value per postsynaptic neuron).
        period: interval between normalisations [ms], a whole multiple of dt (``dt``:
            every step).

    References:
        von der Malsburg (1973), Kybernetik 14:85; Diehl & Cook (2015), Front. Comput.
        Neurosci. 9:99.
    """

    total: Array
    period: float = eqx.field(static=True)

    def __init__(self, total: float = 1.0, period: float = 100.0):
        where = "WeightNormalization: "
        check_positive("total", total, where)
        check_positive("period", period, where)
        self.total, self.period = as_param(total), float(period)

    clock_driven = True
    accepts_rates = True  # only the weights enter

    def prepare(self, dt: float) -> None:
        period_steps(self.period, dt, "WeightNormalization: ")

    def init(self, n_pre: int, n_post: int) -> WeightNormalizationState:
        total = jnp.asarray(self.total, float)
        if total.ndim not in (0, 1) or (total.ndim == 1 and total.shape[0] != n_post):
            raise ValueError(
                f"WeightNormalization: total must be a scalar or have one value per "
                f"postsynaptic neuron ({n_post}), got shape {total.shape}."
            )
        return WeightNormalizationState(
            jnp.broadcast_to(total, (n_post,)), jnp.zeros((), jnp.int32)
        )

    def decay(self, state: WeightNormalizationState, dt: float) -> WeightNormalizationState:
        return state._replace(steps=state.steps + 1)

    def on_pre(self, state, w, pre, post):
        return w

    def on_post(self, state, w, pre, post):
        return w

    def increment_pre(self, state, pre):
        return state

    def increment_post(self, state, post):
        return state

    def update(self, state, w, pre, post, dt, key):
        """Normalise at the end of every period (all synapses of the projection)."""
        every = period_steps(self.period, dt, "WeightNormalization: ")
        n_post = state.total.shape[0]

        def normalize(w: Array) -> Array:
            # Absent synapses of a masked Dense have post = n_post and are dropped here.
            sums = jax.ops.segment_sum(w.ravel(), post.ravel(), n_post)
            factor = jnp.where(sums != 0, state.total / jnp.where(sums != 0, sums, 1.0), 1.0)
            return w * factor.at[post].get(mode="fill", fill_value=1.0)

        return branch(state.steps % every == 0, normalize, lambda w: w, w)
