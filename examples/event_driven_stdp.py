"""Event-driven STDP: one plastic projection on every format and path, then a network.

Part 1 runs the same plastic projection — 1000 Poisson inputs at 10 Hz onto 100
current-based LIF neurons, each neuron receiving 100 of them (``fixed_indegree``),
additive pair STDP on every synapse — six ways: with ``Dense``, ``CSR`` and ``COO``
connectivity, each on the all-synapse path (``capacity=None``: every step visits every
synapse) and on the event path (``capacity=(16, 8)``: each step gathers at most 16
spiking inputs and 8 spiking neurons into buffers and touches only their synapses). The
results must not depend on these choices: the script reports the largest weight
difference from the dense all-synapse run (0 or rounding) and whether every run made the
same output spikes, and it times each run (the first chunk, which compiles, apart). On a
CPU the sparse formats and the event path save work in proportion to the synapses they
skip; a buffer that overflows stops the run with an error, it never drops a spike.

Part 2 trains an adaptive three-layer network: 200 Poisson inputs → 100 LIF neurons →
10 LIF neurons, with sparse random connectivity (``pairwise_bernoulli``, 25 % and 50 %),
pair STDP on both projections (the first one on the event path) and adaptive thresholds
(each spike raises a neuron's threshold by ``theta_plus``, which decays back with
``tau_theta``), so that the rates stay bounded while the weights change. The inputs come
in four groups of 50 that take turns: each group fires at 30 Hz for 100 ms while the
others fire at 3 Hz. STDP strengthens the synapses of the group that makes a neuron
fire, so hidden neurons drift towards one group. The figures show a raster of each layer
(hidden neurons ordered by the group they prefer), the layers' rates, and the weights of
both projections: histogram, evolution and matrix (for inputs → hidden, the mean weight
from each input group, since the 200 × 100 sparse matrix hides the structure).

Run ``python examples/event_driven_stdp.py --out DIR`` (``--duration`` [s] of the
network's training, ``--compare-duration`` [s] of each of the six runs of part 1,
``--seed``). It runs in float64 (``--float32``: JAX's default precision; the formats
then agree to float32 rounding). Writes ``paths.png``, ``network_spikes.png``,
``network_weights.png`` and ``summary.json`` to DIR.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import plastix as px

DT = 0.1  # [ms]
CHUNK = 1000  # steps per chunk (100 ms): the timed runs reuse the compiled chunk

# Part 1: the projection compared across formats and paths.
N_SOURCES, N_TARGETS, INDEGREE = 1000, 100, 100
SOURCE_RATE = 10.0  # [Hz]
W_MAX = 300.0  # [pA]
FORMATS = ("dense", "csr", "coo")
PATHS = {"all-synapse": None, "event": (16, 8)}  # capacity: (pre, post) buffer slots

# Part 2: the three-layer network.
N_INPUTS, N_HIDDEN, N_OUTPUT = 200, 100, 10
N_GROUPS = 4
GROUP_OF_INPUT = np.arange(N_INPUTS) // (N_INPUTS // N_GROUPS)
TURN = 100.0  # [ms] each group's turn
RATE_ON, RATE_OFF = 30.0, 3.0  # [Hz]
W_MAX_HIDDEN, W_MAX_OUTPUT = 700.0, 400.0  # [pA]
A = 0.03  # a_plus in units of w_max; a_minus = 1.1·a_plus


def pair_stdp(w_max: float, a: float) -> px.PairSTDP:
    """Additive pair STDP, τ± = 20 ms, ``a_plus = a·w_max``, ``a_minus = 1.1·a_plus``."""
    return px.PairSTDP(20.0, 20.0, a * w_max, 1.1 * a * w_max, w_min=0.0, w_max=w_max)


# -- part 1: formats and paths ----------------------------------------------------------------


def comparison_network(
    format: str, capacity: tuple[int, int] | None, seed: int
) -> tuple[px.Network, px.Projection, px.Monitor]:
    """Poisson inputs → LIF neurons through one plastic projection.

    Args:
        format: ``"dense"``, ``"csr"`` or ``"coo"``.
        capacity: the projection's event buffers (pre, post), or None (all synapses).
        seed: the network's seed (inputs, initial weights) and the wiring's.

    Returns:
        The network, the plastic projection and a spike monitor of the neurons.
    """
    net = px.Network(dt=DT, seed=seed)
    sources = net.add(px.Population(px.PoissonInput(SOURCE_RATE), N_SOURCES, name="inputs"))
    targets = net.add(px.Population(px.LIF(), N_TARGETS, name="neurons"))
    wiring = px.fixed_indegree(N_SOURCES, N_TARGETS, INDEGREE, seed=seed, format=format)
    projection = net.add(
        px.Projection(
            sources,
            targets,
            wiring,
            pair_stdp(W_MAX, 0.01),
            weights=px.initializers.uniform(0.0, W_MAX),
            capacity=capacity,
            name="stdp",
        )
    )
    spikes = net.add(px.Monitor(targets))
    return net, projection, spikes


def compare_paths(duration: float, seed: int) -> dict[str, Any]:
    """Run the comparison network in every format and on both paths.

    Each run first simulates one chunk (100 ms, which compiles), then ``duration`` more,
    timed; all runs simulate the same time, so their weights must agree.

    Args:
        duration: the timed part [ms], a whole number of 100 ms chunks.
        seed: the seed of every run.

    Returns:
        Per run (``"csr/event"``, …): first-chunk and timed wall times [s], the largest
        weight difference from ``"dense/all-synapse"`` and whether the output spikes are
        the same; and the initial/final weights of the reference run (per synapse).
    """
    runs: dict[str, dict[str, Any]] = {}
    reference: dict[str, np.ndarray] = {}
    for fmt in FORMATS:
        for path, capacity in PATHS.items():
            net, projection, spikes = comparison_network(fmt, capacity, seed)
            net.build()
            synapses = projection.connectivity.canonical_indices()
            w0 = net.weights(projection)[synapses]
            start = time.perf_counter()
            net.run(CHUNK * DT, chunk_size=CHUNK, progress=False)
            first = time.perf_counter() - start
            start = time.perf_counter()
            net.run(duration, chunk_size=CHUNK, progress=False)
            timed = time.perf_counter() - start
            # per synapse, in canonical (pre, post) order: the same order in every format
            w = net.weights(projection)[synapses]
            order = np.lexsort((spikes.i, spikes.t))
            spike_list = np.stack([spikes.t[order], spikes.i[order]])
            if not reference:
                reference = {"w0": w0, "w": w, "spikes": spike_list}
            same = spike_list.shape == reference["spikes"].shape and bool(
                np.all(spike_list == reference["spikes"])
            )
            runs[f"{fmt}/{path}"] = {
                "format": fmt,
                "path": path,
                "capacity": capacity,
                "first_chunk_s": first,
                "run_s": timed,
                "s_per_simulated_s": timed / (duration * 1e-3),
                "max_abs_weight_diff": float(np.max(np.abs(w - reference["w"]))),
                "same_spikes": same,
                "n_spikes": int(spikes.t.size),
            }
    return {"runs": runs, **reference}


def plot_paths(result: dict[str, Any], duration: float, path: Path) -> None:
    """Bar chart of the timed runs, and the weight change that all runs share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    fig, (ax_time, ax_dw) = plt.subplots(
        1, 2, figsize=(11, 4), layout="constrained", gridspec_kw={"width_ratios": [3, 2]}
    )
    x = np.arange(len(FORMATS))
    for k, (path_name, colour) in enumerate(zip(PATHS, ("tab:gray", "tab:green"), strict=True)):
        seconds = [runs[f"{fmt}/{path_name}"]["s_per_simulated_s"] for fmt in FORMATS]
        bars = ax_time.bar(x + (k - 0.5) * 0.38, seconds, 0.38, color=colour, label=path_name)
        ax_time.bar_label(bars, fmt="%.2f", fontsize=8)
    worst = max(r["max_abs_weight_diff"] for r in runs.values())
    same = all(r["same_spikes"] for r in runs.values())
    ax_time.set_xticks(x, [f"{fmt}" for fmt in FORMATS])
    ax_time.set(
        ylabel="wall time per simulated second [s]",
        title=f"{N_SOURCES}→{N_TARGETS}, {N_TARGETS * INDEGREE} plastic synapses: "
        f"max |Δw| between runs {worst:.1e} pA, same spikes: {same}",
    )
    ax_time.title.set_fontsize(10)
    ax_time.legend(frameon=False, title="path")
    change = result["w"] - result["w0"]
    ax_dw.hist(change, bins=60, color="tab:blue")
    ax_dw.set(
        xlabel="w(end) − w(0) [pA]",
        ylabel="synapses",
        title=f"Weight change in {(duration + CHUNK * DT) * 1e-3:g} s (identical in all runs)",
    )
    ax_dw.title.set_fontsize(10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- part 2: the 200 → 100 → 10 network -------------------------------------------------------


def group_rates(t: jax.Array) -> jax.Array:
    """The inputs' rates [Hz] at times ``t`` [ms]: ``[len(t), 200]``, one group on at a time."""
    active = jnp.floor(t / TURN).astype(jnp.int32) % N_GROUPS
    return jnp.where(active[:, None] == jnp.asarray(GROUP_OF_INPUT)[None, :], RATE_ON, RATE_OFF)


def run_network(duration: float, seed: int, progress: bool = False) -> dict[str, Any]:
    """Build and train the 200 → 100 → 10 network.

    Args:
        duration: simulated time [ms].
        seed: the network's seed (inputs, initial weights) and the wiring's.
        progress: show a progress bar.

    Returns:
        The spike and weight monitors by name, the projections, and the wall time [s].
    """
    net = px.Network(dt=DT, seed=seed)
    inputs = net.add(px.Population(px.PoissonInput(group_rates), N_INPUTS, name="inputs"))
    adaptive = {"theta_plus": 0.1, "tau_theta": 5000.0}  # [mV], [ms]
    hidden = net.add(px.Population(px.LIF(**adaptive), N_HIDDEN, name="hidden"))
    output = net.add(px.Population(px.LIF(**adaptive), N_OUTPUT, name="output"))
    to_hidden = net.add(
        px.Projection(
            inputs,
            hidden,
            px.pairwise_bernoulli(N_INPUTS, N_HIDDEN, 0.25, seed=seed),
            pair_stdp(W_MAX_HIDDEN, A),
            weights=px.initializers.uniform(0.0, W_MAX_HIDDEN),
            capacity=(24, None),  # few inputs spike per step; each hidden neuron has ~50
            name="inputs→hidden",
        )
    )
    to_output = net.add(
        px.Projection(
            hidden,
            output,
            px.pairwise_bernoulli(N_HIDDEN, N_OUTPUT, 0.5, seed=seed + 1),
            pair_stdp(W_MAX_OUTPUT, A),
            weights=px.initializers.uniform(0.0, W_MAX_OUTPUT),
            name="hidden→output",
        )
    )
    every = max(DT, round(duration / 50.0 / DT) * DT)  # about 50 weight snapshots
    monitors = {
        "inputs": net.add(px.Monitor(inputs)),
        "hidden": net.add(px.Monitor(hidden)),
        "output": net.add(px.Monitor(output)),
        "w_hidden": net.add(px.Monitor(to_hidden, "w", every=every)),
        "w_output": net.add(px.Monitor(to_output, "w", every=every)),
    }
    start = time.perf_counter()
    net.run(duration, progress=progress)
    wall = time.perf_counter() - start
    return {
        "monitors": monitors,
        "to_hidden": to_hidden,
        "to_output": to_output,
        "duration": duration,
        "wall_s": wall,
    }


def group_preference(w: np.ndarray, projection: px.Projection) -> tuple[np.ndarray, np.ndarray]:
    """Each hidden neuron's mean incoming weight from each input group.

    Args:
        w: one weight per synapse of ``projection`` (canonical order) [pA].
        projection: the inputs → hidden projection.

    Returns:
        ``[N_GROUPS, N_HIDDEN]`` mean weights [pA] and each neuron's preferred group.
    """
    pre, post = projection.connectivity.canonical_indices()
    sums = np.zeros((N_GROUPS, N_HIDDEN))
    counts = np.zeros((N_GROUPS, N_HIDDEN))
    np.add.at(sums, (GROUP_OF_INPUT[pre], post), w)
    np.add.at(counts, (GROUP_OF_INPUT[pre], post), 1.0)
    means = sums / np.maximum(counts, 1.0)
    return means, means.argmax(axis=0)


def summarise_network(result: dict[str, Any]) -> dict[str, Any]:
    """Rates per layer, weight statistics and the hidden neurons' group selectivity."""
    monitors, duration = result["monitors"], result["duration"]
    late = min(1000.0, duration)
    sizes = {"inputs": N_INPUTS, "hidden": N_HIDDEN, "output": N_OUTPUT}
    rates = {
        name: {
            "rate_hz": monitors[name].t.size / n / (duration * 1e-3),
            "rate_last_s_hz": np.count_nonzero(monitors[name].t >= duration - late)
            / n
            / (late * 1e-3),
        }
        for name, n in sizes.items()
    }
    summary: dict[str, Any] = {"layers": rates, "duration_s": duration * 1e-3}
    for key, w_max in (("w_hidden", W_MAX_HIDDEN), ("w_output", W_MAX_OUTPUT)):
        values = monitors[key].values
        summary[key] = {
            "n_synapses": int(values.shape[1]),
            "mean_start": float(values[0].mean() / w_max),
            "mean_end": float(values[-1].mean() / w_max),
            "fraction_above_0.9_w_max": float(np.mean(values[-1] > 0.9 * w_max)),
            "fraction_below_0.1_w_max": float(np.mean(values[-1] < 0.1 * w_max)),
        }
    for when, row in (("start", 0), ("end", -1)):
        means, _ = group_preference(monitors["w_hidden"].values[row], result["to_hidden"])
        # preferred group's mean weight over the mean over groups: 1 = no preference
        summary[f"hidden_selectivity_{when}"] = float(np.mean(means.max(0) / means.mean(0)))
    summary["wall_s"] = result["wall_s"]
    return summary


def plot_network(result: dict[str, Any], out: Path) -> list[str]:
    """Rasters and rates of the layers, and the weights of both projections."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    import plastix.plot as pxplot

    monitors, duration = result["monitors"], result["duration"]
    means_end, preferred = group_preference(monitors["w_hidden"].values[-1], result["to_hidden"])
    # hidden neurons ranked by preferred group, then by how strongly they prefer it
    rank_order = np.lexsort((-means_end.max(0), preferred))
    rank = np.empty(N_HIDDEN, int)
    rank[rank_order] = np.arange(N_HIDDEN)

    shown = (max(0.0, duration - 1000.0), duration)  # the last second
    fig, axes = plt.subplots(
        4,
        1,
        figsize=(9, 10),
        sharex=False,
        layout="constrained",
        gridspec_kw={"height_ratios": [3, 2.5, 1, 1.6]},
    )
    pxplot.raster(monitors["inputs"], t_range=shown, time_unit="s", ax=axes[0], marker_size=1)
    axes[0].set(ylabel="input", title="Inputs: four groups of 50 take turns (100 ms each)")
    hidden = monitors["hidden"]
    pxplot.raster(hidden.t, rank[hidden.i], t_range=shown, time_unit="s", ax=axes[1])
    axes[1].set(
        ylabel="hidden neuron\n(by preferred group)",
        ylim=(-0.5, N_HIDDEN - 0.5),
        title="Hidden layer (100 LIF, adaptive threshold)",
    )
    pxplot.raster(monitors["output"], t_range=shown, time_unit="s", ax=axes[2], marker_size=6)
    axes[2].set(ylabel="output", title="Output layer (10 LIF, adaptive threshold)")
    bin_width = max(DT, min(500.0, duration / 20.0))
    for name, colour in (("inputs", "0.5"), ("hidden", "tab:blue"), ("output", "tab:red")):
        pxplot.population_rate(
            monitors[name], bin_width=bin_width, time_unit="s", ax=axes[3], color=colour, label=name
        )
    axes[3].set_title(f"Population rates ({bin_width:g} ms bins), whole run")
    axes[3].legend(frameon=False, ncols=3, fontsize=9)
    spikes_png = out / "network_spikes.png"
    fig.savefig(spikes_png, dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(2, 3, figsize=(15, 8), layout="constrained")
    for row, (key, projection, w_max) in enumerate(
        (
            ("w_hidden", result["to_hidden"], W_MAX_HIDDEN),
            ("w_output", result["to_output"], W_MAX_OUTPUT),
        )
    ):
        monitor = monitors[key]
        ax = axes[row, 0]
        pxplot.weight_histogram(monitor, w_max=w_max, ax=ax, color="tab:blue")
        ax.hist(monitor.values[0] / w_max, bins=20, range=(0, 1), histtype="step", color="k",
                lw=1.5)  # fmt: skip
        ax.legend(
            handles=[
                Patch(color="tab:blue", label="end"),
                Line2D([], [], color="k", label="start"),
            ],
            frameon=False,
        )
        ax.set_title(f"{projection.name}: {monitor.values.shape[1]} synapses")
        pxplot.weight_evolution(monitor, w_max=w_max, time_unit="s", ax=axes[row, 1])
        axes[row, 1].set_title("weights over time")
        if key == "w_hidden":
            # 200 × 100 sparse weights hide the structure: average them per input group,
            # with the hidden neurons (columns) ranked by preferred group.
            pxplot.weight_matrix(means_end[:, rank_order] / w_max, vmin=0, vmax=1, ax=axes[row, 2])
            axes[row, 2].set(
                xlabel="hidden neuron (by preferred group)",
                ylabel="input group",
                title="final mean weight from each input group",
            )
        else:
            synapses = projection.connectivity.canonical_indices()
            matrix = np.full((projection.pre.n, projection.post.n), np.nan)
            matrix[synapses] = monitor.values[-1] / w_max
            pxplot.weight_matrix(matrix, vmin=0.0, vmax=1.0, ax=axes[row, 2])
            axes[row, 2].set(
                xlabel="output neuron", ylabel="hidden neuron", title="final weights (blank: none)"
            )
        axes[row, 2].images[-1].colorbar.set_label("w / w_max")
    weights_png = out / "network_weights.png"
    fig.savefig(weights_png, dpi=110)
    plt.close(fig)
    return [spikes_png.name, weights_png.name]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run both parts, write the figures and ``summary.json``, and return the summary.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The summary: ``paths`` (per format and path: wall times [s], the largest weight
        difference from the dense all-synapse run [pA], same spikes or not), the overall
        ``max_abs_weight_diff`` [pA] and ``max_weight_change`` [pA]; ``network`` (rates per
        layer [Hz], weight statistics in units of w_max, selectivity); and the files.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=20.0, help="training time of the network [s]"
    )
    parser.add_argument(
        "--compare-duration",
        type=float,
        default=2.0,
        help="timed part of each format/path run [s] (rounded to 100 ms chunks)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("plastix-out/event_driven_stdp"))
    parser.add_argument(
        "--float32", action="store_true", help="keep JAX's default float32 (default: float64)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    if not args.duration > 0:
        raise ValueError(f"--duration must be > 0 [s], got {args.duration}.")
    if not args.compare_duration > 0:
        raise ValueError(f"--compare-duration must be > 0 [s], got {args.compare_duration}.")
    if not args.float32:
        jax.config.update("jax_enable_x64", True)
    chunks = max(1, round(args.compare_duration * 1e3 / (CHUNK * DT)))
    compare_ms = chunks * CHUNK * DT

    comparison = compare_paths(compare_ms, args.seed)
    network = run_network(args.duration * 1e3, args.seed, progress=not args.no_progress)
    args.out.mkdir(parents=True, exist_ok=True)
    paths_png = args.out / "paths.png"
    plot_paths(comparison, compare_ms, paths_png)
    figures = [paths_png.name, *plot_network(network, args.out)]
    runs = comparison["runs"]
    summary = {
        "float64": bool(jax.config.jax_enable_x64),
        "compare_duration_s": (compare_ms + CHUNK * DT) * 1e-3,
        "n_synapses": N_TARGETS * INDEGREE,
        "paths": runs,
        "max_abs_weight_diff": max(r["max_abs_weight_diff"] for r in runs.values()),
        "all_same_spikes": all(r["same_spikes"] for r in runs.values()),
        "max_weight_change": float(np.max(np.abs(comparison["w"] - comparison["w0"]))),
        "network": summarise_network(network),
        "figures": figures,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for name, run in runs.items():
        print(
            f"{name:>17}: {run['s_per_simulated_s']:.2f} s per simulated s (first chunk "
            f"{run['first_chunk_s']:.1f} s), max |Δw| vs dense/all-synapse "
            f"{run['max_abs_weight_diff']:.1e} pA, same spikes: {run['same_spikes']}"
        )
    layers = summary["network"]["layers"]
    print(
        "network: rates "
        + ", ".join(f"{k} {v['rate_last_s_hz']:.1f} Hz" for k, v in layers.items())
        + f" (last second); hidden selectivity {summary['network']['hidden_selectivity_start']:.2f}"
        f" → {summary['network']['hidden_selectivity_end']:.2f}; wrote {args.out}"
    )
    return summary


if __name__ == "__main__":
    main()
