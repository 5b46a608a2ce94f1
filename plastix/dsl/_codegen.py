"""sympy expressions → JAX operations, by walking the expression tree.

No source code is generated or executed: ``evaluate`` visits the sympy tree and calls the
matching ``jax.numpy`` function on the values in ``env`` (arrays, or tracers under
``jit``). A subexpression met twice is computed once. Products are written as
numerator / denominator (``-x/tau`` becomes ``-(x/tau)``, as a hand-written rule would
compute it), so DSL rules round like the built-in ones; in sums and products the scalar
operands (parameters) are combined first, so that each array is touched once per term.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import sympy as sp

from ._expression import Sym, clip

_UNARY: dict[type, Callable[[Any], Any]] = {
    sp.exp: jnp.exp,
    sp.log: jnp.log,
    sp.Abs: jnp.abs,
    sp.sign: jnp.sign,
    sp.sin: jnp.sin,
    sp.cos: jnp.cos,
    sp.tan: jnp.tan,
    sp.sinh: jnp.sinh,
    sp.cosh: jnp.cosh,
    sp.tanh: jnp.tanh,
    sp.asin: jnp.arcsin,
    sp.acos: jnp.arccos,
    sp.atan: jnp.arctan,
    sp.floor: jnp.floor,
    sp.ceiling: jnp.ceil,
    sp.Not: jnp.logical_not,
}
_RELATIONS: dict[type, Callable[[Any, Any], Any]] = {
    sp.StrictLessThan: jnp.less,
    sp.LessThan: jnp.less_equal,
    sp.StrictGreaterThan: jnp.greater,
    sp.GreaterThan: jnp.greater_equal,
    sp.Equality: jnp.equal,
    sp.Unequality: jnp.not_equal,
}


def evaluate(expr: Sym, env: Mapping[str, Any]) -> Any:
    """The value of ``expr`` with each symbol's value taken from ``env`` by name."""
    return evaluate_many([expr], env)[0]


def evaluate_many(exprs: Sequence[Sym], env: Mapping[str, Any]) -> list[Any]:
    """The values of several expressions, sharing their common subexpressions."""
    memo: dict[Sym, Any] = {}

    def ev(e: Sym) -> Any:
        if e in memo:
            return memo[e]
        value = _node(e, ev, env)
        memo[e] = value
        return value

    return [ev(e) for e in exprs]


def _node(e: Sym, ev: Callable[[Sym], Any], env: Mapping[str, Any]) -> Any:
    if e.is_Symbol:
        return env[e.name]  # type: ignore[attr-defined]
    if e is sp.true or e is sp.false:
        return bool(e)
    if e.is_Number or isinstance(e, sp.NumberSymbol):
        return float(e)  # a Python float: weakly typed, so it keeps the arrays' dtype
    if e.is_Add:
        return _add(e, ev)
    if e.is_Mul:
        return _mul(e, ev)
    if e.is_Pow:
        return _pow(e, ev)
    func = type(e)
    if func in _UNARY:
        return _UNARY[func](ev(e.args[0]))
    if func in _RELATIONS:
        return _RELATIONS[func](ev(e.args[0]), ev(e.args[1]))
    if isinstance(e, clip):
        return jnp.clip(ev(e.args[0]), ev(e.args[1]), ev(e.args[2]))
    if isinstance(e, sp.Min | sp.Max):
        op = jnp.minimum if isinstance(e, sp.Min) else jnp.maximum
        values = [ev(a) for a in e.args]
        out = values[0]
        for v in values[1:]:
            out = op(out, v)
        return out
    if isinstance(e, sp.Piecewise):
        out = None
        branches: list[tuple[Sym, Sym]] = list(e.args)  # type: ignore[arg-type]
        for value, cond in reversed(branches):
            if cond is sp.true:
                out = ev(value)
            else:
                # a Piecewise sympy built has a final "True" branch; guard anyway
                out = jnp.where(ev(cond), ev(value), jnp.nan if out is None else out)
        return out
    if isinstance(e, sp.And | sp.Or | sp.Xor):
        op = {sp.And: jnp.logical_and, sp.Or: jnp.logical_or, sp.Xor: jnp.logical_xor}[func]
        values = [ev(a) for a in e.args]
        out = values[0]
        for v in values[1:]:
            out = op(out, v)
        return out
    raise NotImplementedError(f"plastix.dsl: no JAX translation for {func.__name__} in {e}")


def _scalar(value: Any) -> bool:
    return jnp.ndim(value) == 0


def _add(e: sp.Add, ev: Callable[[Sym], Any]) -> Any:
    # Terms with a negative coefficient are subtracted (w + (-y) is written w - y), and
    # scalar terms (parameters) are combined before they meet an array, so that an array
    # is touched once per array term (XLA does not reassociate floating-point sums).
    terms = [(-a, -1) if a.could_extract_minus_sign() else (a, 1) for a in e.args]
    values = [(ev(a), sign) for a, sign in terms]
    values.sort(key=lambda vs: (not _scalar(vs[0]), vs[1] < 0))
    out, sign = values[0]
    out = out if sign > 0 else -out
    for v, sign in values[1:]:
        out = out + v if sign > 0 else out - v
    return out


def _mul(e: sp.Mul, ev: Callable[[Sym], Any]) -> Any:
    coeff: Sym
    coeff, rest = e.as_coeff_Mul()
    numerator: list[Any] = []
    denominator: list[Any] = []
    negate = False
    if coeff != 1:
        if coeff < 0:
            negate, coeff = True, -coeff
        if coeff.is_Rational and coeff.q != 1:  # x/3, not (1/3)*x
            if coeff.p != 1:
                numerator.append(float(coeff.p))
            denominator.append(float(coeff.q))
        elif coeff != 1:
            numerator.append(float(coeff))
    for factor in sp.Mul.make_args(rest):
        base, exponent = factor.as_base_exp()
        if exponent.is_Number and exponent < 0:
            denominator.append(ev(base) if exponent == -1 else ev(sp.Pow(base, -exponent)))
        else:
            numerator.append(ev(factor))
    # Scalars first: (a·b/c)·x touches the array x once, a·x·b/c three times.
    scalars = [v for v in numerator if _scalar(v)]
    arrays = [v for v in numerator if not _scalar(v)]
    scalar_den = [v for v in denominator if _scalar(v)]
    array_den = [v for v in denominator if not _scalar(v)]
    out = None
    if scalars:
        out = _product(scalars)
        if scalar_den and arrays:
            out = out / _product(scalar_den)
            scalar_den = []
    for v in arrays:
        out = v if out is None else out * v
    if out is None:
        out = 1.0
    if scalar_den or array_den:
        out = out / _product(scalar_den + array_den)
    return -out if negate else out


def _product(values: list[Any]) -> Any:
    out = values[0]
    for v in values[1:]:
        out = out * v
    return out


def _pow(e: sp.Pow, ev: Callable[[Sym], Any]) -> Any:
    base, exponent = e.args
    if exponent.is_Integer:
        n = int(exponent)
        if n < 0:
            return 1.0 / (ev(base) if n == -1 else ev(base) ** (-n))
        return ev(base) ** n
    if exponent == sp.Rational(1, 2):
        return jnp.sqrt(ev(base))
    if exponent == sp.Rational(-1, 2):
        return 1.0 / jnp.sqrt(ev(base))
    if base is sp.E:
        return jnp.exp(ev(exponent))
    return jnp.power(ev(base), ev(exponent))


def run_program(program: Sequence[tuple[str, Sym]], env: dict[str, Any]) -> dict[str, Any]:
    """Run assignments ``(name, expr)`` in order, each seeing the ones before; returns the
    updated copy of ``env``."""
    env = dict(env)
    for name, expr in program:
        env[name] = evaluate(expr, env)
    return env
