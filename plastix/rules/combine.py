"""Composition of rules, the way ``optax.chain`` composes transforms."""

from __future__ import annotations

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

    def decay(self, state: tuple, dt: float) -> tuple:
        self._check(state)
        return tuple(rule.decay(s, dt) for rule, s in zip(self.rules, state, strict=True))

    def on_pre(self, state: tuple, w: Array, pre: Array, post: Array) -> Array:
        for rule, s in zip(self.rules, state, strict=True):
            w = rule.on_pre(s, w, pre, post)
        return w

    def on_post(self, state: tuple, w: Array, pre: Array, post: Array) -> Array:
        for rule, s in zip(self.rules, state, strict=True):
            w = rule.on_post(s, w, pre, post)
        return w

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
