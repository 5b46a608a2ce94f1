"""Which axes of a state's leaves follow which sizes (found by growing each size)."""

from __future__ import annotations

from typing import Any

import jax


def leaf_kinds(fn: Any, sizes: tuple[int, ...]) -> list[tuple[int, int] | None]:
    """Per leaf of ``fn(*sizes)``: ``(argument, axis)`` of the axis whose length follows
    ``sizes[argument]``, or None when it follows none (found by growing each size)."""
    base = jax.tree_util.tree_leaves(jax.eval_shape(lambda: fn(*sizes)))
    kinds: list[tuple[int, int] | None] = [None] * len(base)
    for arg in range(len(sizes)):
        grown = list(sizes)
        grown[arg] += 1
        other = jax.tree_util.tree_leaves(jax.eval_shape(lambda g=tuple(grown): fn(*g)))
        for i, (a, b) in enumerate(zip(base, other, strict=True)):
            axes = [k for k, (x, y) in enumerate(zip(a.shape, b.shape, strict=True)) if x != y]
            if axes:
                if kinds[i] is not None or len(axes) > 1:
                    raise ValueError(f"a state variable of shape {a.shape} has several axes")
                kinds[i] = (arg, axes[0])
    return kinds
