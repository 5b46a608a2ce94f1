"""The device mesh of a sharded run: one axis, ``"neurons"``, over which blocks are laid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh

AXIS = "neurons"
"""The mesh axis a sharded run splits every population's neurons over."""


def make_mesh(devices: int | Sequence[Any] | Mesh, where: str = "") -> Mesh:
    """A one-axis mesh named ``"neurons"`` from ``devices``.

    Args:
        devices: a number ``N`` (the first ``N`` of ``jax.devices()``, all processes'
            devices in a multi-host run), a sequence of ``jax.Device``, or a
            ``jax.sharding.Mesh`` with an axis named ``"neurons"`` (its other axes, if
            any, must have size 1).
        where: prefix of error messages.

    Raises:
        ValueError: a number outside ``1..len(jax.devices())``, an empty or repeated device
            list, something that is not a device, or a mesh without the ``"neurons"``
            axis.
    """
    if isinstance(devices, Mesh):
        if AXIS not in devices.axis_names:
            raise ValueError(
                f"{where}devices: the mesh must have an axis named {AXIS!r} (the axis that "
                f"populations are split over), got axes {tuple(devices.axis_names)}."
            )
        others = {a: s for a, s in devices.shape.items() if a != AXIS and s != 1}
        if others:
            raise ValueError(
                f"{where}devices: the mesh's axes other than {AXIS!r} must have size 1, got "
                f"{others}; plastix splits neurons over one axis only."
            )
        flat = np.asarray(devices.devices).reshape(-1)
        return Mesh(flat, (AXIS,))
    available = jax.devices()
    if isinstance(devices, int | np.integer) and not isinstance(devices, bool):
        if not 1 <= devices <= len(available):
            raise ValueError(
                f"{where}devices must be between 1 and the {len(available)} available "
                f"{available[0].platform} device(s), got {devices}. (To fake N CPU devices, "
                f"set XLA_FLAGS=--xla_force_host_platform_device_count=N before jax is "
                f"imported.)"
            )
        return Mesh(np.asarray(available[: int(devices)]), (AXIS,))
    if isinstance(devices, Sequence) and not isinstance(devices, str):
        devices = list(devices)
        if not devices:
            raise ValueError(f"{where}devices: the list of devices is empty.")
        bad = [d for d in devices if not isinstance(d, jax.Device)]
        if bad:
            raise ValueError(
                f"{where}devices must hold jax.Device objects (from jax.devices()), got {bad[0]!r}."
            )
        if len({d.id for d in devices}) != len(devices):
            raise ValueError(f"{where}devices: a device is listed twice in {devices}.")
        return Mesh(np.asarray(devices), (AXIS,))
    raise ValueError(
        f"{where}devices must be a number of devices, a list of jax devices or a "
        f"jax.sharding.Mesh with a {AXIS!r} axis, got {devices!r}."
    )
