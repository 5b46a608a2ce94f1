"""Figures of spikes, rates, weights and membrane traces, drawn with matplotlib.

Every function takes either a :class:`~plastix.Monitor` (after a run) or plain arrays,
draws on ``ax`` (a new figure when ``ax`` is None) and returns the ``Axes`` it drew on,
so panels combine freely::

    import matplotlib.pyplot as plt
    import plastix.plot as pxplot

    fig, (top, bottom) = plt.subplots(2, 1, sharex=True)
    pxplot.raster(spikes, ax=top, max_units=100)
    pxplot.population_rate(spikes, bin_width=10.0, ax=bottom)

Times are in ms on input, as monitors record them; ``time_unit="s"`` only changes the
axis. After an :class:`~plastix.Ensemble` run a monitor holds every instance:
``instance=k`` picks one. ``import plastix`` does not import this module (nor matplotlib).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike

from .network.monitor import Monitor
from .network.population import Population
from .network.projection import Projection

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_TIME_SCALE = {"ms": 1.0, "s": 1e-3}


# -- argument checks and monitor reading ---------------------------------------------------


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(layout="constrained")[1]


def _time_scale(time_unit: str, where: str) -> float:
    if time_unit not in _TIME_SCALE:
        raise ValueError(f"{where}time_unit must be 'ms' or 's', got {time_unit!r}.")
    return _TIME_SCALE[time_unit]


def _check_range(name: str, value: Any, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    pair = np.ravel(np.asarray(value, dtype=float))
    if pair.size != 2 or not (np.all(np.isfinite(pair)) and pair[0] < pair[1]):
        raise ValueError(f"{where}{name} must be (start, stop) with start < stop, got {value!r}.")
    return float(pair[0]), float(pair[1])


def _check_count(name: str, value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{where}{name} must be an integer >= 1, got {value!r}.")
    return int(value)


def _check_positive(name: str, value: Any, where: str) -> float:
    if isinstance(value, bool) or not (np.ndim(value) == 0 and np.isfinite(value) and value > 0):
        raise ValueError(f"{where}{name} must be a finite number > 0, got {value!r}.")
    return float(value)


def _vector(name: str, value: ArrayLike, where: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{where}{name} must be a 1-D array, got shape {array.shape}.")
    return array


def _pick(values: np.ndarray, instance: int | None, where: str, batched: bool) -> np.ndarray:
    """One instance of an ensemble's recording (``values[instance]``)."""
    if not batched:
        if instance is not None:
            raise ValueError(
                f"{where}instance={instance!r} selects one run of an Ensemble, but the data "
                "come from a single network; leave instance=None."
            )
        return values
    size = values.shape[0]
    if isinstance(instance, bool) or not isinstance(instance, int | np.integer):
        raise ValueError(
            f"{where}the data hold an Ensemble of {size} instances; pass instance= the one "
            f"to draw, an integer in [0, {size}), got {instance!r}."
        )
    if not 0 <= instance < size:
        raise ValueError(f"{where}instance must be in [0, {size}), got {instance}.")
    return values[instance]


def _spikes(
    source: Monitor | ArrayLike, i: ArrayLike | None, instance: int | None, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Spike times [ms], units, and the units that could spike (None: unknown)."""
    if isinstance(source, Monitor):
        if source.what != "spikes":
            raise ValueError(
                f"{where}needs a spike Monitor (what='spikes'), got a Monitor with "
                f"what={source.what!r}."
            )
        if i is not None:
            raise ValueError(f"{where}pass a spike Monitor or the arrays t and i, not both.")
        t, units, batch = source.t, source.i, source.batch
        if batch.size:
            if isinstance(instance, bool) or not isinstance(instance, int | np.integer):
                raise ValueError(
                    f"{where}the Monitor recorded an Ensemble (instances 0 to {batch.max()} "
                    f"spiked); pass instance= the one to draw, got {instance!r}."
                )
            t, units = t[batch == instance], units[batch == instance]
        elif instance is not None and t.size:
            _pick(t, instance, where, batched=False)
        population = cast(Population, source.target)  # what="spikes" records a Population
        recorded = source.indices
        if recorded is None:
            recorded = np.arange(population.n)
        return np.asarray(t, float), np.asarray(units), np.asarray(recorded)
    if i is None:
        raise ValueError(f"{where}with spike times t, give the unit of each spike, i.")
    _pick(np.zeros(0), instance, where, batched=False)
    t, units = np.asarray(source, dtype=float), np.asarray(i)
    if t.ndim != 1 or units.ndim != 1 or t.shape != units.shape:
        raise ValueError(
            f"{where}t and i must be 1-D arrays of the same length (one entry per spike), "
            f"got shapes {t.shape} and {units.shape}."
        )
    return t, units, None


def _series(
    source: Monitor | ArrayLike,
    values: ArrayLike | None,
    instance: int | None,
    where: str,
    weights: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times [ms], values ``[rows, columns]`` and the unit/synapse of each column."""
    if isinstance(source, Monitor):
        if weights and source.what != "w":
            raise ValueError(
                f"{where}needs a weight Monitor (what='w'), got a Monitor with "
                f"what={source.what!r}."
            )
        if not weights and source.what in ("spikes", "w"):
            raise ValueError(
                f"{where}needs a state Monitor (what= a state variable such as 'v'), got a "
                f"Monitor with what={source.what!r}."
            )
        if values is not None:
            raise ValueError(f"{where}pass a Monitor or the arrays t and values, not both.")
        if source.t.size == 0:
            raise ValueError(f"{where}the Monitor has recorded nothing yet; run the network.")
        v = _pick(source.values, instance, where, batched=source.values.ndim == 3)
        columns = source.indices if source.indices is not None else np.arange(v.shape[1])
        return np.asarray(source.t, float), np.asarray(v, float), np.asarray(columns)
    if values is None:
        raise ValueError(f"{where}with times t, give the recorded values [rows, columns].")
    _pick(np.zeros(0), instance, where, batched=False)
    t, v = np.asarray(source, dtype=float), np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[:, None]
    if t.ndim != 1 or v.ndim != 2 or v.shape[0] != t.size or t.size == 0:
        raise ValueError(
            f"{where}t must be 1-D and values [len(t), columns] (one row per time), got "
            f"shapes {t.shape} and {np.shape(values)}."
        )
    return t, v, np.arange(v.shape[1])


def _weight_label(unit: str | None, w_max: float | None) -> str:
    if w_max is not None:
        return "w / w_max"
    return f"weight [{unit}]" if unit else "weight"


# -- spikes ----------------------------------------------------------------------------------


def raster(
    source: Monitor | ArrayLike,
    i: ArrayLike | None = None,
    *,
    t_range: tuple[float, float] | None = None,
    units: ArrayLike | None = None,
    max_units: int | None = None,
    time_unit: str = "ms",
    marker_size: float = 2.0,
    marker: str = "o",
    color: Any = "k",
    instance: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw a spike raster: one dot per spike at (time, unit).

    Args:
        source: a spike ``Monitor``, or the spike times ``t`` [ms].
        i: the unit of each spike (with times ``t``; not with a Monitor).
        t_range: (start, stop) [ms]: only spikes with start <= t < stop, and the x-limits.
        units: the units to show (default all).
        max_units: show at most this many units, the lowest-numbered of ``units`` (or of
            the monitor's recorded units; with arrays, units 0 to ``max_units`` − 1).
        time_unit: ``"ms"`` or ``"s"``, the unit of the time axis.
        marker_size: marker area [points²].
        marker: marker style (``"|"`` draws ticks).
        color: marker colour.
        instance: which run of an ``Ensemble`` (its monitor records them all).
        ax: the Axes to draw on (default: a new figure).

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: a Monitor that does not record spikes, ``t`` and ``i`` of different
            lengths, an empty or reversed ``t_range``, a ``max_units`` below 1, an unknown
            ``time_unit``, or an ensemble's monitor without ``instance``.
    """
    where = "plot.raster: "
    scale = _time_scale(time_unit, where)
    t, unit, recorded = _spikes(source, i, instance, where)
    t_range = _check_range("t_range", t_range, where)
    shown = recorded if units is None else np.unique(np.atleast_1d(np.asarray(units)))
    if max_units is not None:
        max_units = _check_count("max_units", max_units, where)
        shown = np.arange(max_units) if shown is None else np.sort(shown)[:max_units]
    keep = np.ones(t.size, bool) if shown is None else np.isin(unit, shown)
    if t_range is not None:
        keep &= (t >= t_range[0]) & (t < t_range[1])
    ax = _axes(ax)
    ax.scatter(t[keep] * scale, unit[keep], s=marker_size, marker=marker, color=color)
    if t_range is not None:
        ax.set_xlim(t_range[0] * scale, t_range[1] * scale)
    if shown is not None and shown.size:
        ax.set_ylim(shown.min() - 0.5, shown.max() + 0.5)
    ax.set(xlabel=f"time [{time_unit}]", ylabel="neuron")
    return ax


def population_rate(
    source: Monitor | ArrayLike,
    n: int | None = None,
    *,
    bin_width: float = 10.0,
    t_range: tuple[float, float] | None = None,
    time_unit: str = "ms",
    instance: int | None = None,
    ax: Axes | None = None,
    **line: Any,
) -> Axes:
    """Draw the population rate: spikes per neuron and second in bins of ``bin_width``.

    The rate of bin ``[t_k, t_k + bin_width)`` is ``count / n / (bin_width · 1e-3)`` [Hz],
    drawn at the bin's centre. Only whole bins are drawn: from the start of ``t_range``
    (default 0) to its stop, or for a Monitor to the network's current time, or else to
    the bin of the last spike.

    Args:
        source: a spike ``Monitor`` (its population gives ``n``), or spike times [ms].
        n: the number of neurons (with spike times; not with a Monitor).
        bin_width: bin width [ms].
        t_range: (start, stop) [ms] of the bins.
        time_unit: ``"ms"`` or ``"s"``, the unit of the time axis.
        instance: which run of an ``Ensemble``.
        ax: the Axes to draw on (default: a new figure).
        **line: passed to ``Axes.plot`` (``color``, ``label``, …).

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: a Monitor that does not record spikes, a missing or non-positive
            ``n``, a non-positive ``bin_width``, a ``t_range`` shorter than one bin.
    """
    where = "plot.population_rate: "
    scale = _time_scale(time_unit, where)
    bin_width = _check_positive("bin_width", bin_width, where)
    if isinstance(source, Monitor):
        if n is not None:
            raise ValueError(f"{where}n comes from the Monitor's population; leave n=None.")
        t, _, _ = _spikes(source, None, instance, where)
        n = cast(Population, source.target).n if source.indices is None else len(source.indices)
        network = source.target.network
        now = 0.0 if network is None else network.t
    else:
        t = _vector("t", source, where)
        _pick(t, instance, where, batched=False)
        n = _check_count("n", n, where)
        now = 0.0
    t_range = _check_range("t_range", t_range, where)
    if t_range is None:
        last = t.max() if t.size else 0.0
        if now >= last and now > 0:
            t_range, n_bins = (0.0, now), int(np.floor(now / bin_width + 1e-9))
        else:
            t_range, n_bins = (0.0, last), int(np.floor(last / bin_width)) + 1
    else:
        n_bins = int(np.floor((t_range[1] - t_range[0]) / bin_width + 1e-9))
    if n_bins < 1:
        raise ValueError(
            f"{where}t_range {t_range} is shorter than one bin of bin_width={bin_width} ms."
        )
    k = np.floor((t - t_range[0]) / bin_width).astype(int)
    counts = np.bincount(k[(k >= 0) & (k < n_bins)], minlength=n_bins)
    centres = t_range[0] + (np.arange(n_bins) + 0.5) * bin_width
    ax = _axes(ax)
    ax.plot(centres * scale, counts / n / (bin_width * 1e-3), **line)
    ax.set(xlabel=f"time [{time_unit}]", ylabel="rate [Hz]")
    return ax


# -- weights ---------------------------------------------------------------------------------


def weight_histogram(
    source: Monitor | ArrayLike,
    *,
    bins: int | ArrayLike = 20,
    w_max: float | None = None,
    value_range: tuple[float, float] | None = None,
    unit: str | None = None,
    instance: int | None = None,
    ax: Axes | None = None,
    color: Any = "tab:blue",
) -> Axes:
    """Draw a histogram of synaptic weights.

    Only existing synapses count, so the input is one value per synapse: a weight
    Monitor's last row, or a 1-D array. A dense matrix from ``Network.weights`` holds
    zeros where there is no synapse and is refused; take its synapses with
    ``W[projection.connectivity.canonical_indices()]``.

    Args:
        source: a weight ``Monitor`` (what="w"), or a 1-D array of weights.
        bins: the number of bins, or the bin edges (of the normalised weights when
            ``w_max`` is given).
        w_max: if given, weights are divided by it and ``value_range`` defaults to (0, 1).
        value_range: (lower, upper) of the bins (default: that of the weights).
        unit: the weights' unit, for the axis label (e.g. ``"nS"``).
        instance: which run of an ``Ensemble``.
        ax: the Axes to draw on (default: a new figure).
        color: bar colour.

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: a Monitor that does not record weights or recorded nothing, a matrix
            or non-finite weights, bad ``bins``, ``w_max`` or ``value_range``.
    """
    where = "plot.weight_histogram: "
    if isinstance(source, Monitor):
        _, history, _ = _series(source, None, instance, where, weights=True)
        values = history[-1]
    else:
        values = np.asarray(source, dtype=float)
        if values.ndim != 1:
            raise ValueError(
                f"{where}source must be a weight Monitor or a 1-D array of weights (one per "
                f"synapse), got shape {values.shape}; for a [pre, post] matrix W pass "
                "W[projection.connectivity.canonical_indices()], so absent synapses "
                "(zeros) do not count."
            )
        _pick(values, instance, where, batched=False)
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{where}the weights must be finite, got {values[~np.isfinite(values)][:3]}."
        )
    if isinstance(bins, int | np.integer) and not isinstance(bins, bool):
        bin_spec: int | list[float] = _check_count("bins", bins, where)
    else:
        edges = np.asarray(bins, dtype=float)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(
                f"{where}bins must be an integer >= 1 or increasing bin edges, got {bins!r}."
            )
        bin_spec = edges.tolist()
    if w_max is not None:
        values = values / _check_positive("w_max", w_max, where)
        value_range = (0.0, 1.0) if value_range is None else value_range
    value_range = _check_range("value_range", value_range, where)
    ax = _axes(ax)
    ax.hist(values, bins=bin_spec, range=value_range, color=color, edgecolor="k")
    ax.set(xlabel=_weight_label(unit, w_max), ylabel="synapses")
    return ax


def weight_evolution(
    source: Monitor | ArrayLike,
    values: ArrayLike | None = None,
    *,
    style: str = "image",
    w_max: float | None = None,
    quantiles: tuple[float, float] = (0.1, 0.9),
    samples: int = 5,
    unit: str | None = None,
    time_unit: str = "ms",
    cmap: str = "viridis",
    instance: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw weights over time, as an image or as summary lines.

    ``style="image"``: one row per synapse, sorted by final weight (lowest at the
    bottom), one column per recorded time, with a colorbar. ``style="lines"``: the mean
    over synapses, a band between two ``quantiles``, and ``samples`` synapses spread
    evenly over the ranks of the final weight.

    Args:
        source: a weight ``Monitor`` (what="w"), or the recording times [ms].
        values: with times, the weights ``[len(t), synapses]``.
        style: ``"image"`` or ``"lines"``.
        w_max: if given, weights are divided by it (the image spans 0 to 1).
        quantiles: (lower, upper) quantiles of the band (lines), each in [0, 1].
        samples: synapses drawn individually (lines; 0 for none).
        unit: the weights' unit, for the labels (e.g. ``"nS"``).
        time_unit: ``"ms"`` or ``"s"``, the unit of the time axis.
        cmap: colormap of the image.
        instance: which run of an ``Ensemble``.
        ax: the Axes to draw on (default: a new figure).

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: a Monitor that does not record weights or recorded nothing, times
            and values of different lengths, an unknown ``style`` or ``time_unit``, bad
            ``quantiles``, ``samples`` or ``w_max``.
    """
    where = "plot.weight_evolution: "
    scale = _time_scale(time_unit, where)
    if style not in ("image", "lines"):
        raise ValueError(f"{where}style must be 'image' or 'lines', got {style!r}.")
    t, w, _ = _series(source, values, instance, where, weights=True)
    if w_max is not None:
        w = w / _check_positive("w_max", w_max, where)
    label = _weight_label(unit, w_max)
    ax = _axes(ax)
    ax.set_xlabel(f"time [{time_unit}]")
    order = np.argsort(w[-1], kind="stable")
    if style == "image":
        step = np.diff(t).mean() if t.size > 1 else 1.0
        extent = ((t[0] - step / 2) * scale, (t[-1] + step / 2) * scale, -0.5, w.shape[1] - 0.5)
        limits = (0.0, 1.0) if w_max is not None else (None, None)
        image = ax.imshow(
            w[:, order].T, aspect="auto", origin="lower", extent=extent, cmap=cmap,
            vmin=limits[0], vmax=limits[1], interpolation="nearest",
        )  # fmt: skip
        ax.figure.colorbar(image, ax=ax, label=label)
        ax.set_ylabel("synapse (sorted by final weight)")
        return ax
    lo, hi = (float(q) for q in quantiles)
    if not 0.0 <= lo < hi <= 1.0:
        raise ValueError(f"{where}quantiles must be (lower, upper) in [0, 1], got {quantiles!r}.")
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 0:
        raise ValueError(f"{where}samples must be an integer >= 0, got {samples!r}.")
    x = t * scale
    band = np.quantile(w, [lo, hi], axis=1)
    ax.fill_between(x, band[0], band[1], color="tab:blue", alpha=0.25,
                    label=f"{lo:.0%}–{hi:.0%} quantiles")  # fmt: skip
    ax.plot(x, w.mean(axis=1), color="tab:blue", lw=2, label="mean")
    picks = order[np.unique(np.linspace(0, w.shape[1] - 1, samples).round().astype(int))]
    for j, s in enumerate(picks[:samples]):
        ax.plot(x, w[:, s], color="gray", lw=0.7, label="sample synapses" if j == 0 else None)
    ax.set_ylabel(label)
    ax.legend(loc="best", fontsize="small")
    return ax


def weight_matrix(
    source: Monitor | ArrayLike,
    *,
    unit: str | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    instance: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw a ``[pre, post]`` weight matrix as an image with a colorbar.

    Rows are presynaptic neurons (top to bottom), columns postsynaptic ones. From a
    weight Monitor the last row is placed at its synapses and absent synapses are left
    blank (NaN); several synapses between one pair (multapses) are summed.

    Args:
        source: a ``[pre, post]`` array (as ``Network.weights`` returns; ``[size, pre,
            post]`` from ``Ensemble.weights`` with ``instance``), or a weight ``Monitor``.
        unit: the weights' unit, for the colorbar label (e.g. ``"nS"``).
        cmap: colormap.
        vmin, vmax: the colour limits (default: those of the weights).
        instance: which run of an ``Ensemble``.
        ax: the Axes to draw on (default: a new figure).

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: a Monitor that does not record weights or recorded nothing, or an
            array that is not a matrix.
    """
    where = "plot.weight_matrix: "
    if isinstance(source, Monitor):
        _, history, synapses = _series(source, None, instance, where, weights=True)
        projection = cast(Projection, source.target)  # what="w" records a Projection
        pre, post = (np.asarray(a)[synapses] for a in projection.connectivity.canonical_indices())
        matrix = np.zeros((projection.pre.n, projection.post.n))
        np.add.at(matrix, (pre, post), history[-1])
        present = np.zeros(matrix.shape, bool)
        present[pre, post] = True
        matrix[~present] = np.nan
    else:
        matrix = np.asarray(source, dtype=float)
        matrix = _pick(matrix, instance, where, batched=matrix.ndim == 3)
        if matrix.ndim != 2:
            raise ValueError(
                f"{where}source must be a [pre, post] matrix (or [size, pre, post] with "
                f"instance), got shape {np.shape(source)}."
            )
    import matplotlib
    from matplotlib.ticker import MaxNLocator

    colours = matplotlib.colormaps[cmap].with_extremes(bad="white")
    ax = _axes(ax)
    image = ax.imshow(matrix, aspect="auto", cmap=colours, vmin=vmin, vmax=vmax,
                      interpolation="nearest")  # fmt: skip
    ax.figure.colorbar(image, ax=ax, label=_weight_label(unit, None))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="postsynaptic neuron", ylabel="presynaptic neuron")
    return ax


def receptive_fields(
    weights: ArrayLike,
    shape: tuple[int, int],
    *,
    labels: Sequence[Any] | None = None,
    columns: int | None = None,
    cmap: str = "hot_r",
    unit: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw each postsynaptic neuron's incoming weights as an image tile, side by side.

    Column ``j`` of ``weights`` (``[pre, post]``, ``pre = shape[0]·shape[1]`` inputs laid
    out row by row) becomes tile ``j``; tiles fill a grid row by row, one blank pixel
    apart. Colours start at 0.

    Args:
        weights: ``[pre, post]`` weights.
        shape: (rows, columns) of the input image.
        labels: a text for each tile (e.g. its neuron's class), written at its top left.
        columns: tiles per row (default: about the square root of ``post``).
        cmap: colormap.
        unit: the weights' unit, for the colorbar label.
        ax: the Axes to draw on (default: a new figure).

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: ``weights`` that is not a matrix with ``shape[0]·shape[1]`` rows, or
            ``labels`` of the wrong length.
    """
    where = "plot.receptive_fields: "
    w = np.asarray(weights, dtype=float)
    h, v = (_check_count("shape", s, where) for s in shape)
    if w.ndim != 2 or w.shape[0] != h * v:
        raise ValueError(
            f"{where}weights must be [pre, post] with pre = {h}·{v} = {h * v} inputs, got "
            f"shape {w.shape}."
        )
    n = w.shape[1]
    if labels is not None and len(labels) != n:
        raise ValueError(f"{where}labels must have one entry per tile ({n}), got {len(labels)}.")
    cols = int(np.ceil(np.sqrt(n))) if columns is None else _check_count("columns", columns, where)
    rows = -(-n // cols)
    tiles = np.full((rows * (h + 1) - 1, cols * (v + 1) - 1), np.nan)
    for j in range(n):
        r, q = divmod(j, cols)
        tiles[r * (h + 1) : r * (h + 1) + h, q * (v + 1) : q * (v + 1) + v] = w[:, j].reshape(h, v)
    import matplotlib

    ax = _axes(ax)
    colours = matplotlib.colormaps[cmap].with_extremes(bad="white")
    image = ax.imshow(tiles, cmap=colours, vmin=0, interpolation="nearest")
    for j, text in enumerate(() if labels is None else labels):
        r, q = divmod(j, cols)
        ax.text(q * (v + 1) + 0.1, r * (h + 1) + 0.9, str(text), color="tab:blue", fontsize=7)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label=_weight_label(unit, None))
    ax.axis("off")
    return ax


# -- plasticity windows and state traces ------------------------------------------------------


def stdp_window(
    dt: ArrayLike,
    dw: ArrayLike,
    *,
    yerr: ArrayLike | None = None,
    reference: tuple[ArrayLike, ArrayLike] | Callable[[np.ndarray], ArrayLike] | None = None,
    style: str = "points",
    baseline: float = 0.0,
    ylabel: str = "Δw",
    label: str | None = "simulated",
    reference_label: str | None = "reference",
    color: Any = "k",
    reference_color: Any = "m",
    ax: Axes | None = None,
) -> Axes:
    """Draw a plasticity window: the weight change against Δt = t_post − t_pre.

    Args:
        dt: spike-time differences Δt = t_post − t_pre [ms] (positive: pre before post).
        dw: the weight change at each Δt (or any readout, e.g. strength after / before).
        yerr: error bars of ``dw`` (e.g. one standard error).
        reference: a curve to compare with, as (Δt [ms], Δw) arrays (drawn as a line), or
            a function of Δt evaluated on 400 points across the range of ``dt``.
        style: ``"points"``, ``"line"`` (through the points sorted by Δt) or ``"both"``.
        baseline: the no-change level, drawn as a dashed line (1 for ratios).
        ylabel: the y-axis label (with the unit, e.g. ``"Δw [nS]"``).
        label, reference_label: legend entries (None: no legend entry).
        color, reference_color: colours of the data and the reference.
        ax: the Axes to draw on (default: a new figure).

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: ``dt``, ``dw`` (and ``yerr``) not 1-D of one length, non-finite
            values, negative ``yerr``, an unknown ``style``, a malformed ``reference``.
    """
    where = "plot.stdp_window: "
    x, y = _vector("dt", dt, where), _vector("dw", dw, where)
    if x.size != y.size or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(
            f"{where}dt and dw must be finite and of the same length, got {x.size} and {y.size}."
        )
    if style not in ("points", "line", "both"):
        raise ValueError(f"{where}style must be 'points', 'line' or 'both', got {style!r}.")
    if yerr is not None:
        yerr = _vector("yerr", yerr, where)
        if yerr.size != y.size or not np.all(yerr >= 0):
            raise ValueError(
                f"{where}yerr must be >= 0, one per point ({y.size}), got {yerr.size} values."
            )
    ax = _axes(ax)
    ax.axhline(baseline, color="gray", ls="--", lw=0.8)
    ax.axvline(0.0, color="gray", ls="--", lw=0.8)
    if reference is not None:
        if callable(reference):
            ref_x = np.linspace(x.min(), x.max(), 400) if x.size else np.zeros(0)
            ref_y = np.asarray(reference(ref_x), dtype=float)
        else:
            ref_x, ref_y = (np.asarray(a, dtype=float) for a in reference)
        if ref_x.ndim != 1 or ref_x.shape != ref_y.shape:
            raise ValueError(
                f"{where}reference must be (dt, dw) 1-D arrays of one length or a function "
                f"of dt, got shapes {ref_x.shape} and {ref_y.shape}."
            )
        ax.plot(ref_x, ref_y, color=reference_color, lw=2, label=reference_label)
    order = np.argsort(x, kind="stable")
    if style in ("line", "both"):
        ax.plot(x[order], y[order], color=color, lw=1,
                label=label if style == "line" else None)  # fmt: skip
    if style in ("points", "both"):
        ax.errorbar(x, y, yerr=yerr, fmt="o", color=color, ms=4, capsize=2, label=label)
    ax.set(xlabel="Δt = t_post − t_pre [ms]", ylabel=ylabel)
    return ax


def membrane(
    source: Monitor | ArrayLike,
    values: ArrayLike | None = None,
    *,
    units: ArrayLike | None = None,
    threshold: float | None = None,
    t_range: tuple[float, float] | None = None,
    variable: str | None = None,
    unit: str = "mV",
    time_unit: str = "ms",
    instance: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw state traces (a membrane potential by default) of some units over time.

    Args:
        source: a state ``Monitor`` (e.g. ``Monitor(pop, "v")``), or the times [ms].
        values: with times, the values ``[len(t), units]`` (or 1-D for one unit).
        units: the units to draw, by their index in the population (for arrays, by
            column); default all recorded ones.
        threshold: if given, a dashed line at this value (e.g. ``v_th`` [mV]).
        t_range: (start, stop) [ms] to draw.
        variable: the variable's name for the label (default: the Monitor's ``what``, or
            ``"v"``).
        unit: the variable's unit, for the label.
        time_unit: ``"ms"`` or ``"s"``, the unit of the time axis.
        instance: which run of an ``Ensemble``.
        ax: the Axes to draw on (default: a new figure).

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: a spike or weight Monitor, one that recorded nothing, times and values
            of different lengths, a unit that was not recorded, a bad ``t_range``.
    """
    where = "plot.membrane: "
    scale = _time_scale(time_unit, where)
    t, v, recorded = _series(source, values, instance, where, weights=False)
    if variable is None:
        variable = source.what if isinstance(source, Monitor) else "v"
    wanted = recorded if units is None else np.atleast_1d(np.asarray(units))
    missing = wanted[~np.isin(wanted, recorded)]
    if missing.size:
        raise ValueError(
            f"{where}units {missing[:5].tolist()} were not recorded; the recorded units are "
            f"{recorded[:10].tolist()}{' …' if recorded.size > 10 else ''}."
        )
    t_range = _check_range("t_range", t_range, where)
    keep = np.ones(t.size, bool) if t_range is None else (t >= t_range[0]) & (t < t_range[1])
    position = {int(u): k for k, u in enumerate(recorded)}
    ax = _axes(ax)
    for u in wanted:
        ax.plot(t[keep] * scale, v[keep, position[int(u)]], lw=1, label=f"unit {int(u)}")
    if threshold is not None:
        ax.axhline(threshold, color="gray", ls="--", lw=0.8, label="threshold")
    if 1 < wanted.size <= 10 or threshold is not None:
        ax.legend(loc="best", fontsize="small")
    ax.set(xlabel=f"time [{time_unit}]", ylabel=f"{variable} [{unit}]")
    return ax
