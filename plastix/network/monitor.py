"""Monitors: what to record during a run, validated when they are made."""

from __future__ import annotations

from typing import Any

import numpy as np

from .population import Population
from .projection import Projection


class Monitor:
    """Records spikes, a state variable, or weights while the network runs.

    Args:
        target: a ``Population`` (``what="spikes"`` or a state variable such as ``"v"``)
            or a ``Projection`` (``what="w"``).
        what: what to record.
        every: recording period [ms] for state variables and weights (default: every
            step); spikes are always recorded at every step.
        indices: units (or synapses, in canonical order) to record; default all.
        name: the monitor's name in results files (default ``"<target>.<what>"``, made
            unique by the network, e.g. ``"neuron.spikes"``, ``"syn.w"``).

    After a run: ``t`` [ms] and, for spikes, ``i`` (the unit of each spike); otherwise
    ``values`` with one row per recorded time.

    Raises:
        ValueError: a target that is not a population or projection, an unknown
            ``what``, a non-positive ``every``, ``indices`` that select nothing, or a
            name that is empty or holds a '/'.
    """

    def __init__(
        self,
        target: Population | Projection,
        what: str = "spikes",
        every: float | None = None,
        indices: Any = None,
        name: str | None = None,
    ):
        if isinstance(target, Population):
            if what == "w":
                raise ValueError("Monitor: what='w' records a Projection, not a Population.")
        elif isinstance(target, Projection):
            if what != "w":
                raise ValueError(
                    f"Monitor: a Projection records its weights, what='w'; got what={what!r}."
                )
        else:
            raise ValueError(
                f"Monitor: target must be a Population or Projection, got {type(target).__name__}."
            )
        if every is not None and not (np.isfinite(every) and every > 0):
            raise ValueError(f"Monitor: every must be a time > 0 [ms], got {every!r}.")
        if what == "spikes" and every is not None:
            raise ValueError("Monitor: spikes are recorded at every step; leave every=None.")
        if indices is not None:
            indices = np.atleast_1d(np.asarray(indices))
            if indices.ndim != 1:
                raise ValueError(
                    f"Monitor: indices must be a 1-D list of units/synapses, got shape "
                    f"{indices.shape}."
                )
            if indices.size == 0:
                raise ValueError(
                    "Monitor: indices is empty, so nothing would be recorded; pass None to "
                    "record everything or list the units/synapses to record."
                )
            if indices.dtype.kind not in "iu" or indices.min() < 0:
                raise ValueError(
                    f"Monitor: indices must be non-negative integers, got {indices[:5]}."
                )
            indices = tuple(int(i) for i in indices)
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"Monitor: name must be a non-empty string without '/', got {name!r}.")
        self.target, self.what, self.every, self.indices = target, what, every, indices
        self.name = name
        self.t = np.zeros(0)
        self.i = np.zeros(0, int)
        self.values = np.zeros(0)
        self.batch = np.zeros(0, int)
        """After an ``Ensemble`` run: the instance of each recorded spike."""

    def _store(self, dt: float, result: dict[str, np.ndarray], append: bool) -> None:
        t = result["steps"] * dt
        if self.what == "spikes":
            i = result["indices"]
            self.t = np.concatenate([self.t, t]) if append else t
            self.i = np.concatenate([self.i, i]) if append else i
            if "batch" in result:  # an ensemble: the instance of each spike
                b = result["batch"]
                self.batch = np.concatenate([self.batch, b]) if append else b
        else:
            v = result["values"]
            axis = 1 if v.ndim == 3 else 0  # an ensemble: [instances, rows, m]
            self.t = np.concatenate([self.t, t]) if append and self.t.size else t
            if append and self.values.size:
                v = np.concatenate([self.values, v], axis=axis)
            self.values = v

    def __repr__(self) -> str:
        return f"Monitor({self.name or self.target!r}, what={self.what!r}, every={self.every})"
