"""Checkpoints: the full state of a network written to HDF5 and read back, bit for bit.

A checkpoint holds everything a run depends on besides the code that built the network:
every leaf of the ``NetworkState`` (neuron and input states, spike histories, which are
the delay buffers, weights, traces, per-synapse rule variables, the overflow counters and
the absolute step, which with the seed fixes every later random draw), the array
parameters of every model and rule (so ``set_param`` changes survive), the seed, and
what each monitor recorded so far. A run stopped, stored, restored into a freshly built
copy of the network and continued equals the uninterrupted run bit for bit.

Layout::

    /             attrs: format="plastix-checkpoint", version, plastix_version, dt, seed,
                  step, populations, projections, monitors (JSON descriptions)
    /state/<path>       one dataset per state leaf (``jax.tree_util.keystr`` path)
    /spec/<path>        one dataset per array leaf of the spec (parameters, connectivity)
    /monitors/<name>/   t, i, values, batch as recorded so far
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import jax
import jax.numpy as jnp
import numpy as np

from ..io import leaf_name, named_leaves

if TYPE_CHECKING:
    from .network import Network

CHECKPOINT_FORMAT = "plastix-checkpoint"
VERSION = 1


def _is_key(leaf: Any) -> bool:
    return isinstance(leaf, jax.Array) and jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def _host(leaf: Any) -> np.ndarray:
    if _is_key(leaf):
        return np.asarray(jax.random.key_data(leaf))
    return np.asarray(leaf)


def describe(net: Network) -> dict[str, Any]:
    """What a checkpoint must match: populations, projections and monitors, as plain data."""
    populations = [
        {"name": p.name, "n": p.n, "model": type(p.model).__name__} for p in net.populations
    ]
    projections = []
    for proj, spec in zip(net.projections, net.spec.projections, strict=True):
        projections.append(
            {
                "name": proj.name,
                "pre": proj.pre.name,
                "post": proj.post.name,
                "connectivity": type(proj.connectivity).__name__,
                "n_synapses": int(proj.connectivity.n_synapses),
                "rule": _rule_name(proj.rule),
                "receptor": proj.receptor,
                "delay_steps": spec.delay if spec.delay is not None else "per synapse",
                "capacity": [spec.capacity, spec.post_capacity],
            }
        )
    monitors = [
        {"name": m.name, "target": m.target.name, "what": m.what, "every": m.every}
        for m in net.monitors
    ]
    return {"populations": populations, "projections": projections, "monitors": monitors}


def _rule_name(rule: Any) -> str | None:
    if rule is None:
        return None
    inner = getattr(rule, "rules", None)
    if inner is not None:
        return "chain(" + ", ".join(_rule_name(r) or "None" for r in inner) + ")"
    return type(rule).__name__


def store(net: Network, path: str | Path) -> None:
    """Write the full state of ``net`` (built) to the HDF5 file ``path`` (overwritten)."""
    from .. import __version__

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    description = describe(net)
    with h5py.File(path, "w") as file:
        file.attrs.update(
            format=CHECKPOINT_FORMAT,
            version=VERSION,
            plastix_version=__version__,
            dt=net.dt,
            seed=net.seed,
            step=int(net.state.step),
        )
        for key in ("populations", "projections", "monitors"):
            file.attrs[key] = json.dumps(description[key])
        for group_name, tree in (("state", net.state), ("spec", net.spec)):
            group = file.create_group(group_name)
            for name, leaf in named_leaves(tree).items():
                group.create_dataset(name, data=_host(leaf))
        monitors = file.create_group("monitors")
        for monitor in net.monitors:
            group = monitors.create_group(monitor.name)
            for field in ("t", "i", "values", "batch"):
                group.create_dataset(field, data=np.asarray(getattr(monitor, field)))


def _differences(name: str, stored: list, current: list) -> list[str]:
    lines = []
    if len(stored) != len(current):
        lines.append(
            f"{name}: the checkpoint has {len(stored)} ({[s['name'] for s in stored]}), "
            f"this network {len(current)} ({[c['name'] for c in current]})"
        )
    for s, c in zip(stored, current, strict=False):
        for key in s:
            if s[key] != c.get(key):
                lines.append(
                    f"{name[:-1]} {c['name']!r}: {key} is {s[key]!r} in the checkpoint, "
                    f"{c.get(key)!r} here"
                )
    return lines


def _leaf_differences(kind: str, group: h5py.Group, current: dict[str, Any]) -> list[str]:
    lines = []
    missing = sorted(set(current) - set(group))
    extra = sorted(set(group) - set(current))
    if missing:
        lines.append(f"{kind} variables only in this network: {missing}")
    if extra:
        lines.append(f"{kind} variables only in the checkpoint: {extra}")
    for name in sorted(set(current) & set(group)):
        ours = _host(current[name])
        theirs = group[name]
        if theirs.shape != ours.shape or theirs.dtype != ours.dtype:
            lines.append(
                f"{kind} {name}: shape {theirs.shape} {theirs.dtype} in the checkpoint, "
                f"{ours.shape} {ours.dtype} here"
            )
    return lines


def restore(net: Network, path: str | Path) -> None:
    """Replace the state, parameters, seed and monitor recordings of ``net`` with those
    stored in ``path`` by :func:`store`.

    ``net`` must be built the same way as the stored network (the same populations,
    sizes, models, projections, connectivity, rules, delays and monitors); its own state
    is discarded. The connectivity itself is compared synapse by synapse.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a plastix checkpoint, or a checkpoint of another network (the
            message lists every difference found).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Network.restore: no file {str(path)!r}.")
    net.build()
    with h5py.File(path, "r") as file:
        if file.attrs.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(
                f"Network.restore: {str(path)!r} is not a plastix checkpoint (its format is "
                f"{file.attrs.get('format')!r}); results files are read by plastix.io.load."
            )
        ours = describe(net)
        lines = []
        if float(file.attrs["dt"]) != net.dt:
            lines.append(f"dt: {float(file.attrs['dt'])} ms in the checkpoint, {net.dt} ms here")
        for key in ("populations", "projections", "monitors"):
            lines += _differences(key, json.loads(file.attrs[key]), ours[key])
        state_leaves, spec_leaves = named_leaves(net.state), named_leaves(net.spec)
        lines += _leaf_differences("state", file["state"], state_leaves)
        lines += _leaf_differences("spec", file["spec"], spec_leaves)
        for name, leaf in spec_leaves.items():
            fixed = name.startswith("projections[") and (
                ".connectivity." in name or name.endswith(".delays")
            )
            if not fixed or name not in file["spec"]:
                continue
            theirs = file["spec"][name][()]
            if theirs.shape == np.shape(leaf) and not np.array_equal(theirs, _host(leaf)):
                lines.append(f"spec {name}: the synapses (or delays) differ from the checkpoint's")
        if lines and int(file.attrs["seed"]) != net.seed:
            lines.append(
                f"seed: {int(file.attrs['seed'])} in the checkpoint, {net.seed} here (random "
                "connectivity, weights and delays are drawn from it)"
            )
        if lines:
            raise ValueError(
                f"Network.restore: {str(path)!r} is a checkpoint of another network:\n  - "
                + "\n  - ".join(lines)
                + "\nBuild the network exactly as the one that was stored."
            )
        state = _replace_leaves(net.state, file["state"])
        spec = _replace_leaves(net.spec, file["spec"])
        seed = int(file.attrs["seed"])
        recorded = {
            name: {field: group[field][()] for field in group}
            for name, group in file["monitors"].items()
        }
    net.state, net.spec, net.seed = state, spec, seed
    for pop, pop_spec in zip(net.populations, spec.populations, strict=True):
        pop.model = pop_spec.model
    for proj, proj_spec in zip(net.projections, spec.projections, strict=True):
        proj.rule = proj_spec.rule
    for monitor in net.monitors:
        for field, value in recorded[monitor.name].items():
            setattr(monitor, field, value)


def _replace_leaves(tree: Any, group: h5py.Group) -> Any:
    flat, treedef = jax.tree_util.tree_flatten_with_path(tree)
    leaves = []
    for path, leaf in flat:
        value = group[leaf_name(path)][()]
        if _is_key(leaf):
            leaves.append(jax.random.wrap_key_data(jnp.asarray(value)))
        elif isinstance(leaf, jax.Array):
            leaves.append(jnp.asarray(value, dtype=leaf.dtype))
        elif isinstance(leaf, np.ndarray):
            leaves.append(np.asarray(value, dtype=leaf.dtype))
        else:  # a Python scalar leaf keeps its type
            leaves.append(type(leaf)(value))
    return jax.tree_util.tree_unflatten(treedef, leaves)
