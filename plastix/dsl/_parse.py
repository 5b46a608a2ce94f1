"""Parsing equation and statement text into sympy, with errors that point at the text.

User text is read by Python's ``ast`` parser (which never runs it) and the syntax tree is
turned into sympy expressions by hand, so nothing the user writes is evaluated. Every
name keeps the place where it first occurs (``Ref``), so a later check can show the line
with a caret under the name.

Three kinds of text are read:

* equations, one per line: ``dx/dt = -x/tau : 1 (event-driven)`` (Brian2) or
  ``tau * dx/dt = -x : event-driven`` (ANNarchy), ``x = expr`` (a subexpression) or
  ``x : 1 (flags)`` (a declaration);
* statements, one or more per line: ``x += A*w_max``, ``w = clip(w - y, w_min, w_max)``;
* single expressions (a threshold ``v >= v_th``, an initial value).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import sympy as sp

from ._errors import Ref, did_you_mean, fail
from ._expression import Expression, Sym, ToSympy, parse_expression, syntax_error

KNOWN_FLAGS = (
    "event-driven",
    "clock-driven",
    "unless refractory",
    "pre",
    "post",
    "synapse",
    "constant",
)
_FLAG_ALIASES = {
    "event_driven": "event-driven",
    "clock_driven": "clock-driven",
    "unless_refractory": "unless refractory",
    "presynaptic": "pre",
    "postsynaptic": "post",
    "synaptic": "synapse",
    "shared": "constant",
    "projection": "constant",
    "population": "constant",
}


@dataclass
class Equation:
    """One line of ``equations``: a differential equation, subexpression or declaration."""

    kind: str  # "ode", "subexpression" or "declaration"
    var: str
    ref: Ref  # the whole line
    var_ref: Ref
    rhs: Expression | None = None
    flags: frozenset[str] = frozenset()
    init: Expression | None = None


@dataclass
class Statement:
    """``target op rhs`` with ``op`` one of ``=``, ``+=``, ``-=``, ``*=``, ``/=``."""

    target: str
    op: str
    rhs: Expression
    ref: Ref  # the whole statement
    target_ref: Ref

    def value(self, rhs: Sym, target: str | None = None) -> Sym:
        """The target's new value with the right side ``rhs`` (the names in it resolved);
        ``target`` renames the target variable."""
        x = sp.Symbol(target or self.target)
        if self.op == "+=":
            return x + rhs
        if self.op == "-=":
            return x - rhs
        if self.op == "*=":
            return x * rhs
        if self.op == "/=":
            return x / rhs
        return rhs


def _lines(text: str) -> list[tuple[int, str]]:
    """(line number, stripped line without comment) for the non-empty lines of ``text``."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append((number, line))
    return out


_DERIVATIVE = re.compile(r"\bd([A-Za-z_]\w*)\s*/\s*dt\b")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*$")


def _flags(owner: str, ref: Ref, spec: str) -> tuple[frozenset[str], str | None]:
    """Flags and ``init=`` from the part after ``:`` (``1 (event-driven)`` or
    ``event-driven, init=0.5``); the unit is documentation only and is dropped."""
    if "(" in spec:
        if not spec.rstrip().endswith(")"):
            raise fail(owner, "unclosed '(' in the flags", ref, "write ': unit (flag, flag)'.")
        items = spec[spec.index("(") + 1 : spec.rstrip().rindex(")")].split(",")
    else:
        items = spec.split(",")
        first = items[0].strip()
        if first and _norm_flag(first) not in KNOWN_FLAGS and "=" not in first:
            items = items[1:]  # the unit
    flags, init = set(), None
    for item in items:
        item = item.strip()
        if not item:
            continue
        if item.startswith("init") and "=" in item:
            init = item.split("=", 1)[1]
            continue
        flag = _norm_flag(item)
        if flag not in KNOWN_FLAGS:
            col = ref.text.find(item)
            raise fail(
                owner,
                f"unknown flag {item!r}",
                Ref(ref.where, ref.line, ref.text, max(col, 0), max(col, 0) + len(item)),
                f"use flags from {list(KNOWN_FLAGS)} or init=value"
                f"{did_you_mean(flag, list(KNOWN_FLAGS))}.",
            )
        flags.add(flag)
    return frozenset(flags), init


def _norm_flag(item: str) -> str:
    item = " ".join(item.strip().lower().split())
    return _FLAG_ALIASES.get(item, item)


def _split_colon(line: str) -> tuple[str, str]:
    """The line before the first ':' outside brackets, and the rest (or "")."""
    depth = 0
    for i, ch in enumerate(line):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == ":" and depth == 0:
            return line[:i], line[i + 1 :]
    return line, ""


def _equals(line: str) -> int:
    """Index of the assignment '=' (not part of ==, <=, >=, !=), or -1."""
    for i, ch in enumerate(line):
        if ch != "=":
            continue
        before = line[i - 1] if i else ""
        after = line[i + 1] if i + 1 < len(line) else ""
        if after != "=" and before not in "=<>!":
            return i
    return -1


def parse_equations(owner: str, text: str, where: str = "equations") -> list[Equation]:
    """Parse the lines of an ``equations`` text."""
    out: list[Equation] = []
    for number, line in _lines(text):
        ref = Ref(where, number, line)
        body, spec = _split_colon(line)
        flags, init_text = _flags(owner, ref, spec)
        init = None
        if init_text is not None:
            start = line.index(init_text, len(body))
            init = parse_expression(owner, where, init_text, number, line, start)
        eq = _equals(body)
        if eq < 0:  # a declaration "name : unit (flags)"
            name = body.strip()
            if not _IDENTIFIER.match(name):
                raise fail(
                    owner,
                    f"cannot read {body.strip()!r} as an equation",
                    ref,
                    "write 'dx/dt = expr : unit (flags)', 'x = expr' or 'x : unit (flags)'.",
                )
            col = line.index(name)
            var_ref = Ref(where, number, line, col, col + len(name))
            out.append(Equation("declaration", name, ref, var_ref, None, flags, init))
            continue
        lhs, rhs_text = body[:eq], body[eq + 1 :]
        rhs = parse_expression(owner, where, rhs_text, number, line, eq + 1)
        derivatives = list(_DERIVATIVE.finditer(lhs))
        if len(derivatives) > 1:
            raise fail(owner, "more than one derivative on the left", ref, "write one per line.")
        if not derivatives:
            name = lhs.strip()
            if not _IDENTIFIER.match(name):
                raise fail(
                    owner,
                    f"cannot read {lhs.strip()!r} as the left side of an equation",
                    Ref(where, number, line, 0, eq),
                    "write 'dx/dt = ...' (or 'tau * dx/dt = ...') for a differential "
                    "equation, or 'x = ...' for a subexpression.",
                )
            col = line.index(name)
            var_ref = Ref(where, number, line, col, col + len(name))
            out.append(Equation("subexpression", name, ref, var_ref, rhs, flags, init))
            continue
        match = derivatives[0]
        var = match.group(1)
        var_ref = Ref(where, number, line, match.start(), match.end())
        placeholder = "__derivative__"
        lhs_text = lhs[: match.start()] + placeholder + lhs[match.end() :]
        left = parse_expression(owner, where, lhs_text, number, line)
        d = sp.Symbol(placeholder)
        residual = left.expr - rhs.expr
        coefficient = sp.diff(residual, d)
        if coefficient.has(d) or coefficient == 0:
            raise fail(
                owner,
                f"the left side is not linear in d{var}/dt",
                var_ref,
                f"write 'd{var}/dt = ...' or 'tau * d{var}/dt = ...'.",
            )
        solved = -residual.subs(d, 0) / coefficient
        names = {k: v for k, v in left.names.items() if k != placeholder}
        for k, v in rhs.names.items():
            names.setdefault(k, v)
        out.append(Equation("ode", var, ref, var_ref, Expression(solved, names), flags, init))
    return out


def parse_statements(owner: str, text: str, where: str) -> list[Statement]:
    """Parse ``x = expr`` / ``x += expr`` statements, one or more per line (``;``)."""
    out: list[Statement] = []
    for number, line in _lines(text):
        try:
            tree = ast.parse(line, mode="exec")
        except SyntaxError as err:
            raise syntax_error(owner, where, number, line, 0, err, len(line)) from None
        convert = ToSympy(owner, where, number, line, 0)
        for node in tree.body:
            ref = convert.ref(node)
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target_node, op, value = node.targets[0], "=", node.value
            elif isinstance(node, ast.AugAssign):
                ops = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/="}
                if type(node.op) not in ops:
                    raise fail(owner, "unsupported update operator", ref, "use = += -= *= /=.")
                target_node, op, value = node.target, ops[type(node.op)], node.value
            else:
                raise fail(
                    owner,
                    "this is not an assignment",
                    ref,
                    "write one assignment per statement: 'x = expr', 'x += expr' (-=, *=, /=).",
                )
            if isinstance(target_node, ast.Name):
                target = target_node.id
            elif (
                isinstance(target_node, ast.Attribute)
                and isinstance(target_node.value, ast.Name)
                and target_node.value.id in ("pre", "post")
            ):
                target = f"{target_node.value.id}.{target_node.attr}"
            else:
                raise fail(
                    owner,
                    "cannot assign to this",
                    convert.ref(target_node),
                    "assign to a variable name, e.g. 'w = ...'.",
                )
            names_before = dict(convert.names)
            convert.names = {}
            rhs = Expression(convert(value), convert.names)
            convert.names = names_before
            out.append(Statement(target, op, rhs, ref, convert.ref(target_node)))
    return out
