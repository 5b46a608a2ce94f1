"""Pair-based STDP: additive, multiplicative (Gütig μ), all-to-all or nearest-spike pairing."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any, ClassVar, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from .._backend import skips_work
from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule
from .traces import bump_trace, decay_trace


class PairSTDPState(NamedTuple):
    """Traces of pair STDP."""

    x: Float[Array, " n_pre"]
    """Presynaptic trace, one per presynaptic slot (dimensionless)."""
    y: Float[Array, " n_post"]
    """Postsynaptic trace, one per postsynaptic neuron (dimensionless)."""
    since_post: Float[Array, " n_post_or_0"]
    """``exp(−(t − t_last_post)/tau_plus)`` per postsynaptic neuron (pre-centred pairing
    only; empty otherwise)."""


class RestrictedPairing(NamedTuple):
    """Per-synapse flags of restricted nearest-neighbour pairing."""

    can_potentiate: Bool[Array, "..."]
    """The latest presynaptic spike has not yet been paired with a postsynaptic one."""
    can_depress: Bool[Array, "..."]
    """The latest postsynaptic spike has not yet been paired with a presynaptic one."""


PAIRINGS = ("all_to_all", "symmetric", "pre_centered", "restricted")
"""Spike pairing schemes (Morrison, Diesmann & Gerstner 2008, Fig. 7)."""


def _power(distance: Array, mu: Array) -> Array:
    positive = distance > 0
    safe = jnp.where(positive, distance, 1.0)
    return jnp.where(positive, jnp.power(safe, mu), jnp.where(mu == 0, 1.0, 0.0))


def known_exponent(mu: Any) -> float | None:
    """0.0 or 1.0 when ``mu`` is a concrete array of only that value, else None."""
    if isinstance(mu, jax.core.Tracer):
        return None
    values = np.asarray(mu)
    for exponent in (0.0, 1.0):
        if values.size and np.all(values == exponent):
            return exponent
    return None


@partial(jax.custom_jvp, nondiff_argnums=(2,))
def weight_dependence(distance: Array, mu: Array, known: float | None = None) -> Array:
    """``distance**mu`` for a distance in [0, 1], with ``0**0 = 1`` and finite gradients.

    A plain ``jnp.power`` has a NaN gradient at ``distance = 0`` (a weight on its bound),
    which would poison ``jax.grad`` through any run where a weight saturates. The common
    exponents 0 (additive) and 1 (multiplicative) skip the power, which would otherwise
    dominate a CPU step; the derivative with respect to ``mu`` stays exact. ``known``
    (0.0, 1.0 or None) promises that ``mu`` holds only that value, so the choice is made
    when tracing instead of by a branch in every step (see ``PairSTDP.specialized``).
    """
    branches = (
        lambda d, m: jnp.ones_like(d * m),
        lambda d, m: jnp.broadcast_to(jnp.where(d > 0, d, 0.0), jnp.shape(d * m)),
        _power,
    )
    if known is not None:
        return branches[int(known)](distance, mu)
    if not skips_work():  # on an accelerator the power is cheaper than a branch
        return _power(distance, mu)
    which = jnp.where(jnp.all(mu == 0), 0, jnp.where(jnp.all(mu == 1), 1, 2))
    return jax.lax.switch(which, branches, distance, mu)


@weight_dependence.defjvp
def _weight_dependence_jvp(known, primals, tangents):
    distance, mu = primals
    d_distance, d_mu = tangents
    out = weight_dependence(distance, mu, known)
    positive = distance > 0
    safe = jnp.where(positive, distance, 1.0)
    by_distance = jnp.where(positive, mu * jnp.power(safe, mu - 1), 0.0)
    by_mu = jnp.where(positive, out * jnp.log(safe), 0.0)
    return out, by_distance * d_distance + by_mu * d_mu


class PairSTDP(AbstractRule):
    """Pair-based STDP with exponential traces (Song et al. 2000; Gütig et al. 2003).

    Traces: ``dx/dt = -x/tau_plus`` (pre), ``dy/dt = -y/tau_minus`` (post), each raised
    by 1 at its neuron's spike (or set to 1 with nearest-spike pairing). With
    ``f₊(w) = ((w_max − w)/(w_max − w_min))^mu_plus`` and
    ``f₋(w) = ((w − w_min)/(w_max − w_min))^mu_minus``:

    * presynaptic spike arrives: ``w ← clip(w − a_minus·f₋(w)·y, w_min, w_max)``
    * postsynaptic spike: ``w ← clip(w + a_plus·f₊(w)·x, w_min, w_max)``

    An isolated pair with ``Δt = t_post − t_pre`` changes ``w`` by
    ``a_plus·exp(−Δt/tau_plus)`` (Δt > 0) or ``−a_minus·exp(Δt/tau_minus)`` (Δt < 0).
    ``mu = 0`` is additive STDP with hard bounds; ``mu = 1`` multiplicative (soft bounds).

    Args:
        tau_plus: presynaptic trace time constant [ms].
        tau_minus: postsynaptic trace time constant [ms].
        a_plus: potentiation amplitude [weight units], >= 0.
        a_minus: depression amplitude [weight units], >= 0 (the sign is in the formula).
        w_min: lower weight bound [weight units].
        w_max: upper weight bound [weight units], > w_min.
        mu_plus: weight dependence of potentiation (0 additive, 1 multiplicative).
        mu_minus: weight dependence of depression.
        nearest: spike pairing. ``False`` (all-to-all: every pair counts); ``True`` or
            ``"symmetric"`` (each spike pairs with the latest spike of the other neuron;
            NEST ``stdp_nn_symm_synapse``); ``"pre_centered"`` (a post spike pairs with
            every pre spike since the previous post spike, a pre spike with the latest post
            spike; ``stdp_nn_pre_centered_synapse``); ``"restricted"`` (only mutual nearest
            neighbours pair: a pre spike with the first following post spike, a post spike
            with the first following pre spike; ``stdp_nn_restr_synapse``). The latter two
            keep per-synapse variables. Unlike NEST, which drops pairs with Δt = 0, an
            arrival and a post spike in the same step pair as pre-before-post.

    References:
        Song, Miller & Abbott (2000), Nat. Neurosci. 3:919. Gütig, Aharonov, Rotter &
        Sompolinsky (2003), J. Neurosci. 23:3697. Morrison, Diesmann & Gerstner (2008),
        Biol. Cybern. 98:459.
    """

    pre_state_shifts: ClassVar[bool] = True

    tau_plus: Array
    tau_minus: Array
    a_plus: Array
    a_minus: Array
    w_min: Array
    w_max: Array
    mu_plus: Array
    mu_minus: Array
    pairing: str = eqx.field(static=True)
    exponents: tuple[float | None, float | None] = eqx.field(static=True)
    """``mu_plus`` and ``mu_minus`` when known to be 0 or 1 (see ``specialized``)."""

    def __init__(
        self,
        tau_plus: float = 20.0,
        tau_minus: float = 20.0,
        a_plus: float = 0.01,
        a_minus: float = 0.0105,
        w_min: float = 0.0,
        w_max: float = 1.0,
        mu_plus: float = 0.0,
        mu_minus: float = 0.0,
        nearest: bool | str = False,
    ):
        where = "PairSTDP: "
        check_positive("tau_plus", tau_plus, where)
        check_positive("tau_minus", tau_minus, where)
        check_nonnegative("a_plus", a_plus, where)
        check_nonnegative("a_minus", a_minus, where)
        check_nonnegative("mu_plus", mu_plus, where)
        check_nonnegative("mu_minus", mu_minus, where)
        if not jnp.all(as_param(w_max) > as_param(w_min)):
            raise ValueError(f"{where}w_max must be > w_min, got w_min={w_min}, w_max={w_max}.")
        self.tau_plus, self.tau_minus = as_param(tau_plus), as_param(tau_minus)
        self.a_plus, self.a_minus = as_param(a_plus), as_param(a_minus)
        self.w_min, self.w_max = as_param(w_min), as_param(w_max)
        self.mu_plus, self.mu_minus = as_param(mu_plus), as_param(mu_minus)
        pairing = "all_to_all" if nearest is False else "symmetric" if nearest is True else nearest
        if pairing not in PAIRINGS:
            raise ValueError(
                f"{where}nearest must be False, True or one of {list(PAIRINGS[1:])}, "
                f"got {nearest!r}."
            )
        self.pairing = pairing
        self.exponents = (None, None)

    def specialized(self) -> PairSTDP:
        """This rule with ``mu_plus``/``mu_minus`` of 0 or 1 (additive, multiplicative)
        fixed when it is traced, instead of chosen by a branch in every step: the branch
        and the array it writes were ~10 % of a W1 step on a CPU. The runner calls this
        with the parameters' concrete values before each chunk; as a static field the
        choice is part of the compiled chunk's cache key, so other values recompile."""
        exponents = (known_exponent(self.mu_plus), known_exponent(self.mu_minus))
        if exponents == self.exponents:
            return self
        rule = copy.copy(self)
        object.__setattr__(rule, "exponents", exponents)
        return rule

    @property
    def nearest(self) -> bool:
        """Whether the traces are set to 1 at a spike (any nearest-spike pairing)."""
        return self.pairing != "all_to_all"

    def init(self, n_pre: int, n_post: int) -> PairSTDPState:
        since_post = n_post if self.pairing == "pre_centered" else 0
        return PairSTDPState(
            jnp.zeros(n_pre, float), jnp.zeros(n_post, float), jnp.zeros(since_post, float)
        )

    def init_synapses(self, w: Array) -> Any:
        if self.pairing == "pre_centered":  # the pre trace at the latest post spike
            return jnp.zeros_like(w)
        if self.pairing == "restricted":
            return RestrictedPairing(jnp.zeros(w.shape, bool), jnp.zeros(w.shape, bool))
        return None

    def decay(self, state: PairSTDPState, dt: float) -> PairSTDPState:
        return PairSTDPState(
            decay_trace(state.x, dt, self.tau_plus),
            decay_trace(state.y, dt, self.tau_minus),
            decay_trace(state.since_post, dt, self.tau_plus),
        )

    def _span(self) -> Array:
        return self.w_max - self.w_min

    def _depress(self, w: Array, trace: Array) -> Array:
        distance = (w - self.w_min) / self._span()
        depression = weight_dependence(distance, self.mu_minus, self.exponents[1])
        return jnp.clip(w - self.a_minus * depression * trace, self.w_min, self.w_max)

    def _potentiate(self, w: Array, trace: Array) -> Array:
        distance = (self.w_max - w) / self._span()
        potentiation = weight_dependence(distance, self.mu_plus, self.exponents[0])
        return jnp.clip(w + self.a_plus * potentiation * trace, self.w_min, self.w_max)

    def on_pre(self, state: PairSTDPState, values: Any, pre: Array, post: Array) -> Any:
        y = state.y[post]
        if self.pairing == "restricted":
            w, flags = values
            w = self._depress(w, jnp.where(flags.can_depress, y, 0.0))
            return w, RestrictedPairing(
                jnp.ones_like(flags.can_potentiate), jnp.zeros_like(flags.can_depress)
            )
        if self.pairing == "pre_centered":
            w, x_at_post = values
            return self._depress(w, y), x_at_post
        return self._depress(values, y)

    def on_post(self, state: PairSTDPState, values: Any, pre: Array, post: Array) -> Any:
        x = state.x[pre]
        if self.pairing == "restricted":
            w, flags = values
            w = self._potentiate(w, jnp.where(flags.can_potentiate, x, 0.0))
            return w, RestrictedPairing(
                jnp.zeros_like(flags.can_potentiate), jnp.ones_like(flags.can_depress)
            )
        if self.pairing == "pre_centered":
            # Only the pre spikes since this neuron's previous post spike: the pre trace now
            # minus what it held then, decayed since. The pre trace is then "used up".
            w, x_at_post = values
            fresh = jnp.maximum(x - x_at_post * state.since_post[post], 0.0)
            return self._potentiate(w, fresh), jnp.broadcast_to(x, jnp.shape(w))
        return self._potentiate(values, x)

    def increment_pre(self, state: PairSTDPState, pre: Array) -> PairSTDPState:
        # pre-centred pairing sums the pre spikes since the last post spike (all-to-all)
        set_to_one = self.pairing in ("symmetric", "restricted")
        return state._replace(x=bump_trace(state.x, pre, set_to_one))

    def increment_post(self, state: PairSTDPState, post: Array) -> PairSTDPState:
        state = state._replace(y=bump_trace(state.y, post, self.nearest))
        if self.pairing == "pre_centered":
            state = state._replace(since_post=bump_trace(state.since_post, post, True))
        return state
