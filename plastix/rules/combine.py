"""Composition of rules, the way ``optax.chain`` composes transforms."""

from __future__ import annotations

from typing import Any

import jax
from jaxtyping import Array

from ._base import AbstractRule


class Chain(AbstractRule):
    """Rules applied one after the other on the same synapses; the state is a tuple.

    Every sub-rule's traces are decayed and incremented; ``on_pre``/``on_post`` pass the
    weights through the rules in order, each reading its own traces.
    """

    rules: tuple[AbstractRule, ...]

    def init(self, n_pre: int, n_post: int) -> tuple:
        return tuple(rule.init(n_pre, n_post) for rule in self.rules)

    def init_synapses(self, w: Array) -> tuple | None:
        per_rule = tuple(rule.init_synapses(w) for rule in self.rules)
        return None if all(s is None for s in per_rule) else per_rule

    def _through(self, method: str, state: tuple, values: Any, pre: Array, post: Array) -> Any:
        """Pass ``values`` (``w`` or ``(w, per-rule synapse variables)``) through the rules."""
        if not isinstance(values, tuple):
            for rule, s in zip(self.rules, state, strict=True):
                values = getattr(rule, method)(s, values, pre, post)
            return values
        w, synapses = values
        synapses = list(synapses)
        for i, (rule, s) in enumerate(zip(self.rules, state, strict=True)):
            if synapses[i] is None:
                w = getattr(rule, method)(s, w, pre, post)
            else:
                w, synapses[i] = getattr(rule, method)(s, (w, synapses[i]), pre, post)
        return w, tuple(synapses)

    def prepare(self, dt: float) -> None:
        for rule in self.rules:
            rule.prepare(dt)

    def decay(self, state: tuple, dt: float) -> tuple:
        self._check(state)
        return tuple(rule.decay(s, dt) for rule, s in zip(self.rules, state, strict=True))

    def on_pre(self, state: tuple, values: Any, pre: Array, post: Array) -> Any:
        return self._through("on_pre", state, values, pre, post)

    def on_post(self, state: tuple, values: Any, pre: Array, post: Array) -> Any:
        return self._through("on_post", state, values, pre, post)

    @property
    def clock_driven(self) -> bool:  # type: ignore[override]
        return any(rule.clock_driven for rule in self.rules)

    def update(
        self, state: tuple, values: Any, pre: Array, post: Array, dt: float, key: Array
    ) -> Any:
        def one(i: int, rule: AbstractRule, s: Any, v: Any) -> Any:
            return rule.update(s, v, pre, post, dt, jax.random.fold_in(key, i))

        if not isinstance(values, tuple):
            for i, (rule, s) in enumerate(zip(self.rules, state, strict=True)):
                values = one(i, rule, s, values) if rule.clock_driven else values
            return values
        w, synapses = values
        synapses = list(synapses)
        for i, (rule, s) in enumerate(zip(self.rules, state, strict=True)):
            if not rule.clock_driven:
                continue
            if synapses[i] is None:
                w = one(i, rule, s, w)
            else:
                w, synapses[i] = one(i, rule, s, (w, synapses[i]))
        return w, tuple(synapses)

    def transmit(self, state: tuple, arrived: Array, dt: float) -> tuple[tuple, Any]:
        """Each rule's factor in turn; the spike transmits their product."""
        scale, new = None, []
        for rule, s in zip(self.rules, state, strict=True):
            s, factor = rule.transmit(s, arrived, dt)
            new.append(s)
            if factor is not None:
                scale = factor if scale is None else scale * factor
        return tuple(new), scale

    def observe(self, state: tuple, post_state: Any) -> tuple:
        return tuple(rule.observe(s, post_state) for rule, s in zip(self.rules, state, strict=True))

    def modulate(self, state: tuple, spikes: Array) -> tuple:
        return tuple(rule.modulate(s, spikes) for rule, s in zip(self.rules, state, strict=True))

    def increment_pre(self, state: tuple, pre: Array) -> tuple:
        return tuple(rule.increment_pre(s, pre) for rule, s in zip(self.rules, state, strict=True))

    def increment_post(self, state: tuple, post: Array) -> tuple:
        return tuple(
            rule.increment_post(s, post) for rule, s in zip(self.rules, state, strict=True)
        )

    def _check(self, state: tuple) -> None:
        if not isinstance(state, tuple) or len(state) != len(self.rules):
            got = len(state) if isinstance(state, tuple) else type(state).__name__
            raise ValueError(
                f"chain: the state must be a tuple of {len(self.rules)} rule states, one per "
                f"rule, got {got}. Initialise it with the chain's own init()."
            )


def chain(*rules: AbstractRule) -> Chain:
    """Compose rules: ``chain(PairSTDP(...), other)`` applies them in order.

    Raises:
        ValueError: when called with no rule or with something that is not a rule.
    """
    if not rules:
        raise ValueError("chain: give at least one rule, e.g. chain(PairSTDP(), ...).")
    for i, rule in enumerate(rules):
        if not isinstance(rule, AbstractRule):
            raise ValueError(
                f"chain: argument {i} must be a plasticity rule (an AbstractRule), got "
                f"{type(rule).__name__}."
            )
    return Chain(tuple(rules))
