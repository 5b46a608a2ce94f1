"""A projection: synapses between two populations, with an optional plasticity rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_choice, check_int_at_least
from ..connectivity._base import AbstractConnectivity
from ..rules._base import AbstractRule
from .population import Population

Values = float | np.ndarray | Callable[[Any, int], Any]


class Projection:
    """Synapses from ``pre`` to ``post`` onto the receptor ``receptor``.

    Args:
        pre: presynaptic population.
        post: postsynaptic population (a neuron model).
        connectivity: which synapses exist (``Dense``, ``CSR``, ``COO``, or a builder's
            result), sized ``pre.n × post.n``.
        rule: plasticity rule, or None for static synapses.
        weights: initial weights: a number, a ``[pre.n, post.n]`` matrix, one value per
            synapse in canonical (pre, post) order, or an initializer
            ``fn(key, n_synapses)`` such as ``plastix.initializers.uniform(0, 0.01)``
            (drawn in canonical order, so every format gets the same weights).
        delay: axonal delay [ms]: None (one step, the minimum), a number, or per synapse
            (like ``weights``); rounded to whole steps, each at least ``dt``.
        receptor: the postsynaptic input the spikes add to (``"exc"`` or ``"inh"``).
        capacity: size of the event buffers (spiking neurons per step) for the
            event-driven path, or None for the all-synapse path; a pair
            ``(pre, post)`` sizes the two sides apart (None on a side: all synapses
            there), e.g. ``(64, None)`` when few of many inputs spike each step but the
            few postsynaptic neurons each have many synapses. With per-synapse delays a
            presynaptic capacity schedules each spike's synapses into the steps they
            reach (for rules that declare ``pre_state_shifts``; see
            ``docs/performance.md``).
        on_overflow: ``"error"`` (raise after the chunk) or ``"dense"`` (take the
            all-synapse path in a step whose spikes do not fit).
        name: a name for messages and results (default ``proj<i>``).
        modulator: a population whose spikes the rule takes as a neuromodulator signal
            (e.g. the "dopamine" input of ``RewardSTDP``), or None.
    """

    def __init__(
        self,
        pre: Population,
        post: Population,
        connectivity: AbstractConnectivity,
        rule: AbstractRule | None = None,
        weights: Values = 1.0,
        delay: Values | None = None,
        receptor: str = "exc",
        capacity: int | tuple[int | None, int | None] | None = None,
        on_overflow: str = "error",
        name: str | None = None,
        modulator: Population | None = None,
    ):
        where = "Projection: "
        for arg, pop in (("pre", pre), ("post", post)):
            if not isinstance(pop, Population):
                raise ValueError(f"{where}{arg} must be a Population, got {type(pop).__name__}.")
        if not isinstance(connectivity, AbstractConnectivity):
            raise ValueError(
                f"{where}connectivity must be Dense, CSR or COO (e.g. all_to_all(...)), got "
                f"{type(connectivity).__name__}."
            )
        if (connectivity.n_pre, connectivity.n_post) != (pre.n, post.n):
            raise ValueError(
                f"{where}connectivity is sized (n_pre, n_post) = "
                f"{(connectivity.n_pre, connectivity.n_post)} but the populations have "
                f"(pre.n, post.n) = {(pre.n, post.n)}."
            )
        if rule is not None and not isinstance(rule, AbstractRule):
            raise ValueError(
                f"{where}rule must be a plasticity rule (e.g. PairSTDP()) or None, got "
                f"{type(rule).__name__}."
            )
        check_choice("receptor", receptor, type(post.model).receptors, where)
        if isinstance(capacity, tuple | list):
            if len(capacity) != 2:
                raise ValueError(
                    f"{where}capacity must be an integer, None, or a pair (pre, post) of "
                    f"them, got {capacity!r}."
                )
            capacity = tuple(
                None if c is None else check_int_at_least(f"capacity[{i}]", c, 1, where)
                for i, c in enumerate(capacity)
            )
        elif capacity is not None:
            capacity = check_int_at_least("capacity", capacity, 1, where)
        check_choice("on_overflow", on_overflow, ("error", "dense"), where)
        if modulator is not None:
            if not isinstance(modulator, Population):
                raise ValueError(
                    f"{where}modulator must be a Population or None, got "
                    f"{type(modulator).__name__}."
                )
            if rule is None or type(rule).modulate is AbstractRule.modulate:
                raise ValueError(
                    f"{where}modulator is given but the rule "
                    f"({type(rule).__name__}) takes no neuromodulator; use e.g. RewardSTDP."
                )
        self.pre, self.post = pre, post
        self.connectivity, self.rule = connectivity, rule
        self.weights, self.delay = weights, delay
        self.receptor, self.capacity, self.on_overflow = receptor, capacity, on_overflow
        self.name, self.modulator = name, modulator
        self.network = None

    def per_synapse(self, values: Values, key: jax.Array, what: str) -> jax.Array:
        """``values`` as a per-synapse array in the connectivity's storage layout."""
        conn = self.connectivity
        n = conn.n_synapses
        if callable(values):
            drawn = jnp.asarray(values(key, n), dtype=float)
            if drawn.shape != (n,):
                raise ValueError(
                    f"Projection {self.name!r}: the {what} initializer must return shape "
                    f"({n},), got {drawn.shape}."
                )
            return conn.from_canonical(drawn)
        array = np.asarray(values, dtype=float)
        if array.ndim == 0:
            return conn.from_canonical(jnp.full((n,), float(array)))
        if array.shape == (conn.n_pre, conn.n_post):
            return conn.from_matrix(jnp.asarray(array))
        if array.shape == (n,):
            return conn.from_canonical(jnp.asarray(array))
        raise ValueError(
            f"Projection {self.name!r}: {what} must be a number, a ({conn.n_pre}, "
            f"{conn.n_post}) matrix or ({n},) values in canonical order, got shape "
            f"{array.shape}."
        )

    def __repr__(self) -> str:
        rule = type(self.rule).__name__ if self.rule is not None else "static"
        return f"Projection({self.pre.name!r} -> {self.post.name!r}, {rule}, name={self.name!r})"
