"""Results on disk: monitors streamed to HDF5 during a run, and read back with ``load``.

A results file (written by ``Network.run(..., save=path)`` or ``plastix run NAME --save
path``) is HDF5 (h5py) with this layout::

    /                       attrs: format="plastix-results", plastix_version, dt [ms],
                            seed, step (the next step to record: the run's end)
    /monitors/<name>/       attrs: target, what, every [ms], units, kind
        t                   [ms], one entry per spike or per recorded row
        i                   spikes: the unit of each spike
        values              state or weights: [rows, recorded units or synapses]
        indices             the recorded units/synapses (canonical order) when not all
    /parameters/<kind>/<name>/   attrs: model (its class); one dataset per parameter
    /data/...               arrays an experiment saved besides its monitors (nested groups)

Monitors are appended chunk by chunk, so host memory stays bounded however long the run
(only one chunk's recordings are ever held). Running the same network again with the
same path appends; ``load(path)`` reads everything back into NumPy.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import h5py
import jax
import numpy as np

RESULTS_FORMAT = "plastix-results"

_STATE_UNITS = {
    "v": "mV",
    "theta": "mV",
    "u": "mV/ms",
    "w": "pA",
    "i_exc": "pA",
    "i_inh": "pA",
    "g_exc": "units of the leak conductance",
    "g_inh": "units of the leak conductance",
    "refractory": "steps",
    "rate": "Hz",
}
"""Units of common neuron state variables (a name not listed: see the model's docstring)."""


def units_of(what: str, kind: str) -> str:
    """The unit of a monitored quantity: ``kind`` is "spikes", "state" or "weights"."""
    if kind == "spikes":
        return "spike times [ms] and unit indices"
    if kind == "weights":
        return "weight units of the projection (nS for LIFCond targets, pA for LIF)"
    return _STATE_UNITS.get(what, "see the model's state docstring")


@dataclasses.dataclass(frozen=True)
class Recorded:
    """One monitor's recordings read from a results file.

    Attributes:
        t: spike times or recording times [ms].
        i: spikes: the unit of each spike (None for state and weight monitors).
        values: state or weights, ``[rows, recorded units]`` (None for spikes).
        attrs: target, what, every [ms], units, kind.
    """

    t: np.ndarray
    i: np.ndarray | None
    values: np.ndarray | None
    attrs: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Results(Mapping):
    """A results file read back: a mapping from monitor names to :class:`Recorded`.

    Attributes:
        monitors: ``{name: Recorded}`` (also reached as ``results[name]``).
        attrs: the file's attributes (dt [ms], seed, step, plastix_version).
        parameters: ``{"populations" | "projections": {name: {parameter: value}}}``.
        data: other arrays an experiment saved, as nested dicts.
    """

    monitors: dict[str, Recorded]
    attrs: dict[str, Any]
    parameters: dict[str, dict[str, dict[str, Any]]]
    data: dict[str, Any]

    def __getitem__(self, name: str) -> Recorded:
        if name not in self.monitors:
            raise KeyError(
                f"no monitor {name!r} in these results; they hold {sorted(self.monitors)}."
            )
        return self.monitors[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.monitors)

    def __len__(self) -> int:
        return len(self.monitors)


def _attr(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | np.generic):
        return value
    return str(value)


def _read_group(group: h5py.Group) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, item in group.items():
        if isinstance(item, h5py.Group):
            out[name] = _read_group(item)
        elif item.attrs.get("encoding") == "json":
            out[name] = json.loads(item.asstr()[()])
        elif h5py.check_string_dtype(item.dtype) is not None:
            out[name] = item.asstr()[()]
        else:
            out[name] = item[()]
    return out


def write_arrays(group: h5py.Group, data: Mapping[str, Any]) -> None:
    """Write a nested mapping under ``group``: mappings become subgroups, numeric, boolean
    and string arrays (and scalars) datasets, and anything else (e.g. a list of dicts)
    a string dataset holding its JSON text, so nothing is dropped."""
    for name, value in data.items():
        name = str(name)
        if isinstance(value, Mapping):
            write_arrays(group.require_group(name), value)
            continue
        if name in group:
            del group[name]
        try:
            array = np.asarray(value)
        except ValueError:  # ragged
            array = np.asarray(None, dtype=object)
        if array.dtype.kind in "biuf":
            group.create_dataset(name, data=array)
        elif array.dtype.kind == "U":
            group.create_dataset(name, data=array.astype(h5py.string_dtype()))
        else:
            text = json.dumps(value, default=lambda x: np.asarray(x).tolist())
            group.create_dataset(name, data=text, dtype=h5py.string_dtype())
            group[name].attrs["encoding"] = "json"


def leaf_name(path: tuple) -> str:
    """The HDF5 name of a PyTree leaf: its ``jax.tree_util.keystr`` path without the
    leading dot (``"projections[0].rule.x"``; ``"value"`` for a tree that is one leaf)."""
    return jax.tree_util.keystr(path).lstrip(".") or "value"


def named_leaves(tree: Any) -> dict[str, Any]:
    """``{leaf_name: leaf}`` of a PyTree's leaves."""
    return {leaf_name(path): leaf for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]}


def is_results_file(path: str | Path) -> bool:
    """Whether ``path`` is an HDF5 file written as plastix results (False if not HDF5)."""
    try:
        with h5py.File(path, "r") as file:
            return file.attrs.get("format") == RESULTS_FORMAT
    except OSError:
        return False


def write_parameters(group: h5py.Group, kind: str, name: str, module: Any) -> None:
    """The array fields of a neuron model or rule (``module``) under ``group/kind/name``."""
    sub = group.require_group(kind).require_group(name)
    sub.attrs["model"] = type(module).__name__
    for key, leaf in named_leaves(module).items():
        if key in sub:
            del sub[key]
        sub.create_dataset(key, data=np.asarray(leaf))


class ResultsWriter:
    """Streams a network's monitors into an HDF5 results file, chunk by chunk.

    Made by ``Network.run(..., save=path)``; ``write(chunk)`` is the ``sink`` of
    ``plastix._core.simulate.simulate``. A new file gets the network's attributes and
    parameters; an existing results file of the same monitors is appended to, provided
    it ends where the network's run starts (nothing lost, nothing recorded twice).

    Args:
        path: the HDF5 file.
        network: the (built) ``Network`` whose monitors are written.
        start: the step at which this run starts.

    Raises:
        ValueError: a file that is not a plastix results file, one of other monitors, or
            one whose recordings end at another step than ``start``.
    """

    def __init__(self, path: str | Path, network: Any, start: int):
        self.path = Path(path)
        self.network = network
        self.names = [m.name for m in network.monitors]
        self.step = start
        if self.path.exists():
            self._check_existing(start)
        else:
            self._create(start)

    def _check_existing(self, start: int) -> None:
        try:
            file = h5py.File(self.path, "r")
        except OSError as error:
            raise ValueError(
                f"save: {str(self.path)!r} exists and is not an HDF5 file ({error}); choose "
                "another path."
            ) from None
        with file:
            if file.attrs.get("format") != RESULTS_FORMAT:
                raise ValueError(
                    f"save: {str(self.path)!r} exists and is not a plastix results file; "
                    "choose another path."
                )
            names = sorted(file["monitors"]) if "monitors" in file else []
            if names != sorted(self.names):
                raise ValueError(
                    f"save: {str(self.path)!r} holds the monitors {names}, but this network "
                    f"has {sorted(self.names)}; save to a new file."
                )
            end = int(file.attrs["step"])
        if end != start:
            raise ValueError(
                f"save: {str(self.path)!r} holds recordings up to step {end}, but this run "
                f"starts at step {start}; appending would leave a gap or record steps twice. "
                "Save to a new file."
            )

    def _create(self, start: int) -> None:
        net = self.network
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(self.path, "w") as file:
            from . import __version__

            file.attrs.update(
                format=RESULTS_FORMAT,
                plastix_version=__version__,
                dt=net.dt,
                seed=net.seed,
                step=start,
            )
            file.attrs["dt_units"] = "ms"
            monitors = file.create_group("monitors")
            for monitor, rec in zip(net.monitors, net._recordings, strict=True):
                group = monitors.create_group(monitor.name)
                group.attrs.update(
                    target=monitor.target.name,
                    what=monitor.what,
                    kind=rec.kind,
                    every=rec.every * net.dt,
                    units=units_of(monitor.what, rec.kind),
                    t_units="ms",
                )
                group.create_dataset("t", (0,), float, maxshape=(None,), chunks=(4096,))
                if rec.kind == "spikes":
                    group.create_dataset("i", (0,), np.int64, maxshape=(None,), chunks=(4096,))
                else:
                    width = len(rec.indices) if rec.indices is not None else self._width(rec)
                    group.create_dataset(
                        "values",
                        (0, width),
                        float,
                        maxshape=(None, width),
                        chunks=(max(1, min(1024, 2**20 // max(width, 1))), width),
                    )
                if rec.indices is not None:
                    group.create_dataset("indices", data=np.asarray(rec.indices))
            parameters = file.create_group("parameters")
            for pop in net.populations:
                write_parameters(parameters, "populations", pop.name, pop.model)
            for proj in net.projections:
                if proj.rule is not None:
                    write_parameters(parameters, "projections", proj.name, proj.rule)

    def _width(self, rec: Any) -> int:
        if rec.kind == "weights":
            return self.network.projections[rec.target].connectivity.n_synapses
        return self.network.populations[rec.target].n

    def write(self, chunk: list[dict[str, np.ndarray]], first: int, length: int) -> None:
        """Append one chunk's results (one dict per monitor) covering ``length`` steps
        from step ``first``."""
        dt = self.network.dt
        with h5py.File(self.path, "a") as file:
            for name, result in zip(self.names, chunk, strict=True):
                group = file["monitors"][name]
                _append(group["t"], result["steps"] * dt)
                if "indices" in result:
                    _append(group["i"], result["indices"])
                else:
                    values = np.asarray(result["values"])
                    _append(group["values"], values.reshape(len(result["steps"]), -1))
            self.step = first + length
            file.attrs["step"] = self.step


def _append(dataset: h5py.Dataset, values: np.ndarray) -> None:
    n = dataset.shape[0]
    dataset.resize(n + len(values), axis=0)
    dataset[n:] = values


def load(path: str | Path) -> Results:
    """Read a results file written by ``Network.run(..., save=path)`` or the CLI's ``--save``.

    Args:
        path: the HDF5 file.

    Returns:
        A :class:`Results`: ``results["out.spikes"].t``, ``.i``, ``.values``, and
        ``results.attrs``, ``results.parameters``, ``results.data``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a file that is not a plastix results file.

    Example:
        >>> net.run(1000.0, save="run.h5")
        >>> spikes = plastix.io.load("run.h5")["neuron.spikes"]
        >>> spikes.t, spikes.i
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no file {str(path)!r}.")
    with h5py.File(path, "r") as file:
        if file.attrs.get("format") != RESULTS_FORMAT:
            raise ValueError(
                f"load: {str(path)!r} is not a plastix results file (its format attribute is "
                f"{file.attrs.get('format')!r}); checkpoints are read by Network.restore."
            )
        monitors = {}
        for name, group in file.get("monitors", {}).items():
            monitors[name] = Recorded(
                t=group["t"][()],
                i=group["i"][()] if "i" in group else None,
                values=group["values"][()] if "values" in group else None,
                attrs={k: _plain(v) for k, v in group.attrs.items()}
                | ({"indices": group["indices"][()]} if "indices" in group else {}),
            )
        parameters = {
            kind: {
                name: {k: v[()] for k, v in group.items()} | {"model": group.attrs["model"]}
                for name, group in kinds.items()
            }
            for kind, kinds in file.get("parameters", {}).items()
        }
        data = _read_group(file["data"]) if "data" in file else {}
        attrs = {k: _plain(v) for k, v in file.attrs.items()}
    return Results(monitors, attrs, parameters, data)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def save_data(path: str | Path, data: Mapping[str, Any], attrs: Mapping[str, Any] = ()) -> None:
    """Write an experiment's arrays under ``/data`` of a results file (created if absent).

    Args:
        path: the HDF5 file (a plastix results file, or a new one).
        data: a nested mapping of arrays and scalars.
        attrs: file attributes to set (numbers and strings; other values as their str).

    Raises:
        ValueError: an existing file that is not a plastix results file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "a") as file:
        if "format" in file.attrs and file.attrs["format"] != RESULTS_FORMAT:
            raise ValueError(f"save_data: {str(path)!r} is not a plastix results file.")
        if "format" not in file.attrs:
            from . import __version__

            file.attrs.update(format=RESULTS_FORMAT, plastix_version=__version__)
        for key, value in dict(attrs).items():
            file.attrs[key] = _attr(value)
        write_arrays(file.require_group("data"), data)
