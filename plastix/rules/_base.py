"""The rule interface: what happens to one synapse when its neurons spike.

A rule never sees the connectivity format. The projection gives it the per-synapse
values gathered by the format (the weights) with the index of each synapse's
presynaptic *slot* and postsynaptic neuron, and the rule returns the new values. A
presynaptic slot is the presynaptic neuron, or the synapse itself when delays differ per
synapse (then a presynaptic trace is kept per synapse, because each synapse sees the
spike at its own arrival time).

In one step the projection calls, in this order (see ``docs/semantics.md``):
``transmit`` with the arrivals (before they are delivered: short-term plasticity scales
what each spike transmits) → [the neurons step] → ``decay`` → ``observe`` (the
postsynaptic neurons' new state) → ``on_pre`` (synapses whose presynaptic spike arrived)
→ ``increment_pre`` with the arrivals → ``on_post`` (synapses whose postsynaptic neuron
spiked) → ``increment_post`` with the postsynaptic spikes → ``update`` (all synapses;
only for ``clock_driven`` rules) → ``modulate`` with the spikes of the projection's
modulator population, if it has one. When a population emits rates instead of spikes
(a rate population), its values take the place of the spikes in ``increment_pre`` /
``increment_post`` and the spike-triggered ``on_pre`` / ``on_post`` are skipped.

Most rules keep traces per neuron only. A rule that needs variables per synapse (a
pairing state, an eligibility trace) returns them from ``init_synapses``; its
``on_pre``/``on_post`` then receive and return the pair ``(w, s)`` of the weights and
those variables (gathered the same way), instead of ``w`` alone.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import equinox as eqx
from jaxtyping import Array, Bool, Int

RuleState = Any


def period_steps(period: float, dt: float, where: str = "") -> int:
    """Steps in ``period`` [ms]; raises ValueError unless it is a whole multiple of ``dt``."""
    steps = round(period / dt)
    if steps < 1 or abs(steps * dt - period) > 1e-9 * max(1.0, period):
        raise ValueError(
            f"{where}period must be a whole multiple of dt = {dt} ms (so that no update is "
            f"skipped or shifted), got period={period} ms."
        )
    return steps


class AbstractRule(eqx.Module):
    """A plasticity rule: parameters are array fields, so ``jax.grad``/``vmap`` reach them."""

    def prepare(self, dt: float) -> None:  # noqa: B027 (optional hook)
        """Validate the rule for the step ``dt`` [ms] (called when the network is built);
        raise ValueError if it cannot run at that step."""

    def specialized(self) -> AbstractRule:
        """The rule with fast paths fixed from its parameters' concrete values (recorded
        in static fields). The host runner calls it before compiling a chunk; ``run``
        called directly (under ``grad``, with traced parameters) uses the rule as given.
        Default: the rule itself."""
        return self

    @abc.abstractmethod
    def init(self, n_pre: int, n_post: int) -> RuleState:
        """Initial rule state (traces) for ``n_pre`` presynaptic slots, ``n_post`` neurons."""

    def init_synapses(self, w: Array) -> Any:
        """Per-synapse variables besides the weight (same shape as ``w``), or None."""
        return None

    @abc.abstractmethod
    def decay(self, state: RuleState, dt: float) -> RuleState:
        """Advance the traces by one step of ``dt`` [ms] without spikes."""

    @abc.abstractmethod
    def on_pre(
        self, state: RuleState, w: Array, pre: Int[Array, "..."], post: Int[Array, "..."]
    ) -> Array:
        """New weights of synapses whose presynaptic spike arrived this step."""

    @abc.abstractmethod
    def on_post(
        self, state: RuleState, w: Array, pre: Int[Array, "..."], post: Int[Array, "..."]
    ) -> Array:
        """New weights of synapses whose postsynaptic neuron spiked this step."""

    @abc.abstractmethod
    def increment_pre(self, state: RuleState, pre: Bool[Array, " n_pre"]) -> RuleState:
        """Add this step's arrived presynaptic spikes to the traces."""

    clock_driven: ClassVar[bool] = False
    """Whether the rule also updates every synapse at every step (``update``)."""

    pre_state_shifts: ClassVar[bool] = False
    """Whether the rule's presynaptic variables (its state per presynaptic slot) change
    only by ``decay`` and ``increment_pre`` and start at zero: a synapse of delay ``d``
    then sees its neuron's values of ``d`` steps ago, so with per-synapse delays they are
    kept per neuron (``plastix._core.delayed``) and the event path serves the projection."""

    accepts_rates: ClassVar[bool] = False
    """Whether the rule may run on a projection from or to a population that emits rates
    (its values then replace spikes in ``increment_pre``/``increment_post``, and
    ``on_pre``/``on_post`` are skipped); spike-timing rules leave it False."""

    def update(
        self,
        state: RuleState,
        values: Any,
        pre: Int[Array, "..."],
        post: Int[Array, "..."],
        dt: float,
        key: Array,
    ) -> Any:
        """Clock-driven update of all synapses' values, after the spike-triggered ones
        (only called when ``clock_driven``).

        ``pre``/``post`` are each synapse's presynaptic slot and postsynaptic neuron,
        broadcast to the synapse shape; an absent synapse of a masked ``Dense`` has
        ``post = n_post`` (out of range: ``segment_sum`` drops it) and its result is
        discarded. ``key`` is a fresh random key for this step and projection, made from
        the network seed and the absolute step (results do not depend on chunking).
        """
        return values

    def transmit(self, state: RuleState, arrived: Array, dt: float) -> tuple[RuleState, Any]:
        """Before delivery: the factor scaling what each arrived spike transmits (per
        presynaptic slot; short-term plasticity), or None for 1. ``state`` is as of the
        end of the previous step (advance it by ``dt`` here if it needs the present)."""
        return state, None

    def observe(self, state: RuleState, post_state: Any) -> RuleState:
        """Read what the rule needs from the postsynaptic population's state after this
        step (a membrane potential, a filtered voltage), right after ``decay``."""
        return state

    def modulate(self, state: RuleState, spikes: Bool[Array, " n"]) -> RuleState:
        """Take this step's spikes of the projection's modulator population (a
        neuromodulator signal), at the end of the step; rules without one ignore them."""
        return state

    @abc.abstractmethod
    def increment_post(self, state: RuleState, post: Bool[Array, " n_post"]) -> RuleState:
        """Add this step's postsynaptic spikes to the traces."""
