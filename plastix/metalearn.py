"""Meta-learning plasticity rules: gradient descent on a rule's parameters through runs.

The functional core is pure, so a loss computed from ``plastix.core.run`` can be
differentiated with respect to any parameter leaf of the spec (a rule's coefficients, a
neuron's gain) and vmapped over tasks. This module holds the few pieces such a
meta-learning loop needs besides ``jax.grad``: replacing leaves of a built network
without rebuilding it, and an optax loop that survives a diverging rule.

Example:
    >>> net.build()
    >>> def loss(theta, key):
    ...     spec = replace_rule(net.spec, 0, theta=theta)
    ...     final, _, _ = plastix.core.run(spec, net.state, key, 1000)
    ...     return task_loss(final.projections[0].w)
    >>> theta, history = meta_train(loss, theta0, optax.adam(1e-2), 600, key)

References:
    Confavreux, Zenke, Agnes, Lillicrap & Vogels (2020), NeurIPS 33 (meta-learning a
    plasticity rule by gradient descent through the plasticity loop).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array

from ._core.spec import NetworkSpec, NetworkState


def replace_rule(spec: NetworkSpec, projection: int, **params: Any) -> NetworkSpec:
    """``spec`` with fields of projection ``projection``'s rule replaced (traceable).

    Raises:
        ValueError: a static projection, or a name that is not a field of its rule.
    """
    rule = spec.projections[projection].rule
    if rule is None:
        raise ValueError(f"replace_rule: projection {projection} has no rule (it is static).")
    fields = [f for f in rule.__dataclass_fields__ if not f.startswith("_")]
    for name in params:
        if name not in fields:
            raise ValueError(
                f"replace_rule: {type(rule).__name__} has no parameter {name!r}; it has {fields}."
            )
    names = tuple(params)
    return eqx.tree_at(
        lambda s: tuple(getattr(s.projections[projection].rule, n) for n in names),
        spec,
        tuple(params[n] for n in names),
    )


def replace_weights(state: NetworkState, projection: int, w: Array) -> NetworkState:
    """``state`` with the weights of projection ``projection`` replaced (traceable)."""
    projections = list(state.projections)
    old = projections[projection].w
    projections[projection] = projections[projection]._replace(
        w=jnp.reshape(jnp.asarray(w, old.dtype), old.shape)
    )
    return state._replace(projections=tuple(projections))


class MetaHistory(NamedTuple):
    """What :func:`meta_train` saw, one entry per meta-step."""

    loss: np.ndarray
    """Meta-loss before the step's update (``nan`` where it was not finite)."""
    skipped: np.ndarray
    """Whether the update was skipped (a non-finite or too large loss or gradient)."""


def meta_train(
    loss: Callable[[Any, Array], Array],
    params: Any,
    optimizer: optax.GradientTransformation,
    n_steps: int,
    key: Array,
    max_grad_norm: float = 1.0,
    max_loss: float = 1e6,
    callback: Callable[[int, float], None] | None = None,
) -> tuple[Any, MetaHistory]:
    """Minimise ``loss(params, key)`` with ``optimizer``, one fresh key per meta-step.

    Each meta-step is one jitted call: the loss and its gradient, the gradient clipped
    to a global norm of ``max_grad_norm``, the optimizer's update. Divergence guard: a
    step whose loss is not finite or exceeds ``max_loss``, or whose gradient is not
    finite, leaves the parameters and the optimizer state as they were (a rule that
    blows up on one batch does not poison the moments of Adam).

    Args:
        loss: scalar loss of ``params`` and a random key (draw the batch of tasks from it).
        params: initial parameters (any PyTree of float arrays).
        optimizer: an optax transformation (e.g. ``optax.adam(1e-2)``).
        n_steps: meta-steps.
        key: random key; step ``i`` uses ``fold_in(key, i)``.
        max_grad_norm: global-norm clipping of the gradient.
        max_loss: losses above it count as diverged.
        callback: called as ``callback(i, loss)`` after each step (progress, logging).

    Returns:
        The final parameters and the :class:`MetaHistory`.
    """
    chained = optax.chain(optax.clip_by_global_norm(max_grad_norm), optimizer)

    @jax.jit
    def meta_step(params: Any, opt_state: Any, i: Array) -> tuple[Any, Any, Array, Array]:
        value, grads = jax.value_and_grad(loss)(params, jax.random.fold_in(key, i))
        finite = jnp.all(
            jnp.stack([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)])
        )
        ok = jnp.isfinite(value) & (value <= max_loss) & finite
        grads = jax.tree_util.tree_map(lambda g: jnp.where(ok, g, 0.0), grads)
        updates, new_state = chained.update(grads, opt_state, params)
        new_params = optax.apply_updates(params, updates)
        keep = lambda new, old: jnp.where(ok, new, old)  # noqa: E731
        return (
            jax.tree_util.tree_map(keep, new_params, params),
            jax.tree_util.tree_map(keep, new_state, opt_state),
            value,
            ~ok,
        )

    opt_state = chained.init(params)
    losses, skipped = np.full(n_steps, np.nan), np.zeros(n_steps, bool)
    for i in range(n_steps):
        params, opt_state, value, skip = meta_step(params, opt_state, jnp.asarray(i))
        losses[i], skipped[i] = float(value), bool(skip)
        if callback is not None:
            callback(i, losses[i])
    losses[~np.isfinite(losses)] = np.nan
    return params, MetaHistory(losses, skipped)
