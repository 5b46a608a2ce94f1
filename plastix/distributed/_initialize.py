"""Joining a multi-process (multi-host) run: a thin wrapper over ``jax.distributed``."""

from __future__ import annotations

from collections.abc import Sequence

import jax


def initialize(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    local_device_ids: int | Sequence[int] | None = None,
    cpu_collectives: str | None = None,
) -> None:
    """Join this process to a multi-process run, before anything else touches jax.

    A thin wrapper over ``jax.distributed.initialize``: called with no arguments it
    reads the cluster environment the way JAX does (SLURM, Open MPI, Kubernetes, Cloud
    TPU); otherwise pass the coordinator's ``host:port``, the number of processes and
    this one's id. Afterwards ``jax.devices()`` lists every process's devices, and
    ``Network.run(duration, devices=len(jax.devices()))`` runs one network across all of
    them; every process runs the same script with the same seed.

    Args:
        coordinator_address: ``"host:port"`` of process 0 (None: from the environment).
        num_processes: number of processes (None: from the environment).
        process_id: this process's index, 0-based (None: from the environment).
        local_device_ids: which local devices this process uses (None: all).
        cpu_collectives: for CPU-only runs across processes, the collectives library,
            ``"gloo"`` (or ``"mpi"``); sets ``jax_cpu_collectives_implementation``.

    Raises:
        ValueError: an unknown ``cpu_collectives``.
        RuntimeError: from JAX, when the coordinator cannot be reached or the process
            was already initialised.
    """
    if cpu_collectives is not None:
        if cpu_collectives not in ("gloo", "mpi"):
            raise ValueError(
                f"plastix.distributed.initialize: cpu_collectives must be 'gloo' or 'mpi', "
                f"got {cpu_collectives!r}."
            )
        jax.config.update("jax_cpu_collectives_implementation", cpu_collectives)
    jax.distributed.initialize(
        coordinator_address=coordinator_address,
        num_processes=num_processes,
        process_id=process_id,
        local_device_ids=local_device_ids,
    )
