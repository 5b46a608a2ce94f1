"""Choices that depend on the backend the code is traced for (CPU or accelerator).

On a CPU a ``lax.cond`` is cheap and skips work; on a GPU each one makes the host wait
for the device (its predicate must reach the host to pick the branch), which costs more
than the work it skips. ``branch`` therefore skips work on a CPU and computes both sides
and selects on an accelerator; both give identical results.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

_forced: bool | None = None
"""Tests set this to exercise the accelerator code path on a CPU (None: by backend)."""


def skips_work() -> bool:
    """True when branches are taken (``lax.cond``) rather than both computed."""
    if _forced is not None:
        return _forced
    return jax.default_backend() == "cpu"


def branch(pred: Any, true_fn: Any, false_fn: Any, *operands: Any) -> Any:
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``."""
    if skips_work():
        return jax.lax.cond(pred, true_fn, false_fn, *operands)
    on_true, on_false = true_fn(*operands), false_fn(*operands)
    return jax.tree_util.tree_map(lambda a, b: jnp.where(pred, a, b), on_true, on_false)
