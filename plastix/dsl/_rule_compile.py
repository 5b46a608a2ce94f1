"""From rule text to the parts of a ``RuleProgram``: names, where variables live, programs.

Where a variable lives is inferred by a fixed point over a small lattice
(unknown < pre, post < synapse): an equation's variable lives at least where everything
its right side reads lives; a variable assigned in ``on_pre`` lives at least on the pre
side (``on_post``: the post side); the weight and anything reading it live per synapse.
A flag ``(pre)``, ``(post)`` or ``(synapse)`` fixes the answer, and a contradiction is an
error that points at the statement or equation that causes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from ._errors import Ref, fail
from ._expression import Expression, Sym, names_in, with_constants
from ._integrate import NotIntegrable, step_program
from ._model import (
    check_unused,
    initial_values,
    substitute_subexpressions,
    unknown_name,
)
from ._parse import Equation, Statement, parse_equations, parse_statements

PRE, POST, SYN = "pre", "post", "synapse"


@dataclass(frozen=True)
class BlockStatement:
    """One statement of ``on_pre``/``on_post``: ``target ← value`` (``increment``: the
    right side of a ``+=``/``-=``, used with float spikes)."""

    target: str
    op: str
    value: Sym
    increment: Sym


_SIDE_WORDS = {PRE: "presynaptic", POST: "postsynaptic", SYN: "per-synapse"}
RESERVED = ("w", "t", "dt")


def _join(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None or a == b:
        return a
    return SYN


def compile_rule(
    owner: str,
    equations: str,
    on_pre: str,
    on_post: str,
    params: Mapping[str, Any],
    initial: Mapping[str, Any],
    method: str,
) -> dict[str, Any]:
    """The fields of a ``RuleProgram`` (and ``"_initial"``, a hashable summary)."""
    eqs = parse_equations(owner, equations)
    odes: dict[str, Equation] = {}
    declared: dict[str, Equation] = {}
    subexpr: dict[str, Equation] = {}
    for eq in eqs:
        if eq.kind == "declaration" and "constant" in eq.flags:
            if eq.var not in params:
                raise fail(
                    owner,
                    f"undefined parameter {eq.var!r}",
                    eq.var_ref,
                    f"give it a value: parameters={{{eq.var!r}: ...}}.",
                )
            continue
        taken = eq.var in odes or eq.var in declared or eq.var in subexpr or eq.var in params
        if taken or (eq.var in ("t", "dt")):
            what = "defined earlier"
            if eq.var in params or eq.var in ("t", "dt"):
                what = "a parameter" if eq.var in params else "a built-in name"
            raise fail(
                owner,
                f"{eq.var!r} is defined twice ({what})",
                eq.var_ref,
                f"define {eq.var!r} once, or rename one of them.",
            )
        if eq.var.startswith("_"):
            raise fail(
                owner,
                f"the name {eq.var!r} is reserved",
                eq.var_ref,
                "rename it: names starting with '_' are reserved.",
            )
        if "unless refractory" in eq.flags:
            raise fail(
                owner, "the flag 'unless refractory' applies to neurons", eq.ref, "remove it."
            )
        {"ode": odes, "declaration": declared, "subexpression": subexpr}[eq.kind][eq.var] = eq
    variables = (set(odes) | set(declared)) - {"w"}
    known = set(params) | variables | set(subexpr) | {"w", "t", "dt"}
    what = "a parameter, a variable of the rule, w, t nor dt"
    observed: dict[str, str] = {}

    def canonical(raw: str, ref: Ref) -> str:
        if raw in known:
            return raw
        side, base = None, raw
        if raw.startswith(("pre.", "post.")):
            side, base = raw.split(".", 1)
        elif raw.endswith(("_pre", "_post")) and len(raw) > 5:
            base, side = raw.rsplit("_", 1)
        if side is None:
            raise unknown_name(owner, raw, ref, sorted(known), what)
        if base in variables or base == "w":
            return base
        if side == "pre":
            raise fail(
                owner,
                f"{raw!r}: presynaptic neuron variables are not available to a rule",
                ref,
                f"keep a presynaptic trace in the rule instead (e.g. 'd{base}/dt = "
                f"-{base}/tau : 1 (event-driven)' with '{base} += 1' in on_pre)"
                + ("." if "." in raw else f", or add {raw!r} to parameters if it is one."),
            )
        observed.setdefault(base, raw)
        return f"post.{base}"

    def resolve(parsed: Expression) -> Sym:
        parsed = with_constants(parsed, known)
        mapping = {}
        for raw, ref in parsed.names.items():
            name = canonical(raw, ref)
            if name != raw:
                mapping[sp.Symbol(raw)] = sp.Symbol(name)
        return parsed.expr.xreplace(mapping)

    subs = substitute_subexpressions(
        owner, {v: (resolve(eq.rhs), eq) for v, eq in subexpr.items() if eq.rhs is not None}
    )

    def final(parsed: Expression) -> Sym:
        return resolve(parsed).xreplace(subs)

    rhs = {v: final(eq.rhs) for v, eq in odes.items() if eq.rhs is not None}

    # -- statements: targets must be writable ------------------------------------------
    blocks: dict[str, list[tuple[Statement, str, Sym]]] = {PRE: [], POST: []}
    for side, text, where in ((PRE, on_pre, "on_pre"), (POST, on_post, "on_post")):
        for stmt in parse_statements(owner, text, where):
            target = _target(owner, stmt, variables, params, subexpr, known)
            blocks[side].append((stmt, target, final(stmt.rhs)))

    # -- where each variable lives ------------------------------------------------------
    fixed: dict[str, str] = {}
    for v in variables:
        eq = odes.get(v) or declared[v]
        flags = [f for f in (PRE, POST, SYN) if f in eq.flags]
        if len(flags) > 1:
            raise fail(owner, f"{v!r} has two places: {flags}", eq.ref, "keep one flag.")
        if flags:
            fixed[v] = flags[0]
    constraints: list[tuple[str, str, str, Ref, str]] = []  # (var, kind, payload, ref, text)
    for v, expr in rhs.items():
        if v == "w":
            continue
        for name in sorted(names_in(expr)):
            constraints.append((v, "reads", name, odes[v].ref, f"its equation reads {name!r}"))
    for side, stmts in blocks.items():
        block = "on_pre" if side == PRE else "on_post"
        for stmt, target, value in stmts:
            if target == "w":
                continue
            constraints.append((target, "side", side, stmt.target_ref, f"{block} assigns it"))
            for name in sorted(names_in(value) - {target}):
                text = f"{block} assigns it from {name!r}"
                constraints.append((target, "reads", name, stmt.ref, text))
    sides: dict[str, str | None] = {v: fixed.get(v) for v in variables}

    def side_of(name: str) -> str | None:
        if name == "w":
            return SYN
        if name.startswith("post."):
            return POST
        return sides.get(name)

    changed = True
    while changed:
        changed = False
        for var, kind, payload, ref, text in constraints:
            contribution = payload if kind == "side" else side_of(payload)
            new = _join(sides[var], contribution)
            if var in fixed and new != fixed[var]:
                place = _SIDE_WORDS[fixed[var]]
                raise fail(
                    owner,
                    f"{var!r} is declared ({fixed[var]}), but {text}, which makes it "
                    f"{_SIDE_WORDS[new or SYN]}",
                    ref,
                    f"a {place} variable may change only at "
                    f"{'its own side' if fixed[var] == SYN else place} spikes and read only "
                    f"{place} variables and parameters; remove the flag ({var!r} then lives "
                    "where the text needs it) or change the statement.",
                )
            if new != sides[var]:
                sides[var], changed = new, True
    side_final = {v: (s or SYN) for v, s in sides.items()}
    pre_vars = tuple(v for v in sorted(variables) if side_final[v] == PRE)
    post_vars = tuple(v for v in sorted(variables) if side_final[v] == POST)
    syn_vars = tuple(v for v in sorted(variables) if side_final[v] == SYN)

    # -- equations: which program integrates each -------------------------------------
    def ode_program(names: list[str], exact: bool, only: set[str]) -> list:
        try:
            program, _ = step_program(
                {n: rhs[n] for n in names}, "exact" if exact else method, only
            )
        except NotIntegrable as err:
            eq = odes[err.var]
            if "event-driven" in eq.flags:
                raise fail(
                    owner,
                    f"the equation of {err.var!r} is marked (event-driven) but is {err.reason}",
                    eq.var_ref,
                    "event-driven variables are integrated exactly between events; remove "
                    "(event-driven) to integrate it at every step, with "
                    "method='euler', 'exponential_euler' or 'rk2' for a non-linear equation.",
                ) from None
            fix = (
                "pass method='euler', 'exponential_euler' or 'rk2' to integrate it numerically."
                if method == "exact"
                else "use method='euler' or 'rk2' for this equation."
            )
            raise fail(
                owner, f"the equation of {err.var!r} is {err.reason}", eq.var_ref, fix
            ) from None
        return program

    def event_driven(n: str) -> bool:
        return "event-driven" in odes[n].flags

    with_ode = [v for v in sorted(rhs) if v != "w"]
    groups = {side: [v for v in with_ode if side_final[v] == side] for side in (PRE, POST, SYN)}
    decay_pre = ode_program(groups[PRE], False, {v for v in groups[PRE] if event_driven(v)})
    decay_post = ode_program(groups[POST], False, {v for v in groups[POST] if event_driven(v)})
    lazy = [v for v in groups[SYN] if event_driven(v)]
    for v in lazy:
        for name in sorted(names_in(rhs[v])):
            if name not in params and name not in lazy:
                raise fail(
                    owner,
                    f"the per-synapse event-driven variable {v!r} reads {name!r}, which "
                    "changes between this synapse's events",
                    odes[v].ref,
                    "remove (event-driven) so that it is integrated at every step, or declare "
                    f"{v!r} (pre) or (post) if it belongs to one neuron.",
                )
    lazy_flow = ode_program(lazy, True, set(lazy))
    clock = [v for v in groups[SYN] if not event_driven(v)] + (["w"] if "w" in rhs else [])
    for v in clock:
        for name in sorted(names_in(rhs[v])):
            if name in lazy:
                raise fail(
                    owner,
                    f"{v!r} is integrated at every step but reads the event-driven {name!r}, "
                    "which is only up to date at this synapse's events",
                    odes[v].ref,
                    f"remove (event-driven) from the equation of {name!r}.",
                )
    clock_flow = ode_program(clock, False, set())

    # -- statements: the per-synapse part and the per-neuron increments ----------------
    def statements(side: str) -> tuple[tuple, tuple]:
        own = pre_vars if side == PRE else post_vars
        built = []
        for stmt, target, value in blocks[side]:
            increment = value if stmt.op in ("+=", "-=") else sp.Integer(0)
            built.append(BlockStatement(target, stmt.op, stmt.value(value, target), increment))
        neuron = tuple(b for b in built if b.target in own)
        # In the per-synapse pass, a neuron-side statement matters only if a later
        # statement reads its result (its own effect is applied by the increment).
        live: set[str] = set()
        kept = []
        for b in reversed(built):
            if b.target in own and b.target not in live:
                continue
            kept.append(b)
            live.discard(b.target)
            live |= names_in(b.value)
        return tuple(reversed(kept)), neuron

    synaptic_pre, increment_pre = statements(PRE)
    synaptic_post, increment_post = statements(POST)

    # -- initial values, parameters used, the clock -------------------------------------
    inits = {v: (odes.get(v) or declared[v]).init for v in variables}
    note = "; the weights' initial values are set by the Projection"
    initials = initial_values(owner, inits, initial, params, "rule", note)
    exprs = [*rhs.values(), *initials.values()]
    exprs += [value for stmts in blocks.values() for _, _, value in stmts]
    used = set().union(*(names_in(e) for e in exprs))
    check_unused(owner, params, used)
    in_statements = set().union(*(names_in(v) for stmts in blocks.values() for _, _, v in stmts))
    in_odes = set().union(*(names_in(e) for e in rhs.values()))
    uses_clock = bool({"t", "dt"} & in_statements) or "t" in in_odes or bool(lazy)
    return dict(
        pre_vars=pre_vars,
        post_vars=post_vars,
        syn_vars=syn_vars,
        observed=tuple(sorted(observed.items())),
        initial=tuple(sorted(initials.items(), key=lambda kv: kv[0])),
        decay_pre=tuple(decay_pre),
        decay_post=tuple(decay_post),
        lazy_vars=tuple(lazy),
        lazy_flow=tuple(lazy_flow),
        clock_vars=tuple(clock),
        clock_flow=tuple(clock_flow),
        on_pre=synaptic_pre,
        on_post=synaptic_post,
        increment_pre=increment_pre,
        increment_post=increment_post,
        uses_clock=uses_clock,
        _initial=tuple(sorted((k, str(v)) for k, v in initials.items())),
    )


def _target(owner, stmt: Statement, variables, params, subexpr, known) -> str:
    """The variable a statement assigns, or an error when it may not be assigned."""
    raw, ref = stmt.target, stmt.target_ref
    if raw == "w" or raw in variables:
        return raw
    base = raw
    if raw.startswith(("pre.", "post.")):
        base = raw.split(".", 1)[1]
    elif raw.endswith(("_pre", "_post")) and raw not in known:
        base = raw.rsplit("_", 1)[0]
    if base in variables:
        return base
    if raw in params or raw in ("t", "dt") or raw in subexpr:
        kind = (
            "a parameter" if raw in params else "a subexpression" if raw in subexpr else "the clock"
        )
        raise fail(
            owner,
            f"{raw!r} is read-only ({kind})",
            ref,
            "statements may assign w and the rule's variables; to change a parameter between "
            "runs use Network.set_param, and declare a variable for a value that changes.",
        )
    if base != raw:
        side = "presynaptic" if raw.startswith("pre.") or raw.endswith("_pre") else "postsynaptic"
        raise fail(
            owner,
            f"{raw!r} is read-only (a variable of the {side} neuron)",
            ref,
            "remove this statement: the projection delivers w to the postsynaptic neuron by "
            "itself (choose the input with Projection(..., receptor='exc' or 'inh')), and a "
            "rule cannot change a neuron's state.",
        )
    raise fail(
        owner,
        f"unknown name {raw!r} assigned",
        ref,
        f"declare it in equations (e.g. '{raw} : 1' for a variable changed only by "
        f"statements, or 'd{raw}/dt = ... : 1' for one that also evolves in time).",
    )
