"""One expression of user text → sympy, without running it.

The text is read by Python's ``ast`` parser (which never executes anything) and the
syntax tree is turned into sympy by hand, node by node, so only numbers, names, the
arithmetic and comparison operators, ``a if cond else b`` and the listed functions are
accepted. Every name keeps the place where it first occurs (a ``Ref``), so that a later
check can show the line with a caret under it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ._errors import DSLError, Ref, did_you_mean, fail

Sym = Any
"""A sympy expression. (Typed loosely: sympy's own annotations reject its operators.)"""


def names_in(expr: Sym) -> set[str]:
    """The names of the free symbols of ``expr``."""
    return {str(s) for s in expr.free_symbols}


def is_condition(e: sp.Basic) -> bool:
    """Whether ``e`` is a condition (a comparison, and/or/not, True/False), not a number.
    (A sympy ``Symbol`` is also a ``Boolean``, so that class cannot tell.)"""
    return isinstance(
        e,
        sp.core.relational.Relational
        | sp.logic.boolalg.BooleanFunction
        | sp.logic.boolalg.BooleanAtom,
    )


class clip(sp.Function):  # noqa: N801 (sympy names functions in lower case)
    """``clip(x, lo, hi)``: ``x`` limited to ``[lo, hi]`` (kept unevaluated)."""

    nargs = 3


FUNCTIONS: dict[str, object] = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "sign": sp.sign,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "arcsin": sp.asin,
    "arccos": sp.acos,
    "arctan": sp.atan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "floor": sp.floor,
    "ceil": sp.ceiling,
    "min": sp.Min,
    "max": sp.Max,
    "clip": clip,
}
"""Functions the text may call (``int(cond)``/``float(cond)`` turn a condition into 1/0)."""

CONSTANTS = {"pi": sp.pi, "e": sp.E, "inf": sp.oo}
"""Names that mean a number unless the model defines them (a parameter ``e`` wins)."""


@dataclass
class Expression:
    """A parsed expression and where each name in it first occurs."""

    expr: Sym
    names: dict[str, Ref] = field(default_factory=dict)


def with_constants(parsed: Expression, known: set[str]) -> Expression:
    """``parsed`` with ``pi``, ``e``, ``inf`` replaced by their values where ``known`` (the
    model's own names) does not define them; those names leave ``names``."""
    free = {n for n in parsed.names if n in CONSTANTS and n not in known}
    if not free:
        return parsed
    expr = parsed.expr.xreplace({sp.Symbol(n): CONSTANTS[n] for n in free})
    return Expression(expr, {k: v for k, v in parsed.names.items() if k not in free})


class ToSympy:
    """Turns a Python expression syntax tree into sympy, recording where names occur."""

    def __init__(self, owner: str, where: str, line: int, text: str, offset: int):
        self.owner, self.where, self.line = owner, where, line
        self.text, self.offset = text, offset
        self.names: dict[str, Ref] = {}

    def ref(self, node: ast.AST) -> Ref:
        col = self.offset + getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None)
        same_line = getattr(node, "end_lineno", 1) == getattr(node, "lineno", 1)
        end = self.offset + end if end is not None and same_line else -1
        return Ref(self.where, self.line, self.text, col, end)

    def error(self, node: ast.AST, problem: str, fix: str) -> DSLError:
        return fail(self.owner, problem, self.ref(node), fix)

    def name(self, raw: str, node: ast.AST) -> sp.Symbol:
        self.names.setdefault(raw, self.ref(node))
        return sp.Symbol(raw)

    def __call__(self, node: ast.AST) -> Sym:
        if isinstance(node, ast.Expression):
            return self(node.body)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                return sp.true if value else sp.false
            if isinstance(value, int):
                return sp.Integer(value)
            if isinstance(value, float):
                return sp.Float(value)
            raise self.error(node, f"{value!r} is not a number", "write a number or a name.")
        if isinstance(node, ast.Name):
            return self.name(node.id, node)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("pre", "post"):
                return self.name(f"{node.value.id}.{node.attr}", node)
            raise self.error(
                node,
                "only pre.NAME and post.NAME may use a dot",
                "write pre.x or post.v (or x_pre, v_post) for a neuron-side variable.",
            )
        if isinstance(node, ast.UnaryOp):
            operand = self(node.operand)
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return operand
            if isinstance(node.op, ast.Not):
                return sp.Not(operand)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.BoolOp):
            values = [self(v) for v in node.values]
            return sp.And(*values) if isinstance(node.op, ast.And) else sp.Or(*values)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.IfExp):
            return sp.Piecewise((self(node.body), self(node.test)), (self(node.orelse), True))
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.error(
            node,
            f"{type(node).__name__} is not allowed in an expression",
            "use numbers, names, + - * / **, comparisons, 'a if cond else b' and the "
            f"functions {sorted(FUNCTIONS)}.",
        )

    def _binop(self, node: ast.BinOp) -> Sym:
        if isinstance(node.op, ast.BitXor):
            col = self.text.find("^", self.offset + (node.left.end_col_offset or 0))
            ref = Ref(self.where, self.line, self.text, col, col + 1) if col >= 0 else None
            raise fail(
                self.owner,
                "'^' is not a power here (in Python it binds more loosely than + and *)",
                ref or self.ref(node),
                "write x**2 for a power.",
            )
        ops = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Div: lambda a, b: a / b,
            ast.Pow: lambda a, b: a**b,
        }
        op = ops.get(type(node.op))
        if op is None:
            raise self.error(
                node,
                f"the operator {type(node.op).__name__} is not supported",
                "use + - * / and ** (floor() for rounding down).",
            )
        left, right = self(node.left), self(node.right)
        if is_condition(left) or is_condition(right):
            raise self.error(
                node,
                "a condition is used as a number",
                "write 'a if cond else b', or int(cond) for 1/0.",
            )
        return op(left, right)

    def _compare(self, node: ast.Compare) -> Sym:
        ops = {
            ast.Lt: sp.Lt,
            ast.LtE: sp.Le,
            ast.Gt: sp.Gt,
            ast.GtE: sp.Ge,
            ast.Eq: sp.Eq,
            ast.NotEq: sp.Ne,
        }
        parts, left = [], self(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            make = ops.get(type(op))
            if make is None:
                raise self.error(node, "this comparison is not supported", "use < <= > >= == !=.")
            right = self(comparator)
            parts.append(make(left, right, evaluate=False))
            left = right
        return parts[0] if len(parts) == 1 else sp.And(*parts)

    def _call(self, node: ast.Call) -> Sym:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.error(node, "only plain function calls are allowed", "write f(x, y).")
        fname = node.func.id
        args = [self(a) for a in node.args]
        if fname in ("int", "float"):
            if len(args) != 1 or not is_condition(args[0]):
                raise self.error(
                    node,
                    f"{fname}() takes one condition here",
                    f"write {fname}(x > 0) for 1/0, or floor(x) to round a number down.",
                )
            return sp.Piecewise((sp.Integer(1), args[0]), (sp.Integer(0), True))
        func = FUNCTIONS.get(fname)
        if func is None:
            raise fail(
                self.owner,
                f"unknown function {fname!r}",
                self.ref(node.func),
                f"use one of {sorted(FUNCTIONS)} or int(cond)"
                f"{did_you_mean(fname, list(FUNCTIONS))}.",
            )
        try:
            return func(*args)  # type: ignore[operator]
        except (TypeError, ValueError) as err:
            raise self.error(
                node, f"bad arguments to {fname}(): {err}", f"check the arguments of {fname}()."
            ) from None


def syntax_error(
    owner: str, where: str, line: int, text: str, offset: int, err: SyntaxError, length: int
) -> DSLError:
    # Python gives no useful column when the text ends too early: point at its end.
    position = err.offset if err.offset and 0 < err.offset <= length else length
    col = offset + position - 1
    return fail(
        owner,
        f"syntax error ({err.msg})",
        Ref(where, line, text, col, col + 1),
        "write Python-style expressions: names, numbers, + - * / **, f(x); statements as "
        "'x = expr' or 'x += expr'.",
    )


def parse_expression(
    owner: str, where: str, source: str, line: int = 1, text: str = "", offset: int = 0
) -> Expression:
    """Parse one expression (``source`` is the part of ``text`` starting at ``offset``)."""
    text = text or source
    stripped = source.strip()
    offset += len(source) - len(source.lstrip())
    if not stripped:
        raise fail(owner, "an expression is missing", Ref(where, line, text), "write one.")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as err:
        raise syntax_error(owner, where, line, text, offset, err, len(stripped)) from None
    convert = ToSympy(owner, where, line, text, offset)
    return Expression(convert(tree), convert.names)
