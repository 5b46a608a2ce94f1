"""From neuron text to the parts of a ``NeuronProgram``: names, integration, reset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from ..surrogate import AbstractSurrogate
from ._errors import Ref, fail
from ._expression import Expression, Sym, is_condition, names_in, parse_expression, with_constants
from ._integrate import NotIntegrable, step_program
from ._model import (
    check_unused,
    initial_values,
    parameter_expression,
    substitute_subexpressions,
    unknown_name,
)
from ._parse import Equation, parse_equations, parse_statements

RESERVED = ("t", "dt", "refractory", "step")


def compile_neuron(
    owner: str,
    equations: str,
    threshold: str | None,
    reset: str,
    refractory: float | str | None,
    params: Mapping[str, Any],
    receptors: Mapping[str, str],
    initial: Mapping[str, Any],
    method: str,
    surrogate: AbstractSurrogate | None,
) -> dict[str, Any]:
    """The fields of a ``NeuronProgram`` (but ``source`` and ``params``)."""
    eqs = parse_equations(owner, equations)
    variables: dict[str, Equation] = {}
    constants: dict[str, Equation] = {}
    subexpressions: set[str] = set()
    for eq in eqs:
        if eq.kind == "declaration" and "constant" in eq.flags:
            if eq.var not in params:
                raise fail(
                    owner,
                    f"undefined parameter {eq.var!r}",
                    eq.var_ref,
                    f"give it a value: parameters={{{eq.var!r}: ...}}.",
                )
            constants[eq.var] = eq
            continue
        if eq.var in variables or eq.var in subexpressions or eq.var in params:
            what = "a parameter" if eq.var in params else "defined earlier"
            raise fail(
                owner,
                f"{eq.var!r} is defined twice ({what})",
                eq.var_ref,
                f"define {eq.var!r} once, or rename one of them.",
            )
        if eq.var in RESERVED or eq.var.startswith("_"):
            raise fail(
                owner,
                f"the name {eq.var!r} is reserved",
                eq.var_ref,
                f"rename it; reserved: {list(RESERVED)} and names starting with '_'.",
            )
        bad = eq.flags - {"unless refractory", "clock-driven"}
        if bad:
            raise fail(
                owner,
                f"the flag {sorted(bad)[0]!r} applies to rule variables only",
                eq.ref,
                "remove it (a neuron's equations are integrated every step).",
            )
        if eq.kind == "subexpression":
            subexpressions.add(eq.var)
        else:
            variables[eq.var] = eq
    if not variables:
        raise ValueError(
            f"{owner}: equations must define at least one variable (e.g. "
            f"'dv/dt = (v_rest - v)/tau : mV'), got {equations!r}."
        )
    known = set(variables) | set(params) | subexpressions | {"t", "dt"}
    what = "a parameter, a variable of the neuron, nor t or dt"

    def resolve(parsed: Expression) -> Sym:
        parsed = with_constants(parsed, known)
        for raw, ref in parsed.names.items():
            if raw not in known:
                if raw.startswith(("pre.", "post.")):
                    raise fail(
                        owner,
                        f"{raw!r}: a neuron has no pre/post side",
                        ref,
                        f"write the neuron's own variable ({raw.split('.', 1)[1]!r}).",
                    )
                raise unknown_name(owner, raw, ref, sorted(known), what)
        return parsed.expr

    for eq in eqs:
        if eq.rhs is not None:
            resolve(eq.rhs)
    subs = substitute_subexpressions(
        owner,
        {eq.var: (resolve(eq.rhs), eq) for eq in eqs if eq.kind == "subexpression" and eq.rhs},
    )

    def final(parsed: Expression) -> Sym:
        return resolve(parsed).xreplace(subs)

    odes = {v: final(eq.rhs) for v, eq in variables.items() if eq.kind == "ode" and eq.rhs}
    try:
        program, _ = step_program(odes, method)
    except NotIntegrable as err:
        eq = variables[err.var]
        if method == "exact":
            fix = (
                "pass method='euler', 'exponential_euler' or 'rk2' to integrate the "
                "non-linear equations numerically."
            )
        else:
            fix = "use method='euler' or 'rk2' for this equation."
        raise fail(owner, f"the equation of {err.var!r} is {err.reason}", eq.var_ref, fix) from None
    clamped = tuple(v for v, eq in variables.items() if "unless refractory" in eq.flags)
    threshold_expr = None
    if threshold is not None:
        parsed = parse_expression(owner, "threshold", threshold)
        threshold_expr = final(parsed)
        if not is_condition(threshold_expr):
            raise fail(
                owner,
                "the threshold is not a condition",
                Ref("threshold", 1, threshold),
                "write a comparison, e.g. threshold='v >= v_th'.",
            )
        if surrogate is not None and not isinstance(threshold_expr, sp.Ge | sp.Gt):
            raise fail(
                owner,
                "with a surrogate, the threshold must read 'a >= b'",
                Ref("threshold", 1, threshold),
                "write e.g. threshold='v >= v_th'.",
            )
    if surrogate is not None and not isinstance(surrogate, AbstractSurrogate):
        raise ValueError(
            f"{owner}: surrogate must be a plastix.surrogate spike function or None, got "
            f"{surrogate!r}."
        )
    resets = []
    for stmt in parse_statements(owner, reset, "reset"):
        if stmt.target not in variables:
            readonly = stmt.target in known or stmt.target in constants
            problem = (
                f"{stmt.target!r} is read-only" if readonly else f"unknown name {stmt.target!r}"
            )
            raise fail(
                owner,
                problem,
                stmt.target_ref,
                f"reset may assign the neuron's variables: {sorted(variables)}.",
            )
        resets.append((stmt.target, stmt.value(final(stmt.rhs))))
    refractory_expr = None
    if isinstance(refractory, str):
        parsed = parse_expression(owner, "refractory", refractory)
        refractory_expr = parameter_expression(owner, parsed, params)
    elif refractory is not None:
        try:
            refractory_expr = sp.Float(float(refractory))
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: refractory must be a number [ms], a parameter expression or None, "
                f"got {refractory!r}."
            ) from None
    if clamped and refractory_expr is None:
        raise fail(
            owner,
            f"{clamped[0]!r} is flagged (unless refractory) but there is no refractory period",
            variables[clamped[0]].ref,
            "pass refractory=... [ms] or remove the flag.",
        )
    receptor_map = []
    for receptor, var in receptors.items():
        if var not in variables:
            raise ValueError(
                f"{owner}: receptors[{receptor!r}] must name a variable of the neuron "
                f"({sorted(variables)}), got {var!r}."
            )
        receptor_map.append((str(receptor), var))
    declared = {var: eq.init for var, eq in variables.items()}
    initials = initial_values(owner, declared, initial, params, "neuron")
    exprs = [*odes.values(), *(e for _, e in resets), *initials.values()]
    exprs += [e for e in (threshold_expr, refractory_expr) if e is not None]
    used = set().union(*(names_in(e) for e in exprs))
    check_unused(owner, params, used)
    uses_t = "t" in used
    fields = tuple(variables)
    fields += ("refractory",) * (refractory_expr is not None) + ("step",) * uses_t
    return dict(
        variables=tuple(variables),
        integrate=tuple(program),
        clamped=clamped,
        threshold=threshold_expr,
        reset=tuple(resets),
        refractory=refractory_expr,
        receptors=tuple(receptor_map),
        initial=tuple(initials.items()),
        uses_t=uses_t,
        state_fields=fields,
    )
