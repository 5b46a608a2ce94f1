"""Argument checks that raise clear errors: the argument, the value and what was expected."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def _concrete(value: Any) -> np.ndarray | None:
    """The value as a NumPy array, or None when it is traced (checks are skipped then)."""
    if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(value)):
        return None
    return np.asarray(value)


def check_positive(name: str, value: Any, where: str = "") -> None:
    """Raise ValueError unless every element of ``value`` is finite and > 0."""
    arr = _concrete(value)
    if arr is not None and (arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0)):
        raise ValueError(f"{where}{name} must be a finite number > 0, got {_show(value)}.")


def check_nonnegative(name: str, value: Any, where: str = "") -> None:
    """Raise ValueError unless every element of ``value`` is finite and >= 0."""
    arr = _concrete(value)
    if arr is not None and (not np.all(np.isfinite(arr)) or np.any(arr < 0)):
        raise ValueError(f"{where}{name} must be a finite number >= 0, got {_show(value)}.")


def check_int_at_least(name: str, value: Any, minimum: int, where: str = "") -> int:
    """Return ``value`` as int, raising ValueError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{where}{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_shape(name: str, value: Any, shape: tuple[int, ...], where: str = "") -> None:
    """Raise ValueError unless ``value`` has exactly ``shape``."""
    got = tuple(np.shape(value))
    if got != tuple(shape):
        raise ValueError(f"{where}{name} must have shape {tuple(shape)}, got shape {got}.")


def check_choice(name: str, value: Any, choices: tuple[str, ...], where: str = "") -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{where}{name} must be one of {list(choices)}, got {value!r}.")


def _show(value: Any) -> str:
    arr = np.asarray(value)
    if arr.size <= 6:
        return repr(value) if arr.ndim == 0 else np.array2string(arr)
    bad = arr[~np.isfinite(arr) | (arr <= 0)] if arr.dtype.kind == "f" else arr
    return f"an array with entries such as {np.array2string(bad[:3])}"


def as_param(value: Any) -> Any:
    """A parameter as a float array leaf (so ``jax.grad`` and ``jax.vmap`` reach it)."""
    return jnp.asarray(value, dtype=float)
