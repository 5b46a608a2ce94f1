"""Song, Miller & Abbott (2000): competitive Hebbian learning through STDP.

1000 Poisson inputs at 15 Hz drive one conductance-based LIF neuron through additive,
all-to-all pair STDP with hard bounds. Because depression slightly outweighs
potentiation, synapses compete: the weight distribution becomes bimodal (most weights
at 0 or at g_max) and the output rate settles at a moderate, input-rate-independent
value. The set-up is Brian2's ``examples/synapses/STDP.py`` (VALIDATION §2).

References:
    Song, Miller & Abbott (2000), Nat. Neurosci. 3:919–926.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import connectivity, initializers, io
from ..inputs import PoissonInput
from ..network import Monitor, Network, Population, Projection
from ..neurons import LIFCond
from ..rules import PairSTDP
from ._registry import Experiment, register, save_results


@dataclass(frozen=True)
class Song2000Config:
    """Parameters of the experiment (VALIDATION §2; units in brackets)."""

    n_inputs: int = 1000
    input_rate: float = 15.0  # [Hz]
    duration: float = 100_000.0  # [ms]
    dt: float = 0.1  # [ms]
    tau_m: float = 10.0  # [ms]
    e_exc: float = 0.0  # [mV]
    v_th: float = -54.0  # [mV]
    v_reset: float = -60.0  # [mV]
    e_leak: float = -74.0  # [mV]
    tau_exc: float = 5.0  # [ms]
    tau_pre: float = 20.0  # [ms]
    tau_post: float = 20.0  # [ms]
    g_max: float = 0.01  # [leak conductances]
    depression_ratio: float = 1.05  # |dA_post|·tau_post / (dA_pre·tau_pre)
    seed: int = 1
    format: str = "dense"
    capacity: int | None = None  # event-buffer size; None: all-synapse path (faster on CPU)
    chunk_size: int = 10_000  # [steps]
    record_every: float = 1000.0  # [ms] weight snapshots
    raster_inputs: int = 100  # inputs kept for the raster excerpt


def build(config: Song2000Config) -> tuple[Network, dict]:
    """The network and its monitors."""
    c = config
    net = Network(dt=c.dt, seed=c.seed)
    inputs = net.add(Population(PoissonInput(c.input_rate), c.n_inputs, name="inputs"))
    neuron = net.add(
        Population(
            LIFCond(
                tau_m=c.tau_m,
                e_leak=c.e_leak,
                v_th=c.v_th,
                v_reset=c.v_reset,
                e_exc=c.e_exc,
                tau_exc=c.tau_exc,
                t_ref=0.0,
            ),
            1,
            name="neuron",
        )
    )
    a_pre = 0.01 * c.g_max
    a_post = a_pre * (c.tau_pre / c.tau_post) * c.depression_ratio
    rule = PairSTDP(
        tau_plus=c.tau_pre,
        tau_minus=c.tau_post,
        a_plus=a_pre,
        a_minus=a_post,
        w_min=0.0,
        w_max=c.g_max,
    )
    synapses = net.add(
        Projection(
            inputs,
            neuron,
            connectivity.all_to_all(c.n_inputs, 1, format=c.format),
            rule,
            weights=initializers.uniform(0.0, c.g_max),
            capacity=c.capacity,
            on_overflow="dense",
            name="stdp",
        )
    )
    monitors = {
        "output": net.add(Monitor(neuron)),
        "inputs": net.add(Monitor(inputs, indices=np.arange(min(c.raster_inputs, c.n_inputs)))),
        "weights": net.add(Monitor(synapses, "w", every=c.record_every)),
    }
    return net, monitors


def summarize(
    config: Song2000Config, weights: np.ndarray, spike_times: np.ndarray, wall_s: float
) -> dict:
    """The summary of a run: weight histogram, bimodality and output rate."""
    g_max = config.g_max
    counts, _ = np.histogram(np.clip(weights, 0, g_max), bins=10, range=(0.0, g_max))
    fractions = counts / weights.size
    window = min(10_000.0, config.duration)
    late = np.count_nonzero(spike_times >= config.duration - window)
    top_two = set(np.argsort(counts)[-2:].tolist())
    return {
        "experiment": "song2000",
        "bimodal_fraction": float(np.mean((weights < 0.1 * g_max) | (weights > 0.9 * g_max))),
        "weight_histogram": counts.tolist(),
        "extreme_bins_fraction": float(fractions[0] + fractions[-1]),
        "extreme_bins_most_populated": top_two == {0, 9},
        "rate_last10s_hz": late / (window * 1e-3),
        "n_synapses": int(weights.size),
        "duration_s": config.duration * 1e-3,
        "wall_s": wall_s,
        "seconds_per_simulated_second": wall_s / (config.duration * 1e-3),
        "config": asdict(config),
    }


def run(
    config: Song2000Config, progress: bool = True, save: Path | None = None
) -> tuple[dict, dict]:
    """Run the experiment; returns the summary and the recorded data.

    With ``save``, the monitors stream to that HDF5 file during the run (see
    :mod:`plastix.io`) and the data are read back from it.
    """
    net, monitors = build(config)
    start = time.perf_counter()
    net.run(config.duration, chunk_size=config.chunk_size, progress=progress, save=save)
    wall = time.perf_counter() - start
    weights = np.asarray(net.weights(net.projections[0]))[:, 0]
    if save is not None:
        results = io.load(save)
        monitors = {key: results[m.name] for key, m in monitors.items()}
    data = {
        "weights": weights,
        "weight_t": monitors["weights"].t,
        "weight_history": monitors["weights"].values,
        "output_t": monitors["output"].t,
        "input_t": monitors["inputs"].t,
        "input_i": monitors["inputs"].i,
    }
    return summarize(config, weights, data["output_t"], wall), data


def plot(config: Song2000Config, data: dict, summary: dict, path: Path) -> None:
    """Write the four-panel figure: histogram, weight evolution, rate, input raster."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plot as pxplot

    g_max = config.g_max
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), layout="constrained")
    ax = pxplot.weight_histogram(data["weights"], bins=10, w_max=g_max, ax=axes[0, 0])
    ax.set(
        xlabel="w / g_max",
        title=f"final weights ({summary['extreme_bins_fraction']:.0%} in the extreme bins)",
    )
    ax = axes[0, 1]
    if data["weight_history"].size:
        pxplot.weight_evolution(
            data["weight_t"], data["weight_history"], w_max=g_max, time_unit="s", ax=ax
        )
        ax.images[0].colorbar.set_label("w / g_max")
    ax.set(title="weight evolution")
    # bins of 1 s (a last partial second is left out)
    ax = pxplot.population_rate(
        data["output_t"], 1, bin_width=min(1000.0, config.duration),
        t_range=(0.0, config.duration), time_unit="s", ax=axes[1, 0], color="tab:red",
    )  # fmt: skip
    ax.set(title=f"output rate (last 10 s: {summary['rate_last10s_hz']:.1f} Hz)")
    ax = pxplot.raster(
        data["input_t"], data["input_i"], t_range=(0.0, min(1000.0, config.duration)),
        ax=axes[1, 1],
    )  # fmt: skip
    ax.set(ylabel="input", title="input raster (first second)")
    fig.suptitle("Song, Miller & Abbott (2000): competitive STDP")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=100.0, help="simulated time [s]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=("dense", "csr", "coo"), default="dense")
    parser.add_argument("--out", type=Path, default=Path("plastix-out/song2000"))
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _main(args: argparse.Namespace) -> dict:
    if not args.duration > 0:
        raise ValueError(f"--duration must be > 0 [s], got {args.duration}.")
    config = Song2000Config(duration=args.duration * 1000.0, seed=args.seed, format=args.format)
    summary, data = run(config, progress=not args.no_progress, save=args.save)
    save_results(args, summary, data)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(config, data, summary, args.out / "song2000.png")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


EXPERIMENT = register(
    Experiment(
        name="song2000",
        description="Song, Miller & Abbott (2000) competitive STDP: 1000 Poisson inputs -> 1 LIF",
        add_arguments=_add_arguments,
        main=_main,
    )
)
