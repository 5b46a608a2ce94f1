"""Voltage-based STDP of Clopath et al. (2010), with NEST's ``clopath_synapse`` semantics."""

from __future__ import annotations

from typing import Any, NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._checks import as_param, check_nonnegative, check_positive
from ._base import AbstractRule
from .traces import decay_trace


class ClopathState(NamedTuple):
    """Traces and postsynaptic history of :class:`Clopath`."""

    x: Float[Array, " n_pre"]
    """Presynaptic trace ``x̄`` [1/ms] (each spike adds ``1/tau_x``)."""
    x_before: Float[Array, " n_pre"]
    """``x̄`` without this step's arrivals (what the potentiation of this step uses)."""
    history: Float[Array, "n_hist n_var n_post"]
    """Ring buffer of the postsynaptic ``u``, ``ū₊``, ``ū₋`` (and ``ū̄``) [mV] of the last
    ``n_hist`` steps, at slot ``step % n_hist``."""
    ltd: Float[Array, " n_post"]
    """Depression of this step per arriving presynaptic spike [weight units]."""
    ltp: Float[Array, " n_post"]
    """Potentiation rate of this step per unit of ``x̄`` [weight units]."""
    steps: Int[Array, ""]
    """Steps simulated so far, this one included."""


_REQUIRED = ("v", "u_bar_plus", "u_bar_minus")


class Clopath(AbstractRule):
    """Voltage-based STDP (Clopath et al. 2010), as NEST's ``clopath_synapse``.

    The rule reads the postsynaptic membrane potential ``u`` and its low-pass filtered
    versions ``ū₊``, ``ū₋`` (and ``ū̄``) from the postsynaptic neurons' state, so the
    postsynaptic population must be :class:`~plastix.neurons.AdExClopath` (or another
    model whose state has the fields ``v``, ``u_bar_plus``, ``u_bar_minus``). With
    ``(·)₊ = max(·, 0)``, ``D = delay_u_bars`` and ``t`` the step:

    * depression, when a presynaptic spike arrives:
      ``w ← w − A_LTD·(ū₋(t − D) − θ₋)₊``; with ``a_ltd_const=False`` the amplitude is
      ``A_LTD·ū̄(t)²/u_ref_squared`` (NEST's homeostatic variant, ``ū̄`` in mV);
    * potentiation, clock-driven at every step:
      ``w ← w + A_LTP·x̄·(u(t) − θ₊)₊·(ū₊(t − D) − θ₋)₊·dt``

    each followed by clipping to ``[w_min, w_max]``, where ``x̄`` [1/ms] is the presynaptic
    trace, ``τ_x dx̄/dt = −x̄``, raised by ``1/τ_x`` per arriving spike, taken before this
    step's arrivals (as in NEST, a spike counts for potentiation from the step after it).
    ``u`` is the potential at the end of the step (``V_clamp`` during the clamp that
    follows a spike). This is NEST's discretisation: one potentiation term per step where
    ``u > θ₊`` and ``ū₊(t − D) > θ₋``, the delayed values read from a ring buffer of
    ``round(D/dt)`` steps (NEST: ``delay_u_bars``). Units: ``A_LTP·x̄·mV·mV·ms`` and
    ``A_LTD·mV`` are weights.

    Timing: plastix pairs a presynaptic spike that arrives in step ``t`` (after the axonal
    delay) with the postsynaptic state of step ``t − dendritic_delay``. NEST treats the
    whole synaptic delay ``d`` as dendritic (the spike is at the synapse when emitted, the
    postsynaptic history reaches it ``d`` late): a plastix projection with delay ``d``
    and ``dendritic_delay = 2·d`` pairs as NEST does. Unlike NEST, whose buffer of
    delayed values starts at 0 mV (an artefact: ``0 > θ₋`` depresses every spike that
    arrives in the first ``delay_u_bars``), the history before the first step is taken as
    the first step's values. The depression of a step is applied before its potentiation
    (NEST: the other way round); the order only matters when a bound is reached.

    Args:
        a_ltd: depression amplitude ``A_LTD`` [1/mV], >= 0.
        a_ltp: potentiation amplitude ``A_LTP`` [1/mV²], >= 0.
        theta_minus: threshold of ``ū₋`` and ``ū₊`` ``θ₋`` [mV].
        theta_plus: threshold of ``u`` ``θ₊`` [mV].
        tau_x: time constant of the presynaptic trace ``τ_x`` [ms].
        w_min: lower weight bound (NEST's ``Wmin``).
        w_max: upper weight bound (NEST's ``Wmax``), > ``w_min``.
        u_ref_squared: reference ``ū̄²`` of the homeostatic depression [mV²], > 0.
        a_ltd_const: constant depression amplitude (NEST's default) or scaled by
            ``ū̄²/u_ref_squared`` (static).
        delay_u_bars: delay of ``ū₊`` and ``ū₋`` [ms] (a multiple of dt; NEST's default
            is 5 ms, the paper's and NEST's example 4 ms) (static).
        dendritic_delay: delay with which the synapse sees the postsynaptic state [ms]
            (a multiple of dt; ``2·d`` reproduces NEST for a projection delay ``d``)
            (static).
        dt: the simulation step [ms] the delays are counted in (static; it sizes the
            history buffer and must equal the network's dt).

    Raises:
        ValueError: a parameter out of range; when the network is built, a delay that
            is not a whole number of steps or a ``dt`` other than the network's; when it
            first runs, a postsynaptic population whose state lacks the fields above.

    Example:
        >>> post = Population(AdExClopath(), 10)
        >>> rule = Clopath(delay_u_bars=4.0, dendritic_delay=0.2)  # NEST, delay 0.1 ms

    References:
        Clopath, Büsing, Vasilaki & Gerstner (2010), Nat. Neurosci. 13:344–352.
        NEST ``models/clopath_synapse.h``, ``nestkernel/clopath_archiving_node.cpp``.
    """

    a_ltd: Array
    a_ltp: Array
    theta_minus: Array
    theta_plus: Array
    tau_x: Array
    w_min: Array
    w_max: Array
    u_ref_squared: Array
    a_ltd_const: bool = eqx.field(static=True)
    delay_u_bars: float = eqx.field(static=True)
    dendritic_delay: float = eqx.field(static=True)
    dt: float = eqx.field(static=True)

    def __init__(
        self,
        a_ltd: float = 14e-5,
        a_ltp: float = 8e-5,
        theta_minus: float = -70.6,
        theta_plus: float = -45.3,
        tau_x: float = 15.0,
        w_min: float = 0.0,
        w_max: float = 100.0,
        u_ref_squared: float = 60.0,
        a_ltd_const: bool = True,
        delay_u_bars: float = 4.0,
        dendritic_delay: float = 0.0,
        dt: float = 0.1,
    ):
        where = "Clopath: "
        check_nonnegative("a_ltd", a_ltd, where)
        check_nonnegative("a_ltp", a_ltp, where)
        check_positive("tau_x", tau_x, where)
        check_positive("u_ref_squared", u_ref_squared, where)
        check_positive("dt", dt, where)
        check_nonnegative("delay_u_bars", delay_u_bars, where)
        check_nonnegative("dendritic_delay", dendritic_delay, where)
        if not jnp.all(as_param(w_max) > as_param(w_min)):
            raise ValueError(f"{where}w_max must be > w_min, got w_min={w_min}, w_max={w_max}.")
        if not isinstance(a_ltd_const, bool):
            raise ValueError(f"{where}a_ltd_const must be True or False, got {a_ltd_const!r}.")
        self.a_ltd, self.a_ltp = as_param(a_ltd), as_param(a_ltp)
        self.theta_minus, self.theta_plus = as_param(theta_minus), as_param(theta_plus)
        self.tau_x, self.w_min, self.w_max = as_param(tau_x), as_param(w_min), as_param(w_max)
        self.u_ref_squared = as_param(u_ref_squared)
        self.a_ltd_const = a_ltd_const
        self.delay_u_bars, self.dendritic_delay = float(delay_u_bars), float(dendritic_delay)
        self.dt = float(dt)
        for name in ("delay_u_bars", "dendritic_delay"):
            _whole_steps(name, getattr(self, name), self.dt)

    clock_driven = True

    def prepare(self, dt: float) -> None:
        if abs(dt - self.dt) > 1e-12 * max(1.0, dt):
            raise ValueError(
                f"Clopath: dt={self.dt} ms sizes the rule's history buffer but the network "
                f"runs at dt={dt} ms; pass Clopath(..., dt={dt})."
            )

    def _lags(self) -> tuple[int, int]:
        """(dendritic, ū) delays in steps."""
        return (
            _whole_steps("dendritic_delay", self.dendritic_delay, self.dt),
            _whole_steps("delay_u_bars", self.delay_u_bars, self.dt),
        )

    def _variables(self) -> tuple[str, ...]:
        return _REQUIRED if self.a_ltd_const else (*_REQUIRED, "u_bar_bar")

    def init(self, n_pre: int, n_post: int) -> ClopathState:
        lag, delay = self._lags()
        zeros = jnp.zeros(n_pre, float)
        history = jnp.zeros((lag + delay + 1, len(self._variables()), n_post), float)
        post = jnp.zeros(n_post, float)
        return ClopathState(zeros, zeros, history, post, post, jnp.zeros((), jnp.int32))

    def decay(self, state: ClopathState, dt: float) -> ClopathState:
        return state._replace(x=decay_trace(state.x, dt, self.tau_x), steps=state.steps + 1)

    def observe(self, state: ClopathState, post_state: Any) -> ClopathState:
        """Store this step's ``u``, ``ū₊``, ``ū₋`` (``ū̄``) and compute this step's
        depression and potentiation from the delayed values."""
        names = self._variables()
        fields = getattr(post_state, "_fields", ())
        missing = [name for name in names if name not in fields]
        if missing:
            raise ValueError(
                f"Clopath: the rule reads the postsynaptic {list(names)} but the "
                f"postsynaptic population's state ({type(post_state).__name__}) lacks "
                f"{missing}; use AdExClopath neurons (or a model with these state fields) "
                "as the postsynaptic population."
            )
        lag, delay = self._lags()
        n_hist = state.history.shape[0]
        now = jnp.stack([getattr(post_state, name) for name in names]).astype(float)
        history = state.history.at[state.steps % n_hist].set(now)

        def back(steps: int) -> Array:
            # Before the first step (steps = 1) the history is the first step's values.
            return history[jnp.maximum(state.steps - steps, 1) % n_hist]

        seen, delayed = back(lag), back(lag + delay)  # what the synapse sees now
        u, u_plus, u_minus = seen[0], delayed[1], delayed[2]
        amplitude = self.a_ltd
        if not self.a_ltd_const:
            amplitude = amplitude * seen[3] ** 2 / self.u_ref_squared
        ltd = amplitude * jnp.maximum(u_minus - self.theta_minus, 0.0)
        ltp = (
            self.a_ltp
            * jnp.maximum(u - self.theta_plus, 0.0)
            * jnp.maximum(u_plus - self.theta_minus, 0.0)
        )
        return state._replace(history=history, ltd=ltd, ltp=ltp)

    def on_pre(self, state: ClopathState, w: Array, pre: Array, post: Array) -> Array:
        return jnp.clip(w - state.ltd[post], self.w_min, self.w_max)

    def on_post(self, state: ClopathState, w: Array, pre: Array, post: Array) -> Array:
        return w

    def increment_pre(self, state: ClopathState, pre: Array) -> ClopathState:
        return state._replace(x=state.x + pre.astype(state.x.dtype) / self.tau_x, x_before=state.x)

    def increment_post(self, state: ClopathState, post: Array) -> ClopathState:
        return state

    def update(
        self,
        state: ClopathState,
        values: Array,
        pre: Array,
        post: Array,
        dt: float,
        key: Array,
    ) -> Array:
        """The clock-driven potentiation of every synapse."""
        # An absent synapse of a masked Dense has post = n_post: the gather clamps it and
        # the projection discards its result.
        gain = state.ltp[post] * state.x_before[pre] * dt
        return jnp.clip(values + gain, self.w_min, self.w_max)


def _whole_steps(name: str, value: float, dt: float) -> int:
    """``value`` [ms] in steps of ``dt``; raises ValueError unless a whole number."""
    steps = round(value / dt)
    if abs(steps * dt - value) > 1e-9 * max(1.0, value):
        raise ValueError(
            f"Clopath: {name} must be a whole multiple of dt = {dt} ms, got {name}={value} ms."
        )
    return steps
