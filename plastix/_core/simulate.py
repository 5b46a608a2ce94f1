"""Running a network: chunks of a jitted ``lax.scan``, with host checks between chunks."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._backend import skips_work
from .._errors import BufferOverflowError, NonFiniteError, SimulationError
from .recording import Recording, periodic_rows, periodic_value, recorded_steps
from .spec import NetworkSpec, NetworkState
from .step import step


def population_key(key: Array, population: int) -> Array:
    """The random key of a population: ``fold_in(key, population)``."""
    return jax.random.fold_in(key, population)


def _all_finite(tree: Any) -> Array:
    leaves = [
        jnp.all(jnp.isfinite(x))
        for x in jax.tree_util.tree_leaves(tree)
        if jnp.issubdtype(x.dtype, jnp.inexact)
    ]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def run(
    spec: NetworkSpec,
    state: NetworkState,
    key: Array,
    n_steps: int,
    recordings: tuple[Recording, ...] = (),
) -> tuple[NetworkState, tuple[Array, ...], dict[str, Any]]:
    """Run ``n_steps`` steps as one ``lax.scan`` (pure: jit, vmap and grad it freely).

    Each population's external drive for all the steps is made first in one vectorised
    call, keyed by ``fold_in(fold_in(key, population), step)``.

    Returns:
        The final state; one array per recording (spikes: ``[n_steps, m]`` booleans;
        periodic: ``[rows, m]`` values, see ``recorded_steps``); and diagnostics (overflow
        counts, drive error counts and finiteness flags) for the host to check.
    """
    steps = state.step + jnp.arange(n_steps, dtype=state.step.dtype)
    drives = tuple(
        pop.model.drive(population_key(key, i), steps, pop.n, spec.dt)
        for i, pop in enumerate(spec.populations)
    )
    periodic = [r for r in recordings if r.kind != "spikes"]
    buffers = tuple(
        jnp.zeros(
            (periodic_rows(n_steps, r.every) + 1,) + jnp.shape(periodic_value(spec, state, r)),
            jnp.result_type(periodic_value(spec, state, r)),
        )
        for r in periodic
    )
    first = state.step

    def body(carry, drive_row):
        net, bufs = carry
        done = net.step
        net, spikes = step(spec, net, drive_row, key)
        new_bufs = []
        for buf, rec in zip(bufs, periodic, strict=True):
            offset = (-first) % rec.every
            row = (done - first - offset) // rec.every
            if rec.every == 1:
                new_bufs.append(buf.at[row].set(periodic_value(spec, net, rec)))
            elif skips_work():  # read and write the value only in the steps that record it
                new_bufs.append(
                    jax.lax.cond(
                        done % rec.every == 0,
                        lambda b, r, n, rec=rec: b.at[r].set(periodic_value(spec, n, rec)),
                        lambda b, r, n: b,
                        buf,
                        row,
                        net,
                    )
                )
            else:  # no branch on an accelerator: other steps write to the scratch last row
                row = jnp.where(done % rec.every == 0, row, buf.shape[0] - 1)
                new_bufs.append(buf.at[row].set(periodic_value(spec, net, rec)))
        outs = tuple(
            spikes[r.target] if r.indices is None else spikes[r.target][jnp.asarray(r.indices)]
            for r in recordings
            if r.kind == "spikes"
        )
        return (net, tuple(new_bufs)), outs

    (state, buffers), spike_outs = jax.lax.scan(body, (state, buffers), drives, length=n_steps)
    spike_iter, buffer_iter = iter(spike_outs), iter(buffers)
    records = tuple(
        next(spike_iter) if r.kind == "spikes" else next(buffer_iter)[:-1] for r in recordings
    )
    diagnostics = {
        "overflow": tuple(p.overflow for p in state.projections),
        "drive_errors": tuple(
            pop.model.drive_errors(d) for pop, d in zip(spec.populations, drives, strict=True)
        ),
        "finite_populations": tuple(_all_finite(s) for s in state.populations),
        "finite_projections": tuple(
            _all_finite((p.w, p.rule, p.synapses)) for p in state.projections
        ),
    }
    return state, records, diagnostics


_run_jit = eqx.filter_jit(run)


def _capacities(proj: Any) -> str:
    if proj.capacity == proj.post_capacity:
        return f"capacity={proj.capacity}"
    return f"capacity=(pre {proj.capacity}, post {proj.post_capacity})"


def check_diagnostics(spec: NetworkSpec, diagnostics: dict[str, Any], chunk: str) -> None:
    """Raise the first problem the device reported for a chunk (never ignore one)."""
    for proj, needed in zip(spec.projections, diagnostics["overflow"], strict=True):
        if int(needed) > 0:
            raise BufferOverflowError(
                f"Projection {proj.name!r}: {int(needed)} neurons spiked in one step but its "
                f"event buffers hold {_capacities(proj)} ({chunk}). Raise capacity to at "
                f"least {int(needed)}, or pass on_overflow='dense' to take the all-synapse "
                f"path in such steps."
            )
    for pop, errors in zip(spec.populations, diagnostics["drive_errors"], strict=True):
        if int(errors) > 0:
            raise SimulationError(
                f"Population {pop.name!r}: {pop.model.drive_error_message} "
                f"({int(errors)} entries, {chunk})."
            )
    for pop, ok in zip(spec.populations, diagnostics["finite_populations"], strict=True):
        if not bool(ok):
            raise NonFiniteError(
                f"Population {pop.name!r}: a state variable became NaN or infinite ({chunk}); "
                "check the parameters (time constants, dt) and the input weights."
            )
    for proj, ok in zip(spec.projections, diagnostics["finite_projections"], strict=True):
        if not bool(ok):
            raise NonFiniteError(
                f"Projection {proj.name!r}: a weight or trace became NaN or infinite "
                f"({chunk}); check the rule's parameters and bounds."
            )


def simulate(
    spec: NetworkSpec,
    state: NetworkState,
    key: Array,
    n_steps: int,
    recordings: tuple[Recording, ...] = (),
    chunk_size: int = 10_000,
    progress: Any = None,
) -> tuple[NetworkState, list[dict[str, np.ndarray]]]:
    """Run ``n_steps`` steps in chunks, checking the device's diagnostics after each.

    Between chunks the host raises on an event-buffer overflow, an invalid drive or a
    non-finite value, advances ``progress`` (anything with ``update(n)``), and moves the
    recordings to NumPy so device memory stays bounded. Results do not depend on
    ``chunk_size``.

    Returns:
        The final state and, per recording, ``{"steps": ..., "values": ...}`` in NumPy
        (spikes: ``steps`` and ``indices`` of each spike).
    """
    collected: list[list[Any]] = [[] for _ in recordings]
    done = 0
    while done < n_steps:
        length = min(chunk_size, n_steps - done)
        first = int(state.step)
        state, records, diagnostics = _run_jit(spec, state, key, length, recordings)
        check_diagnostics(
            spec,
            diagnostics,
            f"in steps {first}–{first + length - 1}, t = "
            f"{first * spec.dt:g}–{(first + length) * spec.dt:g} ms",
        )
        for store, rec, values in zip(collected, recordings, records, strict=True):
            values = np.asarray(values)
            if rec.kind == "spikes":
                rows, cols = np.nonzero(values)
                if rec.indices is not None:
                    cols = np.asarray(rec.indices)[cols]
                store.append((rows + first, cols))
            else:
                steps = recorded_steps(first, length, rec.every)
                store.append((steps, values[: steps.size]))
        done += length
        if progress is not None:
            progress.update(length)
    results = []
    for rec, store in zip(recordings, collected, strict=True):
        steps = np.concatenate([s for s, _ in store]) if store else np.zeros(0, int)
        values = np.concatenate([v for _, v in store]) if store else np.zeros(0)
        key_name = "indices" if rec.kind == "spikes" else "values"
        results.append({"steps": steps, key_name: values})
    return state, results
