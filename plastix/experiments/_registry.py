"""The registry of classic experiments that ``plastix run NAME`` knows."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Experiment:
    """A runnable experiment: ``main(args) -> summary`` writes its figure and summary."""

    name: str
    description: str
    add_arguments: Callable[[Any], None]
    main: Callable[[Any], dict]
    devices: bool = False
    """Whether it runs across devices (``--devices N``; its ``main`` reads ``args.devices``)."""


EXPERIMENTS: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry (names are unique)."""
    if experiment.name in EXPERIMENTS:
        raise ValueError(f"an experiment named {experiment.name!r} is already registered.")
    EXPERIMENTS[experiment.name] = experiment
    return experiment


def get(name: str) -> Experiment:
    """The experiment called ``name``; a clear error lists the known ones otherwise."""
    if name not in EXPERIMENTS:
        known = ", ".join(sorted(EXPERIMENTS))
        raise KeyError(f"unknown experiment {name!r}; known experiments: {known}.")
    return EXPERIMENTS[name]


def save_results(args: Any, summary: dict, data: dict) -> None:
    """With ``--save PATH`` (``args.save``), write the experiment's data arrays and its
    summary (JSON, attribute ``summary``) into the HDF5 results file ``PATH`` (see
    :mod:`plastix.io`); monitors the experiment streamed there are kept."""
    path = getattr(args, "save", None)
    if path is None:
        return
    from .. import io

    io.save_data(
        path,
        data,
        attrs={"experiment": summary.get("experiment", ""), "summary": json.dumps(summary)},
    )
