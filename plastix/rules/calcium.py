"""The calcium-based rule of Graupner & Brunel (2012): a bistable efficacy driven by calcium."""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._backend import branch
from .._checks import as_param, check_int_at_least, check_nonnegative, check_positive
from ._base import AbstractRule


class GraupnerBrunelState(NamedTuple):
    """Calcium traces of :class:`GraupnerBrunel` (dimensionless)."""

    ca_pre: Float[Array, " n_pre"]
    """Calcium from presynaptic spikes, each counted from ``delay`` after its arrival."""
    ca_post: Float[Array, " n_post"]
    """Calcium from postsynaptic spikes."""
    pending: Int[Array, "n_pre max_pending"]
    """Steps until the calcium of each presynaptic spike still in flight enters (−1: free)."""
    delay_steps: Int[Array, ""]
    """``delay`` in whole steps of the current ``dt`` (set by ``decay``)."""


GRAUPNER_BRUNEL_PRESETS: dict[str, dict[str, float]] = {
    # Graupner & Brunel (2012), Table S1 / Fig. 2: the "DP" curve (LTD-LTP window).
    "DP": dict(
        tau_ca=20.0, c_pre=1.0, c_post=2.0, delay=13.7, theta_d=1.0, theta_p=1.3,
        gamma_d=200.0, gamma_p=321.808, sigma=2.8284, tau_rho=150_000.0, rho_star=0.5,
        w_up=5.0,
    ),
    # Fit to the visual-cortex slice data of Sjöström et al. (2001) (Fig. 4).
    "cortical_slices": dict(
        tau_ca=22.6936, c_pre=0.5617539, c_post=1.23964, delay=4.6098, theta_d=1.0,
        theta_p=1.3, gamma_d=331.909, gamma_p=725.085, sigma=3.3501, tau_rho=346_361.5,
        rho_star=0.5, w_up=5.40988,
    ),
}  # fmt: skip
"""Parameter sets of Graupner & Brunel (2012), times in ms, with ``w_up = b`` (the UP/DOWN
strength ratio) and ``w_down = 1``. Both use β = 0.5 (fraction of synapses UP before the
protocol), which belongs to the readout, not to the rule."""


def _fraction_above(c: Array, theta: Array, tau_ca: Array, dt: float) -> Array:
    """Fraction of the coming step during which ``c`` (decaying with ``tau_ca``) is > theta."""
    # c(s) = c·exp(−s/tau_ca) stays above theta for tau_ca·ln(c/theta) (if c > theta).
    return jnp.minimum(tau_ca * jnp.log(jnp.maximum(c, theta) / theta) / dt, 1.0)


class GraupnerBrunel(AbstractRule):
    """Calcium-based plasticity with a bistable efficacy (Graupner & Brunel 2012).

    Each synapse has a calcium concentration ``c`` (dimensionless) and an efficacy ``ρ``:

    * ``τ_Ca·dc/dt = −c + C_pre·Σ δ(t − t_pre − D) + C_post·Σ δ(t − t_post)``
    * ``τ·dρ/dt = −ρ(1 − ρ)(ρ* − ρ) + γ_p(1 − ρ)·Θ(c − θ_p) − γ_d·ρ·Θ(c − θ_d) +
      σ·√τ·√(Θ(c − θ_p) + Θ(c − θ_d))·η(t)``

    with ``Θ`` the Heaviside step (``Θ(0) = 0``) and ``η`` Gaussian white noise. Without
    calcium ``ρ`` is bistable: DOWN (0) and UP (1), separated by the unstable ``ρ*``.
    ``c`` is linear, so a synapse's calcium is the sum of a presynaptic and a
    postsynaptic trace (``c = c_pre[pre] + c_post[post]``), kept per presynaptic slot and
    per postsynaptic neuron; both decay exactly. The presynaptic contribution enters
    ``delay`` (``D``) after the spike arrives at the synapse (after any axonal delay),
    rounded to the nearest whole number of steps, ``round(D/dt)`` (0: in the arrival
    step); spikes still in flight wait in a queue of ``max_pending`` per presynaptic slot
    (per synapse when the projection has per-synapse delays).

    ``ρ`` advances every step by Euler–Maruyama. Step ``k``'s calcium jumps happen at
    ``t_k`` and its update covers ``[t_k, t_k + dt)``, in which each ``Θ`` is replaced by
    the fraction ``f`` of the step that ``c`` spends above the threshold (exact, since
    ``c`` decays exponentially within a step: ``f = min(τ_Ca·ln(c/θ)/dt, 1)``):
    ``ρ ← ρ + (dt/τ)·[−ρ(1 − ρ)(ρ* − ρ) + γ_p(1 − ρ)f_p − γ_d·ρ·f_d]
    + σ·√(dt/τ)·√(f_p + f_d)·ξ`` with ``ξ ~ N(0, 1)`` drawn from the step's key (so the
    noise is reproducible from the network seed and independent of the chunk size).
    The time above threshold, which drives the rule, is thus exact for any ``dt``. When
    no synapse can be above a threshold the step draws no noise and only the cubic term
    acts (on a CPU; an accelerator computes both and selects). Precision: the cubic
    term moves ρ by about ``dt/τ·0.1 ≈ 1e-8`` per step at ``dt = 0.1`` ms, below
    float32's resolution of ρ near 1/2 and above, where float32 loses it; run long
    protocols in float64 (``jax.config.update("jax_enable_x64", True)``).

    The weight is the efficacy read out linearly, ``w = w_down + ρ·(w_up − w_down)``,
    recomputed every step: ``w_down`` when DOWN, ``w_up`` when UP, so with the defaults
    (``w_down = 1``, ``w_up = b``) ``w`` is in units of the DOWN strength and the mean
    weight of a population is the paper's synaptic strength. The initial ``ρ`` comes from
    the projection's initial weights, ``ρ₀ = (w₀ − w_down)/(w_up − w_down)`` (weights
    ``w_down`` start DOWN, ``w_up`` start UP); ``ρ`` itself is the per-synapse variable
    (``state.projections[i].synapses``), so overwrite that rather than the weights to
    change a synapse's state between runs. The paper's readout counts a synapse as UP when
    ``ρ > ρ*``.

    Args:
        tau_ca: calcium time constant ``τ_Ca`` [ms].
        c_pre, c_post: calcium jump per presynaptic / postsynaptic spike, >= 0.
        delay: delay ``D`` of the presynaptic calcium after the spike's arrival [ms], >= 0
            (rounded to whole steps).
        theta_d, theta_p: depression and potentiation thresholds, > 0.
        gamma_d, gamma_p: depression and potentiation rates, >= 0.
        sigma: noise amplitude, >= 0.
        tau_rho: time constant ``τ`` of the efficacy [ms] (the paper's 150 s is 150 000).
        rho_star: the unstable fixed point, in (0, 1).
        w_down, w_up: weights of the DOWN (ρ = 0) and UP (ρ = 1) states [weight units],
            ``w_up > w_down``.
        max_pending: presynaptic spikes of one slot whose calcium may be in flight at
            once. More make that slot's calcium NaN, which the run reports as a
            ``NonFiniteError``: raise it for presynaptic rates near ``max_pending/D``.

    Raises:
        ValueError: a parameter out of its range (the message names it and its value).

    Example:
        >>> rule = GraupnerBrunel.preset("DP")
        >>> proj = Projection(pre, post, all_to_all(1, 100), rule, weights=1.0)  # all DOWN

    References:
        Graupner & Brunel (2012), PNAS 109:3991 ("Calcium-based plasticity model explains
        sensitivity of synaptic changes to spike pattern, rate, and dendritic location").
    """

    tau_ca: Array
    c_pre: Array
    c_post: Array
    delay: Array
    theta_d: Array
    theta_p: Array
    gamma_d: Array
    gamma_p: Array
    sigma: Array
    tau_rho: Array
    rho_star: Array
    w_down: Array
    w_up: Array
    max_pending: int = eqx.field(static=True)

    def __init__(
        self,
        tau_ca: float = 20.0,
        c_pre: float = 1.0,
        c_post: float = 2.0,
        delay: float = 13.7,
        theta_d: float = 1.0,
        theta_p: float = 1.3,
        gamma_d: float = 200.0,
        gamma_p: float = 321.808,
        sigma: float = 2.8284,
        tau_rho: float = 150_000.0,
        rho_star: float = 0.5,
        w_down: float = 1.0,
        w_up: float = 5.0,
        max_pending: int = 16,
    ):
        where = "GraupnerBrunel: "
        for name, value in (
            ("tau_ca", tau_ca),
            ("theta_d", theta_d),
            ("theta_p", theta_p),
            ("tau_rho", tau_rho),
        ):
            check_positive(name, value, where)
        for name, value in (
            ("c_pre", c_pre),
            ("c_post", c_post),
            ("delay", delay),
            ("gamma_d", gamma_d),
            ("gamma_p", gamma_p),
            ("sigma", sigma),
        ):
            check_nonnegative(name, value, where)
        rho = as_param(rho_star)
        if not (jnp.all(jnp.isfinite(rho)) and jnp.all((rho > 0) & (rho < 1))):
            raise ValueError(
                f"{where}rho_star must lie strictly between 0 and 1 (the unstable state "
                f"between DOWN = 0 and UP = 1), got {rho_star}."
            )
        low, high = as_param(w_down), as_param(w_up)
        if not (jnp.all(jnp.isfinite(low)) and jnp.all(jnp.isfinite(high))) or not jnp.all(
            high > low
        ):
            raise ValueError(
                f"{where}w_up must be finite and > w_down, got w_down={w_down}, w_up={w_up}."
            )
        self.tau_ca, self.c_pre, self.c_post = as_param(tau_ca), as_param(c_pre), as_param(c_post)
        self.delay = as_param(delay)
        self.theta_d, self.theta_p = as_param(theta_d), as_param(theta_p)
        self.gamma_d, self.gamma_p = as_param(gamma_d), as_param(gamma_p)
        self.sigma, self.tau_rho, self.rho_star = as_param(sigma), as_param(tau_rho), rho
        self.w_down, self.w_up = low, high
        self.max_pending = check_int_at_least("max_pending", max_pending, 1, where)

    @classmethod
    def preset(cls, name: str, **overrides: float) -> GraupnerBrunel:
        """The rule with a parameter set of ``GRAUPNER_BRUNEL_PRESETS`` ("DP" or
        "cortical_slices"), with any parameter overridden (e.g. ``sigma=0.0``)."""
        if name not in GRAUPNER_BRUNEL_PRESETS:
            raise ValueError(
                f"GraupnerBrunel.preset: name must be one of "
                f"{sorted(GRAUPNER_BRUNEL_PRESETS)}, got {name!r}."
            )
        return cls(**{**GRAUPNER_BRUNEL_PRESETS[name], **overrides})  # type: ignore[arg-type]

    clock_driven = True

    def init(self, n_pre: int, n_post: int) -> GraupnerBrunelState:
        return GraupnerBrunelState(
            jnp.zeros(n_pre, float),
            jnp.zeros(n_post, float),
            jnp.full((n_pre, self.max_pending), -1, jnp.int32),
            jnp.zeros((), jnp.int32),
        )

    def init_synapses(self, w: Array) -> Array:
        """The efficacy ρ read back from the initial weights."""
        return (w - self.w_down) / (self.w_up - self.w_down)

    def decay(self, state: GraupnerBrunelState, dt: float) -> GraupnerBrunelState:
        factor = jnp.exp(-dt / self.tau_ca)
        return GraupnerBrunelState(
            state.ca_pre * factor,
            state.ca_post * factor,
            jnp.where(state.pending > 0, state.pending - 1, state.pending),
            jnp.round(self.delay / dt).astype(jnp.int32),
        )

    def on_pre(self, state: GraupnerBrunelState, values: tuple, pre: Array, post: Array) -> tuple:
        return values  # spikes act through the calcium; ρ changes in ``update``

    def on_post(self, state: GraupnerBrunelState, values: tuple, pre: Array, post: Array) -> tuple:
        return values

    def increment_pre(self, state: GraupnerBrunelState, pre: Array) -> GraupnerBrunelState:
        """Let in the calcium of spikes whose delay ran out, and queue the new arrivals."""
        pending, d = state.pending, state.delay_steps
        due = pending == 0
        count = jnp.sum(due, axis=1) + (pre & (d == 0))
        pending = jnp.where(due, -1, pending)
        queued = pre & (d > 0)
        free = pending < 0
        slot = jnp.argmax(free, axis=1)  # the first free place in each slot's queue
        columns = jnp.arange(self.max_pending)
        pending = jnp.where(queued[:, None] & (columns == slot[:, None]), d, pending)
        full = queued & ~jnp.any(free, axis=1)  # nothing is dropped silently: NaN is reported
        ca_pre = state.ca_pre + self.c_pre * count.astype(state.ca_pre.dtype)
        return state._replace(ca_pre=jnp.where(full, jnp.nan, ca_pre), pending=pending)

    def increment_post(self, state: GraupnerBrunelState, post: Array) -> GraupnerBrunelState:
        ca_post = state.ca_post + self.c_post * post.astype(state.ca_post.dtype)
        return state._replace(ca_post=ca_post)

    def update(
        self,
        state: GraupnerBrunelState,
        values: tuple,
        pre: Array,
        post: Array,
        dt: float,
        key: Array,
    ) -> tuple:
        """One Euler–Maruyama step of ρ on every synapse; the weight follows ρ."""
        _, rho = values
        h = dt / self.tau_rho

        def cubic(rho: Array) -> Array:
            return -rho * (1.0 - rho) * (self.rho_star - rho)

        def quiet(rho: Array) -> Array:
            return rho + h * cubic(rho)

        def active(rho: Array) -> Array:
            c = state.ca_pre[pre] + state.ca_post[post]
            f_d = _fraction_above(c, self.theta_d, self.tau_ca, dt)
            f_p = _fraction_above(c, self.theta_p, self.tau_ca, dt)
            drift = cubic(rho) + self.gamma_p * (1.0 - rho) * f_p - self.gamma_d * rho * f_d
            noise = jax.random.normal(key, rho.shape, rho.dtype)
            return rho + h * drift + self.sigma * jnp.sqrt(h * (f_d + f_p)) * noise

        # An upper bound of every synapse's calcium: below both thresholds, no synapse
        # has drift from calcium or noise, and the step skips both (on a CPU).
        bound = jnp.max(state.ca_pre) + jnp.max(state.ca_post)
        rho = branch(bound > jnp.minimum(self.theta_d, self.theta_p), active, quiet, rho)
        return self.w_down + rho * (self.w_up - self.w_down), rho
