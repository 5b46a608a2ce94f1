"""Plasticity rules from equation text: ``plastix.dsl.Rule``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array

from ..rules._base import AbstractRule
from ._codegen import evaluate
from ._expression import Sym
from ._integrate import Instruction, run
from ._model import check_method, check_name, check_parameters, generated_class
from ._rule_compile import RESERVED, BlockStatement, compile_rule


@dataclass(frozen=True, eq=False)
class RuleProgram:
    """The compiled, static part of a DSL rule (compared by its source text)."""

    source: tuple
    name: str
    params: tuple[str, ...]
    pre_vars: tuple[str, ...]
    post_vars: tuple[str, ...]
    syn_vars: tuple[str, ...]
    observed: tuple[tuple[str, str], ...]  # (neuron variable, the text that reads it)
    initial: tuple[tuple[str, Sym], ...]
    decay_pre: tuple[Instruction, ...]
    decay_post: tuple[Instruction, ...]
    lazy_vars: tuple[str, ...]
    lazy_flow: tuple[Instruction, ...]
    clock_vars: tuple[str, ...]
    clock_flow: tuple[Instruction, ...]
    on_pre: tuple[BlockStatement, ...]
    on_post: tuple[BlockStatement, ...]
    increment_pre: tuple[BlockStatement, ...]
    increment_post: tuple[BlockStatement, ...]
    uses_clock: bool

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RuleProgram) and self.source == other.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        return f"RuleProgram({self.name!r})"


class DSLRule(AbstractRule):
    """A plasticity rule compiled from equation text by :func:`Rule` (see there).

    The state is a dict: one vector per per-pre variable (over presynaptic slots), one per
    per-post variable (over postsynaptic neurons), ``"post.NAME"`` for a postsynaptic
    neuron variable the rule reads, and the step count ``"_step"`` and step ``"_dt"``
    when the text uses ``t`` or ``dt``. Per-synapse variables live beside the weight (a
    dict, from ``init_synapses``).
    """

    program: RuleProgram = eqx.field(static=True)

    @property
    def parameters(self) -> dict[str, Array]:
        """The parameter values by name."""
        return {p: getattr(self, p) for p in self.program.params}

    @property
    def clock_driven(self) -> bool:  # type: ignore[override]
        return bool(self.program.clock_vars)

    def _initial(self, name: str) -> Any:
        initial = dict(self.program.initial)
        return evaluate(initial[name], self.parameters) if name in initial else 0.0

    def init(self, n_pre: int, n_post: int) -> dict[str, Array]:
        prog = self.program
        state: dict[str, Array] = {}
        for names, n in ((prog.pre_vars, n_pre), (prog.post_vars, n_post)):
            for name in names:
                state[name] = jnp.broadcast_to(jnp.asarray(self._initial(name), float), (n,))
        for var, _ in prog.observed:
            state["post." + var] = jnp.zeros(n_post, float)
        if prog.uses_clock:
            state["_step"] = jnp.zeros((), jnp.int32)
            state["_dt"] = jnp.zeros((), float)
        return state

    def init_synapses(self, w: Array) -> dict[str, Array] | None:
        prog = self.program
        if not prog.syn_vars:
            return None
        out = {v: jnp.full(jnp.shape(w), self._initial(v), float) for v in prog.syn_vars}
        if prog.lazy_vars:
            out["_last"] = jnp.zeros(jnp.shape(w), float)
        return out

    def _clock(self, state: dict[str, Array]) -> dict[str, Any]:
        if not self.program.uses_clock:
            return {}
        dt = state["_dt"]
        return {"t": (state["_step"] - 1) * dt, "dt": dt}

    def decay(self, state: dict[str, Array], dt: float) -> dict[str, Array]:
        prog = self.program
        state = dict(state)
        env = {**self.parameters, "dt": dt}
        if prog.uses_clock:
            env["t"] = (state["_step"] - 1) * dt  # the step starts at t_{k-1}
            state["_step"] = state["_step"] + 1
            state["_dt"] = jnp.asarray(dt, float)
        for program, names in ((prog.decay_pre, prog.pre_vars), (prog.decay_post, prog.post_vars)):
            if program:
                new = run(program, {**env, **state})
                state.update({n: new[n] for n in names})
        return state

    def observe(self, state: dict[str, Array], post_state: Any) -> dict[str, Array]:
        if not self.program.observed:
            return state
        state = dict(state)
        for var, text in self.program.observed:
            fields = getattr(post_state, "_fields", ())
            if var not in fields:
                raise ValueError(
                    f"plastix.dsl.Rule {self.program.name!r}: the text reads the postsynaptic "
                    f"neuron's variable {var!r} ({text!r}), but the postsynaptic population's "
                    f"state ({type(post_state).__name__}) has no {var!r}; it has "
                    f"{list(fields)}. Fix: connect the rule to neurons that have {var!r}, or "
                    f"if {text!r} is meant as a parameter, add it to parameters=."
                )
            value = jnp.asarray(getattr(post_state, var), float)
            state["post." + var] = jnp.broadcast_to(value, state["post." + var].shape)
        return state

    def _gather(self, state: dict[str, Array], pre: Array, post: Array) -> dict[str, Any]:
        prog = self.program
        env: dict[str, Any] = {}
        for name in prog.pre_vars:
            env[name] = state[name][pre]
        for name in prog.post_vars:
            env[name] = state[name][post]
        for var, _ in prog.observed:
            env["post." + var] = state["post." + var][post]
        return env

    def _synaptic(self, block: tuple[BlockStatement, ...], state, values, pre, post) -> Any:
        prog = self.program
        w, syn = values if isinstance(values, tuple) else (values, None)
        env: dict[str, Any] = {**self.parameters, **self._clock(state), "w": w}
        env.update(self._gather(state, pre, post))
        if syn is not None:
            env.update(syn)
        if syn is not None and prog.lazy_vars:  # event-driven ones catch up with the present
            elapsed = env["t"] - syn["_last"]
            flowed = run(prog.lazy_flow, {**env, "dt": elapsed})
            env.update({n: flowed[n] for n in prog.lazy_vars})
            env["_last"] = jnp.broadcast_to(env["t"], jnp.shape(w))
        for stmt in block:
            env[stmt.target] = evaluate(stmt.value, env)
        shape = jnp.shape(w)
        new_w = jnp.broadcast_to(env["w"], shape).astype(w.dtype)
        if syn is None:
            return new_w
        new_syn = {k: jnp.broadcast_to(env[k], shape).astype(syn[k].dtype) for k in syn}
        return new_w, new_syn

    def on_pre(self, state: dict[str, Array], w: Any, pre: Array, post: Array) -> Any:
        """``w``: the weights, or ``(w, per-synapse variables)`` when the rule has some."""
        return self._synaptic(self.program.on_pre, state, w, pre, post)

    def on_post(self, state: dict[str, Array], w: Any, pre: Array, post: Array) -> Any:
        """``w``: the weights, or ``(w, per-synapse variables)`` when the rule has some."""
        return self._synaptic(self.program.on_post, state, w, pre, post)

    def _increment(self, block: tuple[BlockStatement, ...], state, spikes: Array, names):
        if not block:
            return state
        state = dict(state)
        env = {**self.parameters, **self._clock(state), **{n: state[n] for n in names}}
        for stmt in block:
            old = env[stmt.target]
            if spikes.dtype == jnp.bool_:
                env[stmt.target] = jnp.where(spikes, evaluate(stmt.value, env), old)
            elif stmt.op in ("+=", "-="):  # float (surrogate) spikes: the gradient passes
                sign = 1.0 if stmt.op == "+=" else -1.0
                env[stmt.target] = old + sign * spikes * evaluate(stmt.increment, env)
            else:
                env[stmt.target] = jnp.where(spikes > 0, evaluate(stmt.value, env), old)
        state.update({n: jnp.broadcast_to(env[n], state[n].shape) for n in names})
        return state

    def increment_pre(self, state: dict[str, Array], pre: Array) -> dict[str, Array]:
        return self._increment(self.program.increment_pre, state, pre, self.program.pre_vars)

    def increment_post(self, state: dict[str, Array], post: Array) -> dict[str, Array]:
        return self._increment(self.program.increment_post, state, post, self.program.post_vars)

    def update(self, state, values: Any, pre: Array, post: Array, dt: float, key: Array) -> Any:
        prog = self.program
        w, syn = values if isinstance(values, tuple) else (values, None)
        env: dict[str, Any] = {**self.parameters, "dt": dt, "w": w}
        if prog.uses_clock:
            env["t"] = (state["_step"] - 1) * dt
        env.update(self._gather(state, pre, post))
        if syn is not None:
            env.update(syn)
        env = run(prog.clock_flow, env)
        shape = jnp.shape(w)
        new_w = jnp.broadcast_to(env["w"], shape).astype(w.dtype)
        if syn is None:
            return new_w
        return new_w, {k: jnp.broadcast_to(env[k], shape).astype(syn[k].dtype) for k in syn}


def Rule(  # noqa: N802 (reads like a class: it builds one)
    equations: str = "",
    on_pre: str = "",
    on_post: str = "",
    parameters: Mapping[str, Any] | None = None,
    initial: Mapping[str, float | str] | None = None,
    method: str | None = None,
    name: str = "DSLRule",
) -> DSLRule:
    """A plasticity rule from equations and spike-triggered statements, as in Brian2's
    ``Synapses`` or ANNarchy's ``Synapse``; it runs on every connectivity format and path
    and chains with built-in rules.

    Example (pair STDP, ANNarchy's form):
        >>> stdp = px.dsl.Rule(
        ...     equations='''
        ...         tau_plus  * dx/dt = -x : event-driven
        ...         tau_minus * dy/dt = -y : event-driven
        ...     ''',
        ...     on_pre="x += A_plus * w_max; w = clip(w - y, w_min, w_max)",
        ...     on_post="y += A_minus * w_max; w = clip(w + x, w_min, w_max)",
        ...     parameters=dict(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
        ...                     A_minus=0.01, w_min=0.0, w_max=2.0))

    Names: ``w`` (the weight), ``t`` and ``dt`` [ms], the parameters, the variables of
    ``equations``, and ``post.v`` (or ``v_post``) for a variable of the postsynaptic
    neuron (read after this step's update). ``pre.x``/``x_pre`` and ``post.y``/``y_post``
    also name the rule's own variables ``x`` and ``y``.

    Where each variable lives is inferred (or declared with a flag ``(pre)``, ``(post)``,
    ``(synapse)``): a variable changed only by ``on_pre`` from presynaptic quantities
    is one number per presynaptic neuron (a trace), likewise for ``on_post``; any other is
    one number per synapse. Statements run in order, as written, in the step order of
    ``docs/semantics.md``: ``on_pre`` reads the postsynaptic variables before this step's
    postsynaptic spikes, ``on_post`` reads the presynaptic ones after this step's arrivals.

    Equations: linear ones are integrated exactly (a trace decays by ``exp(-dt/tau)``);
    those flagged ``(event-driven)`` must be linear; others are integrated every step with
    ``method``. Per-synapse equations flagged ``(event-driven)`` are advanced only when
    the synapse has an event (Brian2's way; a monitor reads them as of their last event);
    other per-synapse equations are integrated at every step for every synapse
    (``update``).

    Args:
        equations: one per line: ``dx/dt = expr : unit (flags)`` (or
            ``tau * dx/dt = expr : flags``), ``x = expr`` (a subexpression), or
            ``x : unit (flags)`` (a variable changed only by statements; with the flag
            ``(constant)``: a parameter, which must then be given in ``parameters``).
            Flags: ``event-driven``, ``clock-driven``, ``pre``, ``post``, ``synapse``,
            ``init=value``. Units are documentation only.
        on_pre: statements run when a presynaptic spike arrives at the synapse.
        on_post: statements run when the postsynaptic neuron spikes.
        parameters: ``{name: value}``; each becomes an array field of the rule (so
            ``jax.grad``, ``Network.set_param`` and ``Ensemble`` reach it).
        initial: ``{variable: number or parameter expression}`` (default 0).
        method: for non-linear equations: ``"euler"``, ``"exponential_euler"`` or
            ``"rk2"``; None (default) requires them all to be linear.
        name: the name of the generated class.

    Raises:
        ValueError: (a ``plastix.dsl.DSLError``) for text that cannot be compiled: an
            unknown name, an undefined parameter, a syntax error, a non-linear
            event-driven equation, an assignment to a read-only name. The message shows
            the line, points at the symbol and says how to fix it.
    """
    owner = f"plastix.dsl.Rule {name!r}"
    check_name(owner, name)
    params = check_parameters(owner, parameters, DSLRule, RESERVED)
    method = check_method(owner, method)
    parts = compile_rule(owner, equations, on_pre, on_post, params, dict(initial or {}), method)
    source = (equations, on_pre, on_post, tuple(sorted(params)), method, parts.pop("_initial"))
    prog = RuleProgram(source=source, name=name, params=tuple(params), **parts)
    cls = generated_class(DSLRule, name, tuple(params), {})
    return cls(program=prog, **params)
