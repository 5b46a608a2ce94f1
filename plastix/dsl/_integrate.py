"""Integration of a group of ODEs over one step, as a straight-line program.

The equations of a group (the traces of one side of a rule, the variables of a neuron)
are split in two:

* the **closed linear set**: the largest set of variables whose equations are linear in
  them, with coefficients and constant terms that hold still over the step (parameters,
  values held over the step), and that read no other variable of the group. These are
  integrated *exactly*. When their coupling is triangular (the usual case: a membrane
  driven by synaptic currents), the solution is written in closed form as sums of
  exponentials — ``x·exp(-dt/tau)`` for a trace, the exact propagator of a current-based
  LIF. Otherwise (a cycle, or two equal rates) the step is the matrix exponential of the
  augmented system, computed by ``jax.scipy.linalg.expm``.
* the rest, integrated by a named method: ``"euler"`` (forward Euler),
  ``"exponential_euler"`` (each equation ``dx/dt = a·x + b`` with ``a``, ``b`` taken at
  the start of the step: ``x ← -b/a + (x + b/a)·exp(a·dt)``, as Brian2) or ``"rk2"`` (the
  midpoint method). They read the exact variables at the start of the step (and, for
  ``rk2``, at mid-step from the exact solution).

A program is a tuple of instructions run in order on a dict of values; all new values are
written under ``name@new`` and copied back at the end, so every equation reads the
values at the start of the step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import sympy as sp
from jax.scipy.linalg import expm

from ._codegen import evaluate, evaluate_many
from ._expression import Sym

DT = sp.Symbol("dt")
T = sp.Symbol("t")
METHODS = ("exact", "euler", "exponential_euler", "rk2")


@dataclass(frozen=True)
class Assign:
    """``name ← expr``."""

    name: str
    expr: Sym


@dataclass(frozen=True)
class MatrixExp:
    """``x ← expm(M·h)·[x; 1]`` for ``dx/dt = A·x + b``, with ``M = [[A, b], [0, 0]]``."""

    names: tuple[str, ...]
    matrix: tuple[tuple[Sym, ...], ...]  # A
    constant: tuple[Sym, ...]  # b
    h: Sym
    suffix: str


Instruction = Assign | MatrixExp


def run(program: Sequence[Instruction], env: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``program`` on a copy of ``env`` and return it."""
    env = dict(env)
    for instr in program:
        if isinstance(instr, Assign):
            env[instr.name] = evaluate(instr.expr, env)
        else:
            _matrix_exp(instr, env)
    return env


def _matrix_exp(instr: MatrixExp, env: dict[str, Any]) -> None:
    m = len(instr.names)
    flat = [e for row in instr.matrix for e in row] + list(instr.constant) + [instr.h]
    values = evaluate_many(flat, env)
    states = [jnp.asarray(env[n], float) for n in instr.names]
    shape = jnp.broadcast_shapes(*(jnp.shape(v) for v in values), *(s.shape for s in states))
    h = jnp.broadcast_to(values[-1], shape)
    rows = []
    for i in range(m):
        row = [jnp.broadcast_to(values[i * m + j], shape) for j in range(m)]
        row.append(jnp.broadcast_to(values[m * m + i], shape))
        rows.append(jnp.stack(row, -1))
    rows.append(jnp.zeros((*shape, m + 1)))
    matrix = jnp.stack(rows, -2) * h[..., None, None]
    z = jnp.stack([jnp.broadcast_to(s, shape) for s in states] + [jnp.ones(shape)], -1)
    out = jnp.einsum("...ij,...j->...i", expm(matrix), z)
    for i, name in enumerate(instr.names):
        env[name + instr.suffix] = out[..., i]


def _symbols(names: Sequence[str]) -> dict[str, sp.Symbol]:
    return {n: sp.Symbol(n) for n in names}


def is_affine(rhs: Sym, linear: Sequence[str], moving: set[str]) -> bool:
    """Whether ``rhs`` is ``Σ a_j·x_j + b`` over the variables ``linear`` with ``a_j``,
    ``b`` free of every variable in ``moving`` (the group's variables) and of ``t``."""
    moving_symbols = {sp.Symbol(n) for n in moving} | {T}
    for name in linear:
        coefficient = sp.diff(rhs, sp.Symbol(name))
        if coefficient.free_symbols & moving_symbols or coefficient.has(sp.Derivative):
            return False
    constant = rhs.xreplace({sp.Symbol(n): sp.Integer(0) for n in linear})
    return not (constant.free_symbols & moving_symbols)


def closed_linear_set(odes: Mapping[str, Sym]) -> set[str]:
    """The largest set of the group's variables that can be integrated exactly."""
    linear, moving = set(odes), set(odes)
    changed = True
    while changed:
        changed = False
        for name in sorted(linear):
            if not is_affine(odes[name], sorted(linear), moving):
                linear.discard(name)
                changed = True
    return linear


def _same(a: Sym, b: Sym) -> bool:
    return sp.cancel(a - b) == 0


def _add_term(terms: dict[Sym, Sym], rate: Sym, coefficient: sp.Basic) -> None:
    if coefficient == 0:
        return
    for key in terms:
        if _same(key, rate):
            terms[key] = terms[key] + coefficient
            return
    terms[rate] = coefficient


def exact_program(odes: Mapping[str, Sym], h: Sym, suffix: str) -> list[Instruction]:
    """Exact solution of the linear ``odes`` after a time ``h``, written to ``name+suffix``."""
    names = sorted(odes)
    x = _symbols(names)
    zero = {s: sp.Integer(0) for s in x.values()}
    a = {i: {j: sp.diff(odes[i], x[j]) for j in names} for i in names}
    b = {i: odes[i].xreplace(zero) for i in names}
    order = _topological(names, {i: [j for j in names if j != i and a[i][j] != 0] for i in names})
    solution = None if order is None else _triangular(order, a, b, x)
    if solution is None:
        matrix = tuple(tuple(a[i][j] for j in names) for i in names)
        return [MatrixExp(tuple(names), matrix, tuple(b[i] for i in names), h, suffix)]
    out: list[Instruction] = []

    def decay(rate: sp.Basic) -> Sym:
        return sp.exp(rate * h) if rate != 0 else sp.Integer(1)

    for name in names:
        _, slope, own, driven = solution[name]
        # x(h) = x0·e^{a·h} + Σ k·(e^{r·h} − e^{a·h}) + slope·h: the form of a hand-written
        # propagator (each k multiplies a difference that vanishes as h → 0).
        value = x[name] * decay(own)
        for rate, k in driven.items():
            value = value + sp.expand(k) * (decay(rate) - decay(own))
        out.append(Assign(name + suffix, value + slope * h))
    return out


def _topological(names: list[str], deps: dict[str, list[str]]) -> list[str] | None:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str) -> bool:
        if state.get(n) == 1:
            return False  # a cycle
        if state.get(n) == 2:
            return True
        state[n] = 1
        if not all(visit(d) for d in deps[n]):
            return False
        state[n] = 2
        order.append(n)
        return True

    return order if all(visit(n) for n in names) else None


def _triangular(order, a, b, x):
    """Closed-form solution ``x_i(s) = Σ c·exp(r·s) + slope·s`` in dependency order, or
    None when it needs the matrix exponential (equal rates, or a ramp that drives another
    variable)."""
    solution: dict[str, tuple[dict, Sym, Sym, dict]] = {}
    for name in order:
        forcing: dict[Sym, Sym] = {}
        _add_term(forcing, sp.Integer(0), b[name])
        for other, (terms, slope, _, _) in solution.items():
            coupling = a[name][other]
            if coupling == 0:
                continue
            if slope != 0:
                return None
            for rate, c in terms.items():
                _add_term(forcing, rate, coupling * c)
        rate_self: Sym = sp.cancel(a[name][name])
        terms: dict[Sym, Sym] = {}
        driven: dict[Sym, Sym] = {}  # rate -> k of the term k·(e^{r·s} − e^{a·s})
        slope = sp.Integer(0)
        _add_term(terms, rate_self, x[name])
        for rate, c in forcing.items():
            if _same(rate, rate_self):
                if rate_self != 0:
                    return None
                slope = slope + c  # dx/ds = c: a ramp
                continue
            k = c / sp.together(rate - rate_self)
            _add_term(terms, rate, k)
            _add_term(terms, rate_self, -k)
            _add_term(driven, rate, k)
        solution[name] = (terms, slope, rate_self, driven)
    return solution


class NotIntegrable(Exception):
    """Raised with the variable whose equation the chosen method cannot integrate."""

    def __init__(self, var: str, reason: str):
        super().__init__(var, reason)
        self.var, self.reason = var, reason


def _why(name: str, odes: Mapping[str, Sym], linear: set[str]) -> str:
    """Why the equation of ``name`` has no exact solution, in words."""
    rhs = odes[name]
    xs = {sp.Symbol(n) for n in odes}
    affine = all(
        not (sp.diff(rhs, x).free_symbols & xs) and not sp.diff(rhs, x).has(sp.Derivative)
        for x in xs
    )
    if affine and rhs.has(T):
        return "not linear with constant coefficients (it reads the time t)"
    others = sorted(n for n in set(odes) - linear - {name} if rhs.has(sp.Symbol(n)))
    if affine and others:
        return f"coupled to the non-linear equation of {others[0]!r}"
    return "not linear"


def step_program(
    odes: Mapping[str, Sym], method: str, exact_only: set[str] | None = None
) -> tuple[list[Instruction], set[str]]:
    """The program advancing ``odes`` by ``dt``, and the set integrated exactly.

    Raises:
        NotIntegrable: a variable of ``exact_only`` (or any, with ``method="exact"``) is
            not in the closed linear set, or ``exponential_euler`` meets an equation that
            is not linear in its own variable.
    """
    if not odes:
        return [], set()
    linear = closed_linear_set(odes)
    rest = sorted(set(odes) - linear)
    for name in sorted(exact_only or ()):
        if name not in linear:
            raise NotIntegrable(name, _why(name, odes, linear))
    if rest and method == "exact":
        raise NotIntegrable(rest[0], _why(rest[0], odes, linear))
    program: list[Instruction] = exact_program({n: odes[n] for n in linear}, DT, "@new")
    f = {n: odes[n] for n in rest}
    if method == "euler":
        program += [Assign(n + "@new", sp.Symbol(n) + DT * f[n]) for n in rest]
    elif method == "exponential_euler":
        for n in rest:
            xn = sp.Symbol(n)
            slope = sp.diff(f[n], xn)
            if slope.has(xn) or slope.has(sp.Derivative):
                raise NotIntegrable(n, "not linear in itself")
            if slope == 0:
                program.append(Assign(n + "@new", xn + DT * f[n]))
                continue
            target = sp.cancel(-f[n].xreplace({xn: sp.Integer(0)}) / slope)
            program.append(Assign(n + "@new", target + (xn - target) * sp.exp(slope * DT)))
    elif method == "rk2" and rest:
        program += [Assign(n + "@k", f[n]) for n in rest]
        program += [Assign(n + "@mid", sp.Symbol(n) + DT / 2 * sp.Symbol(n + "@k")) for n in rest]
        program += exact_program({n: odes[n] for n in linear}, DT / 2, "@mid")
        mid: dict[Sym, Sym] = {sp.Symbol(n): sp.Symbol(n + "@mid") for n in odes}
        mid[T] = T + DT / 2
        program += [Assign(n + "@new", sp.Symbol(n) + DT * f[n].xreplace(mid)) for n in rest]
    program += [Assign(n, sp.Symbol(n + "@new")) for n in sorted(odes)]
    return program, linear
