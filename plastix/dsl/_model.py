"""What DSL rules and neurons share: parameters, generated classes, name checks.

Each DSL model is an instance of a small class generated for its parameter names, with
one array field per parameter, so a DSL parameter is an ordinary PyTree leaf: ``jax.grad``,
``jax.vmap``, ``eqx.tree_at``, ``Network.set_param`` and ``Ensemble(params=...)`` reach it
exactly as they reach ``PairSTDP.a_plus``. Classes are cached by their parameter names,
so building the same model twice gives the same class (and reuses compiled code).
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping
from typing import Any

import sympy as sp
from jaxtyping import Array

from .._checks import as_param
from ._errors import Ref, did_you_mean, fail
from ._expression import FUNCTIONS, Expression, Sym, parse_expression, with_constants
from ._integrate import METHODS
from ._parse import Equation

_CLASSES: dict[tuple, type] = {}


def generated_class(base: type, name: str, params: tuple[str, ...], extra: Mapping) -> type:
    """The subclass of ``base`` named ``name`` with one array field per parameter."""
    key = (base, name, params, tuple(sorted(extra.items())))
    cls = _CLASSES.get(key)
    if cls is None:
        namespace = {
            "__annotations__": {p: Array for p in params},
            "__module__": base.__module__,
            "__qualname__": name,
            **extra,
        }
        cls = type(name, (base,), namespace)
        _CLASSES[key] = cls
    return cls


def check_name(owner: str, name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{owner}: name must be a Python identifier, got {name!r}.")


def check_parameters(owner: str, parameters: Any, base: type, reserved: Iterable[str]) -> dict:
    """The parameters as float arrays, after checking names and values."""
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise ValueError(
            f"{owner}: parameters must be a dict of name -> number, got "
            f"{type(parameters).__name__}."
        )
    reserved = set(reserved)
    out = {}
    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(
                f"{owner}: parameters: every name must be an identifier, got {name!r}."
            )
        if name in reserved or name in FUNCTIONS or name.startswith("_") or hasattr(base, name):
            raise ValueError(
                f"{owner}: parameters: the name {name!r} is taken (a built-in name, a function "
                "or a method of the model); rename the parameter."
            )
        try:
            out[name] = as_param(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: parameters[{name!r}] must be a number (or an array of numbers), "
                f"got {value!r}."
            ) from None
    return out


def check_method(owner: str, method: str | None) -> str:
    method = "exact" if method in (None, "linear") else method
    if method not in METHODS:
        raise ValueError(
            f"{owner}: method must be one of {list(METHODS)} (None: exact), got {method!r}."
        )
    return method


def unknown_name(owner: str, name: str, ref: Ref, known: list[str], what: str) -> Exception:
    return fail(
        owner,
        f"unknown name {name!r}",
        ref,
        f"{name!r} is not {what}. Add it to parameters={{{name!r}: ...}} or declare it in "
        f"equations (e.g. '{name} : 1'){did_you_mean(name, known)}.",
    )


def check_unused(owner: str, params: Mapping[str, Any], used: set[str]) -> None:
    unused = sorted(set(params) - used)
    if unused:
        raise ValueError(
            f"{owner}: parameter {unused[0]!r} is not used by any equation or statement "
            f"(unused: {unused}); remove it or check its spelling against the names in the "
            f"text (used: {sorted(used & set(params)) or 'none'})."
        )


def substitute_subexpressions(
    owner: str, subexpressions: Mapping[str, tuple[Sym, Equation]]
) -> dict[sp.Symbol, Sym]:
    """``{symbol: expression}`` of the subexpressions (``name -> (expression with its names
    resolved, its equation)``), each with the others substituted into it."""
    resolved: dict[str, Sym] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> Sym:
        if name in resolved:
            return resolved[name]
        expr, eq = subexpressions[name]
        if name in chain:
            raise fail(
                owner,
                f"the subexpressions {' -> '.join((*chain, name))} refer to each other",
                eq.ref,
                "break the cycle: a subexpression may not use itself, directly or not.",
            )
        inner = {
            sp.Symbol(n): resolve(n, (*chain, name))
            for n in subexpressions
            if expr.has(sp.Symbol(n))
        }
        resolved[name] = expr.xreplace(inner)
        return resolved[name]

    return {sp.Symbol(n): resolve(n, ()) for n in subexpressions}


def parameter_expression(owner: str, parsed: Expression, params: Mapping[str, Any]) -> Sym:
    """An expression of parameters only (an initial value, a refractory period)."""
    parsed = with_constants(parsed, set(params))
    for symbol, ref in parsed.names.items():
        if symbol not in params:
            raise unknown_name(owner, symbol, ref, sorted(params), "a parameter")
    return parsed.expr


def initial_value(owner: str, name: str, value: Any, params: Mapping[str, Any]) -> Sym:
    """An initial value: a number, or an expression text of parameters."""
    if isinstance(value, str):
        parsed = parse_expression(owner, f"initial[{name!r}]", value)
        return parameter_expression(owner, parsed, params)
    try:
        return sp.Float(float(value))
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: initial[{name!r}] must be a number or an expression of parameters "
            f"(a string), got {value!r}."
        ) from None


def initial_values(
    owner: str,
    declared: Mapping[str, Expression | None],
    initial: Mapping[str, Any],
    params: Mapping[str, Any],
    what: str,
    note: str = "",
) -> dict[str, Sym]:
    """The initial values of the variables of a ``what`` ("neuron", "rule"): those given
    with their equations (``declared``: variable → parsed expression, or None), then the
    user's ``initial`` overrides; ``note`` ends the error for a name that is not a
    variable."""
    initials = {
        v: parameter_expression(owner, e, params) for v, e in declared.items() if e is not None
    }
    for v, value in initial.items():
        if v not in declared:
            raise ValueError(
                f"{owner}: initial names {v!r}, which is not a variable of the {what} "
                f"({sorted(declared)}){note}."
            )
        initials[v] = initial_value(owner, v, value, params)
    return initials
