"""Errors that point at the text: the problem, the line with a caret, and the fix."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


class DSLError(ValueError):
    """An error in equation or statement text; the message shows the line and the fix."""


@dataclass(frozen=True)
class Ref:
    """Where a piece of text is: the block, the line (1-based) and the columns."""

    where: str
    line: int
    text: str
    col: int = 0
    end: int = -1


def fail(owner: str, problem: str, ref: Ref | None, fix: str) -> DSLError:
    """A ``DSLError`` naming the problem, showing the line with a caret, and the fix."""
    lines = [f"{owner}: {problem}"]
    if ref is not None:
        end = len(ref.text) if ref.end < 0 else ref.end
        lines.append(f"  in {ref.where}, line {ref.line}:")
        lines.append(f"    {ref.text}")
        lines.append("    " + " " * ref.col + "^" * max(1, end - ref.col))
    lines.append(f"Fix: {fix}")
    return DSLError("\n".join(lines))


def did_you_mean(name: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` when ``known`` holds a close spelling, else ``""``."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
