"""Short-term plasticity (Tsodyks–Markram): depression and facilitation of transmission."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import _concrete, as_param, check_nonnegative, check_positive
from ._base import AbstractRule

TSODYKS_MARKRAM_PRESETS: dict[str, dict[str, float]] = {
    "depressing": {"U": 0.5, "tau_rec": 800.0, "tau_fac": 0.0},
    "facilitating": {"U": 0.03, "tau_rec": 130.0, "tau_fac": 530.0},
}
"""Parameter sets of Markram, Wang & Tsodyks (1998) as used by NEST's examples: a
depressing and a facilitating neocortical synapse (U dimensionless, times in ms)."""


class TsodyksMarkramState(NamedTuple):
    """State of :class:`TsodyksMarkram`, one entry per presynaptic slot, as of the end of
    the latest step (after that step's spikes)."""

    u: Float[Array, " n_pre"]
    """Utilisation (release probability, dimensionless); 0 before the first spike."""
    x: Float[Array, " n_pre"]
    """Available (recovered) resources ``R`` (fraction, dimensionless); 1 at rest."""
    y: Float[Array, " n_pre"]
    """Active resources (fraction) of the three-state model; always 0 without tau_psc."""


class TsodyksMarkram(AbstractRule):
    """Tsodyks–Markram short-term plasticity: each spike transmits ``w·u⁺·R⁻``.

    The weight ``w`` (the absolute efficacy ``A_SE``) is never changed; the rule scales
    what each arriving spike delivers. Per presynaptic slot (the presynaptic neuron, or
    the synapse when delays differ per synapse), between spikes

    * ``du/dt = −u/tau_fac`` (facilitation decays; with ``tau_fac = 0`` there is none:
      ``u⁻ = 0`` at every spike),
    * ``dR/dt = (1 − R)/tau_rec`` (resources recover),

    and at a spike arriving with ``u⁻``, ``R⁻``:

    * ``u⁺ = u⁻ + U·(1 − u⁻)``,
    * the spike transmits ``w·u⁺·R⁻``,
    * ``R⁺ = R⁻·(1 − u⁺)``.

    This is NEST's ``tsodyks2_synapse`` (its ``x`` is ``R``; u starts at 0 so the first
    spike transmits ``w·U``). Given ``tau_psc``, it is NEST's older three-state
    ``tsodyks_synapse`` instead: the released fraction ``u⁺·R⁻`` does not return to the
    pool at once but becomes *active* (``y``), which decays with ``tau_psc`` into the
    inactive fraction ``z = 1 − R − y``, which recovers with ``tau_rec``:
    ``dy/dt = −y/tau_psc``, ``dz/dt = y/tau_psc − z/tau_rec``; at a spike
    ``y ← y + u⁺·R⁻``. The two models agree as ``tau_psc → 0``.

    Integration is exact: in ``transmit``, every step first advances the state over
    ``dt`` with the exact propagators (``exp(−dt/tau)``; the linear ``(y, z)`` system has
    its closed form), then applies the jumps of the slots whose spike arrives now. The
    propagators compose, so the state at a spike equals the analytic solution over the
    whole gap since the previous one (to rounding). All other hooks leave the weights
    and the state unchanged, so the rule composes with a long-term rule:
    ``chain(PairSTDP(...), TsodyksMarkram.depressing())`` changes ``w`` by STDP and
    transmits ``w·u⁺·R⁻``.

    Args:
        U: utilisation increment per spike (NEST's ``U``), in (0, 1].
        tau_rec: recovery time constant of the resources [ms], > 0.
        tau_fac: facilitation time constant [ms], >= 0 (0: no facilitation).
        tau_psc: time constant of the active state [ms], > 0 and ≠ tau_rec, for the
            three-state model (NEST ``tsodyks_synapse``); None (default) for
            ``tsodyks2_synapse``.

    Raises:
        ValueError: U outside (0, 1], a negative or non-finite time constant, a
            non-positive ``tau_rec`` or ``tau_psc``, or ``tau_psc == tau_rec``.

    Example:
        >>> stp = TsodyksMarkram.depressing()  # U = 0.5, tau_rec = 800 ms
        >>> rule = chain(PairSTDP(), stp)

    References:
        Tsodyks & Markram (1997), PNAS 94:719. Markram, Wang & Tsodyks (1998), PNAS
        95:5323. Tsodyks, Pawelzik & Markram (1998), Neural Comput. 10:821. NEST
        ``tsodyks2_synapse`` and ``tsodyks_synapse`` (models/tsodyks2_synapse.h,
        models/tsodyks_synapse.h).
    """

    U: Array
    tau_rec: Array
    tau_fac: Array
    tau_psc: Array | None

    def __init__(
        self,
        U: float = 0.5,
        tau_rec: float = 800.0,
        tau_fac: float = 0.0,
        tau_psc: float | None = None,
    ):
        where = "TsodyksMarkram: "
        u = _concrete(U)
        if u is not None and (u.size == 0 or not np.all((u > 0) & (u <= 1))):
            raise ValueError(
                f"{where}U must be a utilisation in (0, 1] (the fraction of the available "
                f"resources a spike releases), got {U!r}."
            )
        check_positive("tau_rec", tau_rec, where)
        check_nonnegative("tau_fac", tau_fac, where)
        if tau_psc is not None:
            check_positive("tau_psc", tau_psc, where)
            psc, rec = _concrete(tau_psc), _concrete(tau_rec)
            if psc is not None and rec is not None and np.any(psc == rec):
                raise ValueError(
                    f"{where}tau_psc must differ from tau_rec (the closed-form propagator "
                    f"divides by their difference), got tau_psc={tau_psc!r} and "
                    f"tau_rec={tau_rec!r}; change one by a small amount."
                )
        self.U, self.tau_rec, self.tau_fac = as_param(U), as_param(tau_rec), as_param(tau_fac)
        self.tau_psc = None if tau_psc is None else as_param(tau_psc)

    @classmethod
    def depressing(cls, **overrides: Any) -> TsodyksMarkram:
        """Depressing synapse: U = 0.5, tau_rec = 800 ms, no facilitation."""
        return cls(**{**TSODYKS_MARKRAM_PRESETS["depressing"], **overrides})

    @classmethod
    def facilitating(cls, **overrides: Any) -> TsodyksMarkram:
        """Facilitating synapse: U = 0.03, tau_rec = 130 ms, tau_fac = 530 ms."""
        return cls(**{**TSODYKS_MARKRAM_PRESETS["facilitating"], **overrides})

    def init(self, n_pre: int, n_post: int) -> TsodyksMarkramState:
        zeros = jnp.zeros(n_pre, float)
        return TsodyksMarkramState(zeros, jnp.ones(n_pre, float), zeros)

    def _advance(self, state: TsodyksMarkramState, dt: float) -> TsodyksMarkramState:
        """The state ``dt`` [ms] later without spikes (exact)."""
        facilitates = self.tau_fac > 0
        # tau_fac = 0 means u⁻ = 0 at every spike; the safe divisor keeps gradients finite.
        u_decay = jnp.where(
            facilitates, jnp.exp(-dt / jnp.where(facilitates, self.tau_fac, 1.0)), 0.0
        )
        p_zz = jnp.exp(-dt / self.tau_rec)
        z = 1.0 - state.x - state.y  # inactive resources
        if self.tau_psc is None:
            return TsodyksMarkramState(state.u * u_decay, 1.0 - z * p_zz, state.y)
        p_yy = jnp.exp(-dt / self.tau_psc)
        # z(dt) = z·e^(−dt/τr) + y·τr·(e^(−dt/τp) − e^(−dt/τr))/(τp − τr)
        p_zy = self.tau_rec * (p_yy - p_zz) / (self.tau_psc - self.tau_rec)
        y = state.y * p_yy
        z = z * p_zz + state.y * p_zy
        return TsodyksMarkramState(state.u * u_decay, 1.0 - y - z, y)

    def transmit(
        self, state: TsodyksMarkramState, arrived: Array, dt: float
    ) -> tuple[TsodyksMarkramState, Array]:
        """Advance by ``dt`` to now, then the spike jumps; returns ``u⁺·R⁻`` per slot
        (meaningful where a spike arrived)."""
        now = self._advance(state, dt)
        spiked = arrived.astype(bool)
        u_plus = now.u + self.U * (1.0 - now.u)
        released = u_plus * now.x
        x = jnp.where(spiked, now.x - released, now.x)
        u = jnp.where(spiked, u_plus, now.u)
        y = now.y if self.tau_psc is None else jnp.where(spiked, now.y + released, now.y)
        return TsodyksMarkramState(u, x, y), released

    def decay(self, state: TsodyksMarkramState, dt: float) -> TsodyksMarkramState:
        return state  # advanced in transmit, before delivery

    def on_pre(self, state: TsodyksMarkramState, w: Array, pre: Array, post: Array) -> Array:
        return w

    def on_post(self, state: TsodyksMarkramState, w: Array, pre: Array, post: Array) -> Array:
        return w

    def increment_pre(self, state: TsodyksMarkramState, pre: Array) -> TsodyksMarkramState:
        return state

    def increment_post(self, state: TsodyksMarkramState, post: Array) -> TsodyksMarkramState:
        return state
