"""Connection rules with NEST's names, seeded, returning any format.

Every builder draws the synapse list with NumPy's ``default_rng(seed)`` on the host, so
the same seed gives the same synapses in every format. None of them creates multapses;
``allow_autapses=False`` removes the synapses ``i → i`` (meaningful when a population
projects onto itself).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .._checks import check_choice, check_int_at_least
from ._base import AbstractConnectivity, check_indices
from .coo import COO
from .csr import CSR
from .dense import Dense

Format = Literal["dense", "csr", "coo"]
FORMATS: tuple[str, ...] = ("dense", "csr", "coo")


def from_indices(
    pre: Any, post: Any, n_pre: int, n_post: int, format: Format = "csr"
) -> AbstractConnectivity:
    """Connectivity of the given synapse list in the chosen format.

    Args:
        pre: presynaptic index of each synapse.
        post: postsynaptic index of each synapse.
        n_pre: number of presynaptic neurons.
        n_post: number of postsynaptic neurons.
        format: ``"dense"``, ``"csr"`` or ``"coo"``.

    Raises:
        ValueError: bad indices, unknown format, or multapses in the dense format.
    """
    check_choice("format", format, FORMATS, "from_indices: ")
    if format == "csr":
        return CSR(pre, post, n_pre, n_post)
    if format == "coo":
        return COO(pre, post, n_pre, n_post)
    check_int_at_least("n_pre", n_pre, 1, "from_indices: ")
    check_int_at_least("n_post", n_post, 1, "from_indices: ")
    check_indices(np.asarray(pre), np.asarray(post), n_pre, n_post, "from_indices: ")
    probe = CSR(pre, post, n_pre, n_post)
    pre_np, post_np = probe.canonical_indices()
    mask = np.zeros((n_pre, n_post), bool)
    mask[pre_np, post_np] = True
    if np.count_nonzero(mask) != pre_np.size:
        raise ValueError(
            "from_indices: format='dense' cannot hold multapses (repeated (pre, post) pairs); "
            "use format='csr' or 'coo'."
        )
    return Dense(n_pre, n_post, None if mask.all() else mask)


def all_to_all(
    n_pre: int, n_post: int, *, allow_autapses: bool = True, format: Format = "dense"
) -> AbstractConnectivity:
    """Every presynaptic neuron connects to every postsynaptic neuron."""
    _sizes(n_pre, n_post, format, "all_to_all: ")
    if format == "dense" and allow_autapses:
        return Dense(n_pre, n_post)
    mask = np.ones((n_pre, n_post), bool)
    if not allow_autapses:
        np.fill_diagonal(mask, False)
    pre, post = np.nonzero(mask)
    return from_indices(pre, post, n_pre, n_post, format)


def one_to_one(n: int, *, format: Format = "csr") -> AbstractConnectivity:
    """Neuron i connects to neuron i (both populations have ``n`` neurons)."""
    check_int_at_least("n", n, 1, "one_to_one: ")
    check_choice("format", format, FORMATS, "one_to_one: ")
    return from_indices(np.arange(n), np.arange(n), n, n, format)


def _fixed_degree(
    name: str, n_fixed: int, n_partners: int, degree: int, seed: int, allow_autapses: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(fixed side, partner side) indices: each of ``n_fixed`` neurons draws ``degree``
    distinct partners among ``n_partners`` (not itself unless autapses are allowed)."""
    available = n_partners - (0 if allow_autapses else 1)
    check_int_at_least(name, degree, 0, f"fixed_{name}: ")
    if degree > available:
        raise ValueError(
            f"fixed_{name}: {name} must be <= {available} (distinct partners available), "
            f"got {degree}."
        )
    rng = np.random.default_rng(seed)
    partners = np.concatenate(
        [_choose(rng, n_partners, degree, None if allow_autapses else i) for i in range(n_fixed)]
    )
    return np.repeat(np.arange(n_fixed), degree), partners


def fixed_indegree(
    n_pre: int,
    n_post: int,
    indegree: int,
    *,
    seed: int,
    allow_autapses: bool = True,
    format: Format = "csr",
) -> AbstractConnectivity:
    """Each postsynaptic neuron gets ``indegree`` distinct presynaptic partners."""
    _sizes(n_pre, n_post, format, "fixed_indegree: ")
    post, pre = _fixed_degree("indegree", n_post, n_pre, indegree, seed, allow_autapses)
    return from_indices(pre, post, n_pre, n_post, format)


def fixed_outdegree(
    n_pre: int,
    n_post: int,
    outdegree: int,
    *,
    seed: int,
    allow_autapses: bool = True,
    format: Format = "csr",
) -> AbstractConnectivity:
    """Each presynaptic neuron gets ``outdegree`` distinct postsynaptic partners."""
    _sizes(n_pre, n_post, format, "fixed_outdegree: ")
    pre, post = _fixed_degree("outdegree", n_pre, n_post, outdegree, seed, allow_autapses)
    return from_indices(pre, post, n_pre, n_post, format)


def fixed_total_number(
    n_pre: int,
    n_post: int,
    n: int,
    *,
    seed: int,
    allow_autapses: bool = True,
    format: Format = "csr",
) -> AbstractConnectivity:
    """``n`` distinct synapses drawn uniformly among all (pre, post) pairs."""
    _sizes(n_pre, n_post, format, "fixed_total_number: ")
    rng = np.random.default_rng(seed)
    pairs = n_pre * n_post
    excluded = 0 if allow_autapses else min(n_pre, n_post)
    check_int_at_least("n", n, 0, "fixed_total_number: ")
    if n > pairs - excluded:
        raise ValueError(
            f"fixed_total_number: n must be <= {pairs - excluded} (distinct pairs), got {n}."
        )
    if allow_autapses:
        flat = rng.choice(pairs, size=n, replace=False)
    else:
        candidates = np.flatnonzero(~np.eye(n_pre, n_post, dtype=bool).ravel())
        flat = rng.choice(candidates, size=n, replace=False)
    pre, post = np.divmod(np.sort(flat), n_post)
    return from_indices(pre, post, n_pre, n_post, format)


def pairwise_bernoulli(
    n_pre: int,
    n_post: int,
    p: float,
    *,
    seed: int,
    allow_autapses: bool = True,
    format: Format = "csr",
) -> AbstractConnectivity:
    """Each (pre, post) pair is connected independently with probability ``p``."""
    _sizes(n_pre, n_post, format, "pairwise_bernoulli: ")
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"pairwise_bernoulli: p must lie in [0, 1], got {p!r}.")
    rng = np.random.default_rng(seed)
    pre_parts, post_parts = [], []
    for i in range(n_pre):  # row by row: memory stays O(n_post) however large the network
        post = np.flatnonzero(rng.random(n_post) < p)
        if not allow_autapses:
            post = post[post != i]
        pre_parts.append(np.full(post.size, i))
        post_parts.append(post)
    pre, post = np.concatenate(pre_parts), np.concatenate(post_parts)
    return from_indices(pre, post, n_pre, n_post, format)


def _sizes(n_pre: int, n_post: int, format: str, where: str) -> None:
    check_int_at_least("n_pre", n_pre, 1, where)
    check_int_at_least("n_post", n_post, 1, where)
    check_choice("format", format, FORMATS, where)


def _choose(rng: np.random.Generator, n: int, k: int, exclude: int | None) -> np.ndarray:
    if exclude is None:
        return np.sort(rng.choice(n, size=k, replace=False))
    candidates = np.delete(np.arange(n), exclude) if exclude < n else np.arange(n)
    return np.sort(rng.choice(candidates, size=k, replace=False))
