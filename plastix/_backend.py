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
from jaxtyping import Array

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


def computed_once(spikes: Any) -> Any:
    """``spikes``, computed once per step on a CPU.

    XLA on a CPU fuses cheap elementwise work into each kernel that reads it instead of
    storing it: a neuron model's update was recomputed in every kernel reading its
    spikes (the new state, the refractory count, the spike history, the monitor, the
    traces): W3's 8000 LIF neurons five times a step. A reduction is stored, not fused
    into its readers, so boolean spikes pass through one (``any`` over the spikes and a
    row of ``False``: the same values), and the readers read a byte per unit (W3 ~8 %
    faster; packing the spikes into bits instead made every reader unpack them bit by
    bit, unvectorised). Float spikes (surrogate gradients) and accelerators are left as
    they are.
    """
    if spikes.dtype != jnp.bool_ or not skips_work():
        return spikes
    return jnp.any(jnp.stack([spikes, jnp.zeros_like(spikes)]), axis=0)


def running_sum(rows: Array) -> Array:
    """``jnp.cumsum(rows, axis=0)``; on a CPU as a loop over the rows.

    XLA on a CPU computes a cumulative sum as windowed reductions over a transposed,
    padded copy, ~3–14 ns per entry: 3.1 ms of the 4.7 ms it took to draw W1's
    10 000-step chunk of Poisson input (11 blocks of 20 × 1000 gaps), against 0.2 ms as
    a loop adding one row at a time (a small loop, which XLA compiles whole:
    ``plastix/_xla_options.py``). Exact for integers; for floats the order of the sums
    may differ from ``cumsum``'s.
    """
    if not skips_work():
        return jnp.cumsum(rows, axis=0)

    def add(total: Array, row: Array) -> tuple[Array, Array]:
        total = total + row
        return total, total

    return jax.lax.scan(add, jnp.zeros_like(rows[0]), rows)[1]
