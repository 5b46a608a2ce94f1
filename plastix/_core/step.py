"""One simulation step of the whole network: a pure function of (spec, state, drive).

The order of the phases is the contract of ``docs/semantics.md``:

1. deliver the presynaptic spikes arriving now (after the axonal delay) to the
   postsynaptic inputs, with the weights from before this step's plasticity, each scaled
   by the rule's ``transmit`` factor (short-term plasticity) when it has one;
2. step every population (neurons and spike sources) → this step's spikes (or rates);
3. plasticity: decay the traces to now; let the rule ``observe`` the postsynaptic
   neurons' new state; ``on_pre`` for arrived spikes (reading post traces without this
   step's post spikes); add the arrivals to the pre traces; then ``on_post`` for
   postsynaptic spikes (so an arrival counts as preceding a post spike of the same step:
   it was delivered before the neurons stepped);
4. add this step's postsynaptic spikes to the post traces; then a clock-driven rule
   updates all its synapses, and a rule with a modulator population takes that
   population's spikes of this step;
5. push the spikes into the delay history.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool

from .._backend import branch, skips_work
from . import delayed as delayed_events
from .events import EventBuffer, for_events, gather_events, overflow_needed
from .spec import NetworkSpec, NetworkState, ProjectionSpec, ProjectionState


def arrivals(proj: ProjectionSpec, history: Array, step: Array) -> Bool[Array, "..."]:
    """Arrived presynaptic spikes: per neuron ``[n_pre]`` (homogeneous delay) or per
    synapse (``synapse_shape``, per-synapse delays)."""
    length = history.shape[0]
    if not proj.per_synapse_delays:
        return history[(step - proj.delay) % length]
    # history[(step - delay) % length, pre] as one 1-D gather: each synapse's offset
    # ((-delay) % length) * n_pre + pre does not change during a run (XLA hoists it out
    # of the loop), so a step adds (step % length) * n_pre and wraps once.
    n_pre = history.shape[1]
    pre, _, _ = proj.connectivity.synapse_indices()
    pre = jnp.broadcast_to(pre, proj.connectivity.synapse_shape)
    size = length * n_pre
    offset = ((-proj.delays) % length) * n_pre + pre
    flat = offset + (step % length) * n_pre
    flat = jnp.where(flat >= size, flat - size, flat)
    return history.reshape((size,) + history.shape[2:]).at[flat].get(mode="promise_in_bounds")


def _fired(spikes: Array) -> Bool[Array, "..."]:
    """Which units spiked, as booleans: float (surrogate) spikes select by ``> 0``, so
    no gradient flows through *which* synapses ``on_pre``/``on_post`` update (it flows
    through the delivered input ``w * spike`` and the traces instead)."""
    return spikes if spikes.dtype == jnp.bool_ else spikes > 0


def _with_fallback(proj: ProjectionSpec, buffer: EventBuffer, events_fn: Any, dense_fn: Any) -> Any:
    """The event path, or — when asked for and the buffer overflowed — the dense path."""
    if proj.on_overflow == "dense":
        return jax.lax.cond(buffer.overflowed(), dense_fn, events_fn)
    return events_fn()


def buffer_size(capacity: int, n: int) -> int:
    """Slots of an event buffer for a population of ``n``: never more than ``n``."""
    return min(capacity, n)


def deliver(
    proj: ProjectionSpec,
    w: Array,
    arrived: Array,
    buffer: EventBuffer | None,
    scale: Array | None = None,
    loop: bool = True,
) -> Array:
    """Summed weights of the arrived spikes per postsynaptic neuron; ``scale`` (per
    presynaptic slot, optional) multiplies what each spike transmits; ``loop``: see
    ``events.for_events``."""
    conn = proj.connectivity
    scaled = arrived
    if scale is not None:
        scale = scale.reshape(arrived.shape) if proj.per_synapse_delays else scale
        scaled = jnp.where(arrived, scale, 0.0) if arrived.dtype == jnp.bool_ else arrived * scale
    if proj.per_synapse_delays:
        return conn.propagate_synapses(w, scaled)
    if buffer is None:
        return conn.propagate(w, scaled)
    event_scale = () if scale is None else (scale.at[buffer.ids].get(mode="fill", fill_value=0),)

    def add(total: Array, ids: Array, *event_scale: Array) -> Array:
        return conn.propagate_events(w, ids, *event_scale, into=total)

    def events() -> Array:
        # Zeros (the count is finite) that differ from the other walks' as expressions:
        # identical zeros are merged into one array, which XLA then copies into each
        # walk's loop buffer (W3: four copies a step, ~1 µs).
        total = jnp.zeros(conn.n_post, w.dtype) * buffer.count.astype(w.dtype)
        width = conn.event_widths()[0]
        return for_events(
            buffer, add, total, fill=conn.n_pre, width=width, aligned=event_scale, loop=loop
        )

    return _with_fallback(proj, buffer, events, lambda: conn.propagate(w, scaled))


def plasticity(
    proj: ProjectionSpec,
    state: ProjectionState,
    arrived: Array,
    pre_buffer: EventBuffer | None,
    post_spikes: Array,
    dt: float,
    modulator_spikes: Bool[Array, " n_mod"] | None = None,
    post_state: Any = None,
    key: Array | None = None,
    rates: tuple[bool, bool] = (False, False),
    loop: bool = True,
    delivered: Array | None = None,
) -> ProjectionState:
    """Phases 3 and 4 for one plastic projection; ``rates`` says whether the pre and the
    post population emit rates (their spike-triggered updates are then skipped);
    ``loop`` and ``delivered`` (what phase 1 delivered through this projection, read
    from the weights that this phase updates): see ``events.for_events``."""
    rule, conn = proj.rule, proj.connectivity
    traces = rule.observe(rule.decay(state.rule, dt), post_state)
    per_synapse = proj.per_synapse_delays

    def on_pre(w: Array, pre: Array, post: Array, syn: Array) -> Array:
        return rule.on_pre(traces, w, syn if per_synapse else pre, post)

    def on_post(w: Array, pre: Array, post: Array, syn: Array) -> Array:
        return rule.on_post(traces, w, syn if per_synapse else pre, post)

    overflow = state.overflow
    pre_width, post_width = conn.event_widths()

    def walk(values: Any, buffer: EventBuffer, fill: int, width: int, apply: Any, fn: Any) -> Any:
        """The event path of one side, as a thunk for ``_with_fallback``."""

        def visit(v: Any, ids: Array) -> Any:
            return apply(v, ids, fn)

        return lambda: for_events(
            buffer, visit, values, fill=fill, width=width, loop=loop, after=delivered
        )

    # The values a rule updates: the weights, with its per-synapse variables if it has any.
    w = state.w if state.synapses is None else (state.w, state.synapses)
    # on_pre: the synapses whose presynaptic spike arrived.
    if rates[0]:
        pass
    elif per_synapse or pre_buffer is None:
        fired = _fired(arrived)
        selected = fired if per_synapse else conn.pre_selected(fired)
        if delivered is not None and delivered.size and loop and skips_work():
            # Order the update after delivery's read of the weights, else XLA copies them
            # each step (see ``for_events``): adding 0·delivered[0] keeps every weight,
            # and makes them NaN (reported after the chunk) if delivery was not finite.
            zero = 0.0 * delivered.reshape(-1)[0]
            w = jax.tree_util.tree_map(lambda leaf: leaf + zero.astype(leaf.dtype), w)
        w = conn.apply_masked(w, selected, on_pre)
    else:
        w = _with_fallback(
            proj,
            pre_buffer,
            walk(w, pre_buffer, conn.n_pre, pre_width, conn.apply_pre_events, on_pre),
            lambda: conn.apply_masked(w, conn.pre_selected(_fired(arrived)), on_pre),
        )
    # The arrivals enter the pre traces before on_post: an arrival in step k was delivered
    # before the neurons stepped, so it precedes (and may cause) a post spike of step k.
    pre_spikes = arrived.reshape(-1) if per_synapse else arrived
    traces = rule.increment_pre(traces, pre_spikes)
    # on_post: the synapses of the postsynaptic neurons that spiked.
    if not rates[1]:
        w, overflow = _post_phase(
            proj,
            w,
            post_spikes,
            overflow,
            lambda v: conn.apply_masked(v, conn.post_selected(_fired(post_spikes)), on_post),
            lambda v, buffer: walk(
                v, buffer, conn.n_post, post_width, conn.apply_post_events, on_post
            )(),
            loop,
        )
    traces = rule.increment_post(traces, post_spikes)
    if rule.clock_driven:
        pre, _, _ = conn.synapse_indices()
        if per_synapse:
            pre = jnp.arange(proj.n_pre_slots).reshape(conn.synapse_shape)
        w = _clock_update(proj, traces, w, pre, dt, key)
    if modulator_spikes is not None:
        traces = rule.modulate(traces, modulator_spikes)
    if state.synapses is None:
        return ProjectionState(w, traces, overflow)
    return ProjectionState(w[0], traces, overflow, w[1])


def _post_phase(
    proj: ProjectionSpec,
    w: Any,
    post_spikes: Array,
    overflow: Array,
    masked: Any,
    events: Any,
    loop: bool = True,
) -> tuple[Any, Array]:
    """``on_post`` on the synapses of the postsynaptic neurons that spiked: every synapse
    through ``masked(w)`` (skipped in steps without a spike) when the projection has no
    postsynaptic buffer, else ``events(w, buffer)`` (``masked`` when it overflowed and
    ``on_overflow="dense"``). Returns the values and the overflow count."""
    if proj.post_capacity is None:
        return branch(jnp.any(post_spikes), masked, lambda v: v, w), overflow
    slots = buffer_size(proj.post_capacity, post_spikes.size)
    buffer = gather_events(post_spikes, slots, loop)
    if proj.on_overflow == "error":
        overflow = jnp.maximum(overflow, overflow_needed(buffer))
    return _with_fallback(proj, buffer, lambda: events(w, buffer), lambda: masked(w)), overflow


def _clock_update(
    proj: ProjectionSpec, traces: Any, w: Any, pre: Array, dt: float, key: Array | None
) -> Any:
    """A clock-driven rule's update of every synapse; ``pre`` holds their presynaptic
    slots. Absent synapses of a masked ``Dense`` are left alone."""
    conn = proj.connectivity
    _, post, _ = conn.synapse_indices()
    pre = jnp.broadcast_to(pre, conn.synapse_shape)
    post = jnp.broadcast_to(post, conn.synapse_shape)
    exists = conn.exists()
    if exists is not None:
        post = jnp.where(exists, post, conn.n_post)
    updated = proj.rule.update(traces, w, pre, post, dt, jax.random.key(0) if key is None else key)
    if exists is None:
        return updated
    return jax.tree_util.tree_map(lambda new, old: jnp.where(exists, new, old), updated, w)


def deliver_delayed(
    proj: ProjectionSpec,
    w: Array,
    ring: delayed_events.DelayState,
    history: Array,
    step: Array,
    loop: bool = True,
) -> Array:
    """Phase 1 for per-synapse delays on the event path (``plastix._core.delayed``);
    when a spike buffer overflowed, the all-synapse path (``on_overflow="dense"``)."""

    def events() -> Array:
        return delayed_events.deliver(proj.delayed, w, ring, step, loop)

    if proj.on_overflow != "dense":
        return events()
    conn = proj.connectivity
    dense = lambda: conn.propagate_synapses(w, arrivals(proj, history, step))  # noqa: E731
    return jax.lax.cond(delayed_events.incomplete(ring, step), dense, events)


def plasticity_delayed(
    proj: ProjectionSpec,
    state: ProjectionState,
    history: Array,
    step: Array,
    pre_spikes: Bool[Array, " n_pre"],
    post_spikes: Bool[Array, " n_post"],
    dt: float,
    modulator_spikes: Bool[Array, " n_mod"] | None = None,
    post_state: Any = None,
    key: Array | None = None,
    loop: bool = True,
    delivered: Array | None = None,
) -> ProjectionState:
    """Phases 3 and 4 of ``plasticity`` for per-synapse delays on the event path: the
    rule reads its presynaptic variables from the rings (a synapse's value is its
    neuron's of ``d`` steps ago, see ``plastix._core.delayed``); this step's presynaptic
    spikes then enter the neurons' variables and the rings."""
    rule, conn, index = proj.rule, proj.connectivity, proj.delayed
    ring = state.delayed
    traces = rule.observe(rule.decay(state.rule, dt), post_state)
    overflow = state.overflow
    slots = delayed_events.slots_now(index, step)
    w = state.w if state.synapses is None else (state.w, state.synapses)

    def masked(values: Any, selected: Array, update: Any) -> Any:
        """``update`` on the ``selected`` synapses, every synapse at once."""
        return conn.apply_masked(values, selected, lambda v, pre, post, syn: update(v, slots, post))

    # on_pre: the arrived synapses, reading the presynaptic variables before the arrival.
    before = delayed_events.lagged(index, traces, ring.before)

    def on_pre(v: Any, pre: Array, post: Array) -> Any:
        return rule.on_pre(before, v, pre, post)

    def pre_events() -> Any:
        return delayed_events.apply_arrivals(index, w, ring, step, on_pre, loop, after=delivered)

    if proj.on_overflow == "dense":
        w = jax.lax.cond(
            delayed_events.incomplete(ring, step),
            lambda: masked(w, _fired(arrivals(proj, history, step)), on_pre),
            pre_events,
        )
    else:
        w = pre_events()
    # on_post: the synapses of the postsynaptic neurons that spiked, reading the
    # presynaptic variables after the arrivals (an arrival precedes a post spike).
    after = delayed_events.lagged(index, traces, ring.after)

    def on_post(v: Any, pre: Array, post: Array) -> Any:
        return rule.on_post(after, v, pre, post)

    w, overflow = _post_phase(
        proj,
        w,
        post_spikes,
        overflow,
        lambda v: masked(v, conn.post_selected(_fired(post_spikes)), on_post),
        lambda v, buffer: delayed_events.apply_post_events(
            index, v, buffer, step, on_post, loop, after=delivered
        ),
        loop,
    )
    traces = rule.increment_post(traces, post_spikes)
    if rule.clock_driven:
        current = delayed_events.lagged(index, traces, ring.after)
        w = _clock_update(proj, current, w, slots, dt, key)
    if modulator_spikes is not None:
        traces = rule.modulate(traces, modulator_spikes)
    # This step's presynaptic spikes: into the neurons' variables and the rings (the
    # caller schedules their synapses).
    incremented = rule.increment_pre(traces, pre_spikes)
    ring = delayed_events.push_rings(
        ring,
        step,
        delayed_events.pre_values(index, traces),
        delayed_events.pre_values(index, incremented),
        order=_order_token(w),
    )
    if state.synapses is None:
        return ProjectionState(w, incremented, overflow, None, ring)
    return ProjectionState(w[0], incremented, overflow, w[1], ring)


def rule_key(key: Array, projection: int, step: Array) -> Array:
    """The random key of a projection's rule in one step (independent of chunking)."""
    rules = jax.random.fold_in(key, 0x7FFFFFFF)  # apart from the populations' keys
    return jax.random.fold_in(jax.random.fold_in(rules, projection), step)


def step(
    spec: NetworkSpec, state: NetworkState, drives: tuple[Any, ...], key: Array | None = None
) -> tuple[NetworkState, tuple[Array, ...]]:
    """Advance the network by one step; ``drives`` holds each population's drive row and
    ``key`` is the run's random key (for stochastic rules; see ``rule_key``).

    Returns:
        The new state and the spikes (or rates) of every population in this step.
    """
    new, spikes, delivered = advance(spec, state, drives, key, with_delivered=True)
    after = _order_token((delivered, new.projections))
    return new._replace(history=push_history(new.history, state.step, spikes, after)), spikes


def _order_token(tree: Any) -> Array | None:
    """A scalar computed from the first element of every float leaf of ``tree`` (what
    the readers of the history produced): see ``push_history``'s ``after``."""
    firsts = [
        leaf.reshape(-1)[0].astype(jnp.float32)
        for leaf in jax.tree_util.tree_leaves(tree)
        if jnp.issubdtype(leaf.dtype, jnp.floating) and leaf.size
    ]
    return sum(firsts[1:], firsts[0]) if firsts else None


def push_history(
    history: tuple[Array, ...],
    first: Array,
    spikes: tuple[Array, ...],
    after: Array | None = None,
) -> tuple:
    """Phase 5: write the spikes of steps ``first, first+1, …`` into the delay history.

    ``spikes`` holds per population the spikes of one step ``[n]``, or of several
    consecutive steps ``[d, n]`` (a sharded run exchanges ``d`` steps at a time); only
    the last ``L`` of them can be kept in a history of ``L`` slots.

    ``after`` (optional, a scalar computed from what this step's readers of the history
    produced) orders the write after those reads. Without it XLA may not see that a
    population's spikes (a source's, which do not depend on its arrivals) are written
    after the arrivals were read, and copies the whole history twice per step (W2 at
    10⁶ synapses with a 2 ms delay: 2 × 0.6 MB per step). The slot only depends on it
    formally: a NaN selects ``first + L``, the same slot.
    """
    new = []
    for h, s in zip(history, spikes, strict=True):
        length = h.shape[0]
        if s.ndim == h.ndim - 1:
            slot = first if after is None else jnp.where(jnp.isnan(after), first + length, first)
            new.append(h.at[slot % length].set(s))
            continue
        d = s.shape[0]
        keep = range(max(0, d - length), d)
        slots = (first + jnp.asarray(list(keep))) % length
        new.append(h.at[slots].set(s[d - len(keep) :]))
    return tuple(new)


def _advance_delayed(
    spec: NetworkSpec,
    proj: ProjectionSpec,
    proj_state: ProjectionState,
    state: NetworkState,
    spikes: list[Array],
    pop_states: list[Any],
    key: Array | None,
    index: int,
    delivered: Array,
) -> ProjectionState:
    """Phases 3–4 of a projection with per-synapse delays on the event path: plasticity
    (if any), then this step's presynaptic spikes scheduled into the arrival lists."""
    k, pre_spikes = state.step, _fired(spikes[proj.pre])
    if proj.rule is not None:
        proj_state = plasticity_delayed(
            proj,
            proj_state,
            state.history[proj.pre],
            k,
            pre_spikes,
            spikes[proj.post],
            spec.dt,
            None if proj.modulator is None else spikes[proj.modulator],
            post_state=pop_states[proj.post],
            key=None if key is None else rule_key(key, index, k),
            loop=spec.loop_events,
            delivered=delivered,
        )
    # after delivery's and on_pre's reads of the lists (on_pre updated the weights)
    ring, needed = delayed_events.schedule(
        proj.delayed,
        proj_state.delayed,
        k,
        pre_spikes,
        spec.loop_events,
        after=_order_token((delivered, proj_state.w)),
    )
    overflow = proj_state.overflow
    if proj.on_overflow == "error":
        overflow = jnp.maximum(overflow, needed)
    return proj_state._replace(delayed=ring, overflow=overflow)


def advance(
    spec: NetworkSpec,
    state: NetworkState,
    drives: tuple[Any, ...],
    key: Array | None = None,
    valid: tuple[Array | None, ...] | None = None,
    with_delivered: bool = False,
) -> tuple:
    """Phases 1–4 of ``step``: the new state with the history *not* yet updated, and the
    spikes of every population (and, ``with_delivered``, what each projection delivered).

    ``valid`` (per population, a mask over its units or None) silences units that only
    pad a population's block in a sharded run: they never spike.
    """
    k = state.step
    inputs = [{r: jnp.zeros(p.n, float) for r in p.model.receptors} for p in spec.populations]
    arrived_all, buffers, delivered, projections = [], [], [], list(state.projections)
    # 1. deliver
    for i, proj in enumerate(spec.projections):
        if proj.delayed is not None:
            ring, history = projections[i].delayed, state.history[proj.pre]
            delivered.append(
                deliver_delayed(proj, projections[i].w, ring, history, k, spec.loop_events)
            )
            target = inputs[proj.post]
            target[proj.receptor] = target[proj.receptor] + delivered[-1]
            arrived_all.append(None)
            buffers.append(None)
            continue
        arrived = arrivals(proj, state.history[proj.pre], k)
        buffer = None
        if proj.capacity is not None and not proj.per_synapse_delays:
            slots = buffer_size(proj.capacity, arrived.size)
            buffer = gather_events(arrived, slots, spec.loop_events)
            if proj.on_overflow == "error":  # with "dense", an overflowing step falls back
                needed = overflow_needed(buffer)
                projections[i] = projections[i]._replace(
                    overflow=jnp.maximum(projections[i].overflow, needed)
                )
        scale = None
        if proj.rule is not None:
            slots = arrived.reshape(-1) if proj.per_synapse_delays else arrived
            rule_state, scale = proj.rule.transmit(projections[i].rule, slots, spec.dt)
            projections[i] = projections[i]._replace(rule=rule_state)
        target = inputs[proj.post]
        delivered.append(deliver(proj, projections[i].w, arrived, buffer, scale, spec.loop_events))
        target[proj.receptor] = target[proj.receptor] + delivered[-1]
        arrived_all.append(arrived)
        buffers.append(buffer)
    # 2. populations
    pop_states, spikes = [], []
    for pop, pop_state, pop_inputs, drive in zip(
        spec.populations, state.populations, inputs, drives, strict=True
    ):
        new_state, s = pop.model.step(pop_state, pop_inputs, drive, spec.dt)
        mask = None if valid is None else valid[len(spikes)]
        if mask is not None:
            s = jnp.where(mask, s, jnp.zeros((), s.dtype))
        pop_states.append(new_state)
        spikes.append(s)
    # 3.–4. plasticity and traces
    for i, proj in enumerate(spec.projections):
        if proj.delayed is not None:
            projections[i] = _advance_delayed(
                spec, proj, projections[i], state, spikes, pop_states, key, i, delivered[i]
            )
        elif proj.rule is not None:
            modulator = None if proj.modulator is None else spikes[proj.modulator]
            projections[i] = plasticity(
                proj,
                projections[i],
                arrived_all[i],
                buffers[i],
                spikes[proj.post],
                spec.dt,
                modulator,
                post_state=pop_states[proj.post],
                key=None if key is None else rule_key(key, i, k),
                rates=(
                    spec.populations[proj.pre].model.emits_rates,
                    spec.populations[proj.post].model.emits_rates,
                ),
                loop=spec.loop_events,
                delivered=delivered[i],
            )
    new = NetworkState(k + 1, tuple(pop_states), state.history, tuple(projections))
    if with_delivered:
        return new, tuple(spikes), tuple(delivered)
    return new, tuple(spikes)
