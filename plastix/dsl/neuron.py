"""Neuron models from equation text: ``plastix.dsl.Neuron``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array

from ..neurons._base import AbstractNeuron, refractory_steps
from ..surrogate import AbstractSurrogate
from ._codegen import evaluate
from ._expression import Sym
from ._integrate import Instruction, run
from ._model import check_method, check_name, check_parameters, generated_class
from ._neuron_compile import RESERVED, compile_neuron

_STATES: dict[tuple[str, ...], type] = {}


def _state_class(fields: tuple[str, ...]) -> type:
    cls = _STATES.get(fields)
    if cls is None:
        cls = NamedTuple("DSLNeuronState", [(f, Array) for f in fields])  # type: ignore[misc]
        _STATES[fields] = cls
    return cls


@dataclass(frozen=True, eq=False)
class NeuronProgram:
    """The compiled, static part of a DSL neuron (compared by its source text)."""

    source: tuple
    params: tuple[str, ...]
    variables: tuple[str, ...]
    integrate: tuple[Instruction, ...]
    clamped: tuple[str, ...]
    threshold: Sym | None
    reset: tuple[tuple[str, Sym], ...]
    refractory: Sym | None
    receptors: tuple[tuple[str, str], ...]
    initial: tuple[tuple[str, Sym], ...]
    uses_t: bool
    state_fields: tuple[str, ...]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NeuronProgram) and self.source == other.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        return f"NeuronProgram(variables={self.variables})"


class DSLNeuron(AbstractNeuron):
    """A neuron model compiled from equation text by :func:`Neuron` (see there)."""

    program: NeuronProgram = eqx.field(static=True)
    surrogate: AbstractSurrogate | None = eqx.field(static=True)

    @property
    def emits_float(self) -> bool:
        """True with a surrogate: spikes are floats 0.0/1.0 that carry gradients."""
        return self.surrogate is not None

    @property
    def parameters(self) -> dict[str, Array]:
        """The parameter values by name."""
        return {p: getattr(self, p) for p in self.program.params}

    def prepare(self, n: int, dt: float) -> None:
        if self.program.refractory is not None:
            t_ref = evaluate(self.program.refractory, self.parameters)
            if jnp.any(jnp.asarray(t_ref) < 0):
                raise ValueError(
                    f"{type(self).__name__}: the refractory period must be >= 0 [ms], got {t_ref}."
                )

    def init(self, n: int, dt: float) -> Any:
        env = self.parameters
        values: dict[str, Array] = {}
        initial = dict(self.program.initial)
        for name in self.program.variables:
            value = evaluate(initial[name], env) if name in initial else 0.0
            values[name] = jnp.broadcast_to(jnp.asarray(value, float), (n,)).astype(float)
        if self.program.refractory is not None:
            values["refractory"] = jnp.zeros(n, jnp.int32)
        if self.program.uses_t:
            values["step"] = jnp.zeros((), jnp.int32)
        return _state_class(self.program.state_fields)(**values)

    def step(self, state: Any, inputs: dict[str, Array], drive: Any, dt: float):
        prog = self.program
        env: dict[str, Any] = {**self.parameters, "dt": dt}
        if prog.uses_t:
            env["t"] = state.step * dt
        start = {v: getattr(state, v) for v in prog.variables}
        for receptor, var in prog.receptors:
            start[var] = start[var] + inputs[receptor]
        env.update(start)
        env = run(prog.integrate, env)
        out: dict[str, Any] = {}
        free = None
        if prog.refractory is not None:
            free = state.refractory <= 0
            for var in prog.clamped:
                env[var] = jnp.where(free, env[var], start[var])
        n = jnp.shape(start[prog.variables[0]]) if prog.variables else ()
        if prog.threshold is None:
            spikes = jnp.zeros(n, bool)
            fired = spikes
        elif self.surrogate is None:
            spikes = jnp.broadcast_to(evaluate(prog.threshold, env), n)
            if free is not None:
                spikes = spikes & free
            fired = spikes
        else:
            lhs, rhs = prog.threshold.args  # checked: v >= v_th or v > v_th
            spikes = self.surrogate(evaluate(lhs - rhs, env))
            if free is not None:
                spikes = jnp.where(free, spikes, 0.0)
            fired = spikes > 0
        for target, expr in prog.reset:
            env[target] = jnp.where(fired, evaluate(expr, env), env[target])
        for var in prog.variables:
            out[var] = jnp.broadcast_to(env[var], n).astype(float)
        if prog.refractory is not None:
            n_ref = refractory_steps(evaluate(prog.refractory, env), dt)
            out["refractory"] = jnp.where(fired, n_ref, jnp.maximum(state.refractory - 1, 0))
        if prog.uses_t:
            out["step"] = state.step + 1
        return _state_class(prog.state_fields)(**out), spikes


def Neuron(  # noqa: N802 (reads like a class: it builds one)
    equations: str,
    threshold: str | None = None,
    reset: str = "",
    refractory: float | str | None = None,
    parameters: Mapping[str, Any] | None = None,
    receptors: Mapping[str, str] | None = None,
    initial: Mapping[str, float | str] | None = None,
    method: str | None = None,
    surrogate: AbstractSurrogate | None = None,
    name: str = "DSLNeuron",
) -> DSLNeuron:
    """A neuron model from equations, as Brian2's ``NeuronGroup`` or ANNarchy's ``Neuron``.

    In each step of ``dt``: every receptor's summed input jumps its variable; the
    equations are integrated over the step (linear ones exactly; others with ``method``);
    a neuron that is not refractory spikes where ``threshold`` holds; the ``reset``
    statements run for the neurons that spiked, which then stay refractory for
    ``round(refractory/dt)`` steps, during which the variables flagged
    ``(unless refractory)`` are held.

    Example:
        >>> lif = px.dsl.Neuron(
        ...     equations='''
        ...         dv/dt = (v_rest - v)/tau_m + (I_exc + I_inh)/c_m : mV (unless refractory)
        ...         dI_exc/dt = -I_exc/tau_syn : pA
        ...         dI_inh/dt = -I_inh/tau_syn : pA
        ...     ''',
        ...     threshold="v >= v_th", reset="v = v_reset", refractory="t_ref",
        ...     receptors={"exc": "I_exc", "inh": "I_inh"}, initial={"v": "v_rest"},
        ...     parameters=dict(tau_m=10.0, c_m=250.0, v_rest=-70.0, v_th=-55.0,
        ...                     v_reset=-70.0, tau_syn=2.0, t_ref=2.0))

    Args:
        equations: one equation per line: ``dx/dt = expr : unit (flags)`` (or
            ``tau * dx/dt = expr``), ``x = expr`` (a subexpression) or ``x : unit``
            (a variable changed only by ``reset`` or an input). Flags:
            ``unless refractory``, ``init=value``. Units are documentation only.
        threshold: the spike condition, e.g. ``"v >= v_th"`` (None: never spikes).
        reset: statements run at a spike, e.g. ``"v = v_reset; w += b"``.
        refractory: the refractory period [ms]: a number or a parameter expression.
        parameters: ``{name: value}``; each becomes an array field of the model.
        receptors: ``{receptor: variable}``: a projection with ``receptor="exc"`` adds its
            summed weights to that variable at the start of each step.
        initial: ``{variable: number or parameter expression}`` (default 0).
        method: for the non-linear equations: ``"euler"``, ``"exponential_euler"`` or
            ``"rk2"``; None (default) requires every equation to be linear (exact).
        surrogate: a surrogate spike function (``plastix.surrogate``): the threshold must
            then read ``a >= b`` (or ``a > b``); spikes are ``surrogate(a − b)``.
        name: the name of the generated class (shown in errors and reprs).

    Raises:
        ValueError: (a ``plastix.dsl.DSLError``) for text that cannot be compiled; the
            message shows the line, points at the symbol and says how to fix it.
    """
    owner = f"plastix.dsl.Neuron {name!r}"
    check_name(owner, name)
    params = check_parameters(owner, parameters, DSLNeuron, RESERVED)
    method = check_method(owner, method)
    parts = compile_neuron(
        owner, equations, threshold, reset, refractory, params, dict(receptors or {}),
        dict(initial or {}), method, surrogate,
    )  # fmt: skip
    source = (
        equations,
        threshold,
        reset,
        str(refractory),
        tuple(sorted(params)),
        parts["receptors"],
        tuple((k, str(v)) for k, v in parts["initial"]),
        method,
    )
    prog = NeuronProgram(source=source, params=tuple(params), **parts)
    receptor_names = tuple(r for r, _ in parts["receptors"])
    cls = generated_class(DSLNeuron, name, tuple(params), {"receptors": receptor_names})
    return cls(program=prog, surrogate=surrogate, **params)
